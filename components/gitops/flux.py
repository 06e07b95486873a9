"""Flux through the Flux operator: the operator chart, one `FluxInstance` pinned to an exact Flux
release that syncs this stack's path of the fleet repository, and everything the sync needs
before it starts (credentials, the platform facts, SOPS decryption, workload identities).

Identities are set at the controller level: the platform binds a controller's service account
to a cloud identity and the instance's kustomize patches put the annotations it needs on that
service account. Object-level workload identity cannot serve EKS Pod Identity (Flux's AWS
integration docs), so controller level is what works on EKS (Pod Identity or IRSA) and on GKE
alike. SOPS decryption sets no `decryption.serviceAccountName`, so kustomize-controller
decrypts with its own identity.

The controllers are not a chart: their CPU and memory requests are JSON patches of the
instance too. With the monitoring CRDs given, the operator's chart renders its ServiceMonitor
and a PodMonitor scrapes the controllers, which that monitor does not select.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.gitops.credentials import (
    SecretLayout,
    SecretSource,
    credentials_secret,
    flux_layout,
)
from kube_platform.components.gitops.facts import CONFIG_MAP, facts_config_map
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources, check_workloads, requests_of
from kube_platform.components.observability.crds import monitoring_object
from kube_platform.components.observability.scrapes import gitops_monitoring_values
from kube_platform.components.validation import (
    Duration,
    KubernetesName,
    RefKind,
    RepositoryPath,
    ref_problem,
)

INSTANCE_API_VERSION = "fluxcd.controlplane.io/v1"
FLUX_NAMESPACE = "flux-system"
NOTIFICATION_API_VERSION = "notification.toolkit.fluxcd.io/v1beta3"
# The operator accepts one FluxInstance, named `flux` (a CEL rule of its CRD).
INSTANCE_NAME = "flux"
CORE_COMPONENTS = (
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
)
IMAGE_AUTOMATION_COMPONENTS = ("image-reflector-controller", "image-automation-controller")
OPERATOR = "flux-operator"
# Requests of the operator and of each controller; the operator's size profile
# (`cluster.size`) keeps setting the controllers' limits, from which their GOMEMLIMIT follows.
DEFAULT_RESOURCES: dict[str, Resources] = {
    OPERATOR: Resources(cpu="50m", memory="96Mi"),
    "source-controller": Resources(cpu="100m", memory="128Mi"),
    "kustomize-controller": Resources(cpu="100m", memory="128Mi"),
    "helm-controller": Resources(cpu="100m", memory="128Mi"),
    "notification-controller": Resources(cpu="20m", memory="64Mi"),
    "image-reflector-controller": Resources(cpu="20m", memory="64Mi"),
    "image-automation-controller": Resources(cpu="50m", memory="64Mi"),
}
WORKLOADS = tuple(DEFAULT_RESOURCES)
# Every Flux controller Deployment has one container, the manager (fluxcd/flux2 manifests).
MANAGER = "/spec/template/spec/containers/0"
MANAGER_REQUESTS = f"{MANAGER}/resources/requests"
# The PodMonitor of the controllers: flux-operator v0.58.1 config/monitoring/flux-controllers.yaml.
CONTROLLERS_MONITOR = "flux-controllers"
CONTROLLER_LABEL = "app.kubernetes.io/part-of"
METRICS_PORT = "http-prom"
PULL_SECRET = "flux-system"
AGE_SECRET = "sops-age"
NOTIFICATION_SECRET = "platform-notifications"
NOTIFICATION_PROVIDER = "platform"
# Wait only until the operator has applied the Flux distribution (CRDs, controllers, sync
# objects): the inventory is recorded whether or not Git then reconciles, so a broken commit
# in the fleet repository never fails a platform deploy.
WAIT_FOR_INSTALL = "jsonpath={.status.inventory.entries}"
# The operator's uninstall waits up to 5 minutes for the controllers and 5 for the CRDs.
INSTANCE_TIMEOUTS = pulumi.CustomTimeouts(create="15m", update="15m", delete="15m")
ECR_READ_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:ListImages",
)
GCP_REGISTRY_READER = "roles/artifactregistry.reader"


class FluxSource(BaseModel):
    """The fleet repository and the path this cluster syncs."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    url: str = Field(description="https://, ssh:// or oci:// URL.")
    ref_kind: RefKind = Field("branch", description="What `ref` names.")
    ref: str = Field("main", description="Branch, tag, semver range, commit or digest.")
    path: RepositoryPath = Field(description="Directory of this cluster's entry point.")
    interval: Duration = Field("1m", description="How often the source is fetched.")
    # RepositoryCredentials | None (a dataclass holding Outputs, so not validated here).
    credentials: Any = Field(None, description="Credentials for a private repository.")
    cloud_registry: Literal["aws", "gcp"] | None = Field(
        None, description="oci:// in the cluster's own cloud registry: read by workload identity."
    )
    ecr_repository_arn: str | None = Field(
        None, description="ARN of the ECR repository (aws cloud_registry)."
    )

    @model_validator(mode="after")
    def _ref_and_access(self) -> FluxSource:
        problem = ref_problem(self.ref_kind, self.ref)
        if problem is not None:
            raise ValueError(problem)
        if self.cloud_registry is not None and self.credentials is not None:
            raise ValueError("a cloud registry is read by workload identity; drop credentials")
        return self

    @property
    def is_oci(self) -> bool:
        return self.url.startswith("oci://")


@dataclass(frozen=True)
class SopsDecryption:
    """How kustomize-controller decrypts: with a cloud KMS through the workload identity
    already bound to its service account (`service_account_annotations` are what that binding
    needs on it; `ready` must exist before the controller starts), or with an age key."""

    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    ready: Sequence[pulumi.Resource] = ()
    age_key: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class FluxNotifications:
    """A notification Provider and the Alert on failed reconciliations."""

    type: str
    secret: SecretSource
    secret_key: Literal["address", "token"]
    channel: str | None = None
    address: str | None = None
    severity: Literal["error", "info"] = "error"
    # Namespaces whose Kustomizations and HelmReleases alert (the Flux namespace always does).
    namespaces: tuple[str, ...] = ()
    metadata: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class FluxArgs(BaseModel):
    """The Flux operator and its FluxInstance: what it syncs, how it decrypts, the facts it
    substitutes, and where it reports failures."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field(
        FLUX_NAMESPACE, description="Namespace of the operator and Flux."
    )
    cluster_type: Literal["kubernetes", "aws", "gcp"] = Field(
        "kubernetes", description="FluxInstance `cluster.type`."
    )
    size: Literal["small", "medium", "large"] = Field(
        "medium", description="Controller concurrency and limits profile."
    )
    multitenant: bool = Field(False, description="Multi-tenant lockdown.")
    image_automation: bool = Field(False, description="Install the image automation controllers.")
    source: FluxSource = Field(description="What the instance syncs.")
    # SopsDecryption | None
    decryption: Any = Field(None, description="SOPS decryption of the sync.")
    facts: dict[str, Any] = Field(
        {}, description="Platform facts (name -> str or Output[str]) for `${name}` in Git."
    )
    # FluxNotifications | None
    notifications: Any = Field(None, description="Alerts on failures.")
    depends_on: tuple[Any, ...] = Field(
        (), description="Resources the instance waits for besides its own (e.g. a secret store)."
    )
    # pulumi.Resource | None: what installs the Prometheus Operator CRDs, when monitoring is on.
    monitoring_crds: Any = Field(
        None, description="Install the operator's ServiceMonitor, after these monitoring CRDs."
    )
    resources: dict[str, Resources] = Field(
        DEFAULT_RESOURCES, description=f"Requests per workload: {', '.join(WORKLOADS)}."
    )
    extra_values: dict[str, Any] = Field({}, description="Extra operator chart values.")

    @model_validator(mode="after")
    def _known_workloads(self) -> FluxArgs:
        check_workloads(self.resources, DEFAULT_RESOURCES)
        return self

    def requests(self, workload: str) -> Resources:
        return requests_of(workload, self.resources, DEFAULT_RESOURCES)


class Flux(pulumi.ComponentResource):
    """The Flux operator and the FluxInstance that syncs this cluster from Git (or an OCI
    repository), with the platform facts published for substitution.

    Outputs:

    - `release`: the flux-operator release.
    - `instance`: the FluxInstance.
    - `facts`: the ConfigMap of platform facts (`${name}` in Git).
    """

    release: k8s.helm.v3.Release
    instance: k8s.apiextensions.CustomResource
    facts: k8s.core.v1.ConfigMap

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: FluxArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install Flux in `cluster` syncing `args.source`; `name` prefixes every child's
        name. `opts` applies to the component itself."""
        super().__init__("platform:index:Flux", name, None, opts)
        self._cluster, self._args = cluster, args
        namespace = platform_namespace(cluster, args.namespace, self)
        before = [namespace]
        # Everything the first sync needs exists before the instance does.
        ready: list[pulumi.Resource] = [*args.depends_on]
        self.facts = facts_config_map(
            cluster,
            f"{name}-facts",
            args.facts,
            namespace=args.namespace,
            parent=self,
            depends_on=before,
        )
        ready.append(self.facts)
        if args.source.credentials is not None:
            creds = args.source.credentials
            layout = flux_layout(creds, args.source.url, name=PULL_SECRET, namespace=args.namespace)
            ready.append(
                credentials_secret(
                    cluster,
                    f"{name}-source-auth",
                    layout,
                    creds.secret,
                    parent=self,
                    depends_on=before,
                )
            )
        if args.decryption is not None:
            ready.extend(args.decryption.ready)
            if args.decryption.age_key is not None:
                ready.append(self._age_secret(args.decryption.age_key, before))
        identities: dict[str, Mapping[str, pulumi.Input[str]]] = {}
        if args.decryption is not None and args.decryption.service_account_annotations:
            identities["kustomize-controller"] = args.decryption.service_account_annotations
        if args.source.cloud_registry is not None:
            identities["source-controller"] = self._registry_identity(
                "flux-source", "source-controller", ready
            )
        if args.image_automation and cluster.cloud in ("aws", "gcp"):
            identities["image-reflector-controller"] = self._registry_identity(
                "flux-image-reflector", "image-reflector-controller", ready
            )

        self.release = helm_release(
            cluster,
            f"{name}-operator",
            versions.FLUX_OPERATOR,
            namespace=args.namespace,
            values=merge_values(
                operator_values(args.multitenant, args.requests(OPERATOR)),
                gitops_monitoring_values("flux") if args.monitoring_crds is not None else {},
            ),
            extra_values=args.extra_values,
            parent=self,
            depends_on=[*before, *([args.monitoring_crds] if args.monitoring_crds else [])],
        )
        self.instance = k8s.apiextensions.CustomResource(
            f"{name}-instance",
            api_version=INSTANCE_API_VERSION,
            kind="FluxInstance",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=INSTANCE_NAME,
                namespace=args.namespace,
                annotations={"pulumi.com/waitFor": WAIT_FOR_INSTALL},
            ),
            spec=instance_spec(args, identities),
            opts=cluster.child_opts(
                self,
                depends_on=[self.release, *ready],
                custom_timeouts=INSTANCE_TIMEOUTS,
            ),
        )
        if args.notifications is not None:
            self._notifications(args.notifications, before)
        if args.monitoring_crds is not None:
            self._controllers_monitor(args.monitoring_crds, before)
        self.register_outputs(
            {
                "namespace": args.namespace,
                "factsConfigMap": CONFIG_MAP,
                "fluxVersion": versions.FLUX,
            }
        )

    # --- secrets and identities -------------------------------------------------------------

    def _age_secret(self, age_key: pulumi.Input[str], before: list) -> k8s.core.v1.Secret:
        """The age identity as Flux reads it: a key ending in `.agekey`."""
        return k8s.core.v1.Secret(
            f"{self._name}-sops-age",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AGE_SECRET, namespace=self._args.namespace),
            type="Opaque",
            string_data={"age.agekey": pulumi.Output.secret(age_key)},
            opts=self._cluster.child_opts(self, depends_on=before),
        )

    def _registry_identity(
        self, binding: str, service_account: str, ready: list[pulumi.Resource]
    ) -> Mapping[str, pulumi.Input[str]]:
        """Read access to the cloud registry for one controller, through workload identity."""
        cluster = self._cluster
        request = WorkloadIdentityRequest(
            name=binding,
            namespace=self._args.namespace,
            service_account=service_account,
            aws_policy=self._ecr_read_policy(service_account) if cluster.cloud == "aws" else None,
            gcp_project_roles=(GCP_REGISTRY_READER,) if cluster.cloud == "gcp" else (),
        )
        identity = cluster.bind_workload_identity(request, self)
        ready.extend(identity.ready)
        return identity.service_account_annotations

    def _ecr_read_policy(self, service_account: str) -> pulumi.Output[str]:
        """Pull from ECR: the fleet repository for the source controller, the account's
        repositories for the image reflector (Flux's AWS integration docs list the actions)."""
        source = self._args.source
        region = self._cluster.region or ""
        if service_account == "source-controller" and source.ecr_repository_arn:
            repositories: pulumi.Input[str] = source.ecr_repository_arn
        else:
            opts = pulumi.InvokeOptions(provider=self._cluster.cloud_provider)
            account = aws.get_caller_identity_output(opts=opts).account_id
            repositories = account.apply(
                lambda a: f"arn:{partition(region)}:ecr:{region}:{a}:repository/*"
            )
        return pulumi.Output.from_input(repositories).apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Login",
                            "Effect": "Allow",
                            "Action": "ecr:GetAuthorizationToken",
                            "Resource": "*",
                        },
                        {
                            "Sid": "Pull",
                            "Effect": "Allow",
                            "Action": list(ECR_READ_ACTIONS),
                            "Resource": arn,
                        },
                    ],
                }
            )
        )

    # --- monitoring ---------------------------------------------------------------------------

    def _controllers_monitor(self, monitoring_crds: pulumi.Resource, before: list) -> None:
        """The controllers' own metrics (reconciliations, work queues, API requests: the Flux
        dashboard's panels). The operator's ServiceMonitor covers only the operator, which
        reports every Flux object's readiness (`flux_resource_info`, what the alert reads)."""
        monitoring_object(
            self._cluster,
            f"{self._name}-controllers-monitor",
            kind="PodMonitor",
            metadata={"name": CONTROLLERS_MONITOR, "namespace": self._args.namespace},
            spec=controllers_monitor_spec(self._args.namespace),
            crds=monitoring_crds,
            parent=self,
            depends_on=before,
        )

    # --- notifications ------------------------------------------------------------------------

    def _notifications(self, notes: FluxNotifications, before: list) -> None:
        cluster, args = self._cluster, self._args
        secret = credentials_secret(
            cluster,
            f"{self._name}-notification-auth",
            SecretLayout(NOTIFICATION_SECRET, args.namespace, secret_key=notes.secret_key),
            notes.secret,
            parent=self,
            depends_on=before,
        )
        after_flux = [self.release, self.instance]
        provider_spec: dict[str, Any] = {
            "type": notes.type,
            "secretRef": {"name": NOTIFICATION_SECRET},
        }
        if notes.channel:
            provider_spec["channel"] = notes.channel
        if notes.address:
            provider_spec["address"] = notes.address
        provider = k8s.apiextensions.CustomResource(
            f"{self._name}-notification-provider",
            api_version=NOTIFICATION_API_VERSION,
            kind="Provider",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NOTIFICATION_PROVIDER, namespace=args.namespace
            ),
            spec=provider_spec,
            opts=cluster.child_opts(self, depends_on=[*after_flux, secret]),
        )
        k8s.apiextensions.CustomResource(
            f"{self._name}-alert",
            api_version=NOTIFICATION_API_VERSION,
            kind="Alert",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="platform-reconciliation", namespace=args.namespace
            ),
            spec=alert_spec(args, notes),
            opts=cluster.child_opts(self, depends_on=[*after_flux, provider]),
        )


# --- specs -----------------------------------------------------------------------------------


def operator_values(multitenant: bool, resources: Resources) -> dict[str, Any]:
    """flux-operator chart values (keys from the chart's values.yaml)."""
    return {
        "installCRDs": True,
        # Merged over the chart's default limits (2 CPUs, 1Gi), which stay.
        "resources": resources.values(),
        # Recommended by the chart: the operator keeps Flux running under node pressure.
        "priorityClassName": "system-cluster-critical",
        # The status web UI is not exposed by the platform; off until someone configures it.
        "web": {"enabled": False},
        # ResourceSets of tenants run under the tenant's service account.
        "multitenancy": {"enabled": multitenant},
    }


def components(image_automation: bool) -> list[str]:
    return [*CORE_COMPONENTS, *(IMAGE_AUTOMATION_COMPONENTS if image_automation else ())]


def instance_spec(
    args: FluxArgs, identities: Mapping[str, Mapping[str, pulumi.Input[str]]]
) -> dict[str, Any]:
    """The FluxInstance spec (flux-operator v1 API)."""
    return {
        "distribution": {"version": versions.FLUX, "registry": versions.FLUX_REGISTRY},
        "components": components(args.image_automation),
        "cluster": {
            "type": args.cluster_type,
            "size": args.size,
            "multitenant": args.multitenant,
            "networkPolicy": True,
        },
        "sync": sync_spec(args.source),
        "kustomize": {"patches": patches(args, identities)},
        "wait": True,
        "migrateResources": True,
    }


def sync_spec(source: FluxSource) -> dict[str, Any]:
    """`spec.sync`: the operator generates a source and a Kustomization, both named after the
    namespace. Refs a sync cannot express (semver, commit, digest) are patched in."""
    oci = source.is_oci
    sync: dict[str, Any] = {
        "kind": "OCIRepository" if oci else "GitRepository",
        "url": source.url,
        "ref": _sync_ref(source),
        "path": source.path,
        "interval": source.interval,
    }
    if source.credentials is not None:
        sync["pullSecret"] = PULL_SECRET
        if source.credentials.kind == "github-app":
            sync["provider"] = "github"
    if source.cloud_registry is not None:
        sync["provider"] = source.cloud_registry
    return sync


def _sync_ref(source: FluxSource) -> str:
    if source.ref_kind == "branch":
        return f"refs/heads/{source.ref}"
    if source.ref_kind == "tag":
        return source.ref if source.is_oci else f"refs/tags/{source.ref}"
    # Replaced as a whole by the ref patch (`source_ref_patch`); a ref name the template
    # renders safely either way.
    return "latest" if source.is_oci else "HEAD"


def source_ref_patch(source: FluxSource) -> dict[str, Any] | None:
    """A JSON patch replacing the generated source's `spec.ref`, for ref kinds the sync's
    ref name cannot express."""
    if source.ref_kind in ("branch", "tag"):
        return None
    kind = "OCIRepository" if source.is_oci else "GitRepository"
    return {
        "target": {"kind": kind},
        "patch": yaml.safe_dump(
            [{"op": "replace", "path": "/spec/ref", "value": {source.ref_kind: source.ref}}],
            sort_keys=False,
        ),
    }


def kustomization_patch(args: FluxArgs) -> dict[str, Any]:
    """The sync Kustomization substitutes the platform facts and decrypts SOPS."""
    operations: list[dict[str, Any]] = [
        {
            "op": "add",
            "path": "/spec/postBuild",
            "value": {"substituteFrom": [{"kind": "ConfigMap", "name": CONFIG_MAP}]},
        }
    ]
    if args.decryption is not None:
        decryption: dict[str, Any] = {"provider": "sops"}
        if args.decryption.age_key is not None:
            decryption["secretRef"] = {"name": AGE_SECRET}
        operations.append({"op": "add", "path": "/spec/decryption", "value": decryption})
    return {
        "target": {"kind": "Kustomization"},
        "patch": yaml.safe_dump(operations, sort_keys=False),
    }


def service_account_patch(
    service_account: str, annotations: Mapping[str, pulumi.Input[str]]
) -> dict[str, Any]:
    """Annotations a workload identity binding needs on a controller's service account."""
    keys = sorted(annotations)
    values = pulumi.Output.all(*(annotations[k] for k in keys))
    return {
        "target": {"kind": "ServiceAccount", "name": service_account},
        "patch": values.apply(
            lambda v: yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": service_account,
                        "annotations": dict(zip(keys, v, strict=True)),
                    },
                },
                sort_keys=False,
            )
        ),
    }


def patches(
    args: FluxArgs, identities: Mapping[str, Mapping[str, pulumi.Input[str]]]
) -> list[dict[str, Any]]:
    found = [kustomization_patch(args)]
    ref = source_ref_patch(args.source)
    if ref is not None:
        found.append(ref)
    found.extend(
        service_account_patch(account, annotations)
        for account, annotations in sorted(identities.items())
        if annotations
    )
    found.extend(
        requests_patch(controller, args.requests(controller))
        for controller in components(args.image_automation)
    )
    return found


def requests_patch(controller: str, resources: Resources) -> dict[str, Any]:
    """A JSON patch setting one controller's requests. The operator applies the instance's
    patches after its size profile (flux-operator v0.58.1 internal/controller/
    fluxinstance_controller.go), so these win over the profile's requests and leave its
    limits."""
    operations: list[dict[str, Any]] = [
        {
            "op": "add",
            "path": MANAGER_REQUESTS,
            "value": {"cpu": resources.cpu, "memory": resources.memory},
        }
    ]
    if resources.memory_limit is not None:
        operations.append(
            {
                "op": "add",
                "path": f"{MANAGER}/resources/limits/memory",
                "value": resources.memory_limit,
            }
        )
    return {
        "target": {"kind": "Deployment", "name": controller},
        "patch": yaml.safe_dump(operations, sort_keys=False),
    }


def controllers_monitor_spec(namespace: str) -> dict[str, Any]:
    """Every Flux controller pod of the namespace on its metrics port (the operator labels
    each controller `app.kubernetes.io/part-of: flux`; the manifests name port 8080
    `http-prom`; the instance's network policy admits scrapes on 8080 from any namespace)."""
    return {
        "namespaceSelector": {"matchNames": [namespace]},
        "selector": {"matchLabels": {CONTROLLER_LABEL: "flux"}},
        "podMetricsEndpoints": [{"port": METRICS_PORT}],
    }


def alert_spec(args: FluxArgs, notes: FluxNotifications) -> dict[str, Any]:
    """Failed reconciliations of every Kustomization and HelmRelease in the Flux namespace and
    the given namespaces (an event source matches one namespace; under the multi-tenant
    lockdown an Alert sees its own namespace only), and of the sync source."""
    namespaces = [args.namespace]
    if not args.multitenant:
        namespaces += [n for n in notes.namespaces if n != args.namespace]
    sources: list[dict[str, Any]] = [
        {"kind": kind, "name": "*", "namespace": namespace}
        for namespace in namespaces
        for kind in ("Kustomization", "HelmRelease")
    ]
    sources.append(
        {
            "kind": "OCIRepository" if args.source.is_oci else "GitRepository",
            "name": "*",
            "namespace": args.namespace,
        }
    )
    spec: dict[str, Any] = {
        "providerRef": {"name": NOTIFICATION_PROVIDER},
        "eventSeverity": notes.severity,
        "eventSources": sources,
    }
    if notes.metadata:
        spec["eventMetadata"] = dict(notes.metadata)
    return spec
