"""External Secrets Operator, the platform's ClusterSecretStore and secret replication.

On EKS and GKE the operator reads the cloud secret manager with the cluster's workload
identity (EKS Pod Identity, GKE Workload Identity), allowed to read only the secrets whose
names start with the stack's prefix. On an existing cluster the store uses static credentials
from secret config, or there is no cloud store at all.

Replication uses ESO's `ClusterExternalSecret`: one object per replicated secret stamps an
`ExternalSecret` into every selected namespace, each reading the same cloud secret, so the
cloud secret manager stays the single source and rotation reaches every copy on refresh.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.observability import scrapes
from kube_platform.components.validation import (
    AwsRegion,
    Duration,
    GcpProjectId,
    KubernetesName,
)

API_VERSION = "external-secrets.io/v1"
SERVICE_ACCOUNT = "external-secrets"
# Read-only access to one secret's value and metadata; nothing that lists or writes.
AWS_READ_ACTIONS = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:ListSecretVersionIds",
)
GCP_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
DEFAULT_RESOURCES: dict[str, Resources] = {
    "controller": Resources(cpu="20m", memory="64Mi"),
    "webhook": Resources(cpu="10m", memory="32Mi"),
    "cert-controller": Resources(cpu="10m", memory="64Mi"),
}


@dataclass(frozen=True)
class SecretStoreRef:
    """Where application `ExternalSecret`s read from: the store's name, the prefix every
    remote key is relative to, and the release whose CRDs and webhook the objects need.

    From another Pulumi project, build it from the platform stack's outputs
    (`secretStore`, `secretPrefix`) and leave `release` unset."""

    name: str
    prefix: pulumi.Input[str] = ""
    kind: Literal["ClusterSecretStore", "SecretStore"] = "ClusterSecretStore"
    release: pulumi.Resource | None = None
    # The store object itself, when it is created in the same program.
    resource: pulumi.Resource | None = None

    @property
    def dependencies(self) -> list[pulumi.Resource]:
        """What an ExternalSecret reading this store waits for: the operator's CRDs and
        webhook, and the store, without which the first sync fails and backs off."""
        return [r for r in (self.release, self.resource) if r is not None]


def external_secret(
    name: str,
    *,
    store: SecretStoreRef,
    namespace: pulumi.Input[str],
    data: Mapping[str, str | tuple[str, str]] | None = None,
    extract: Sequence[str] = (),
    target: str | None = None,
    secret_type: str | None = None,
    template: Mapping[str, Any] | None = None,
    refresh_interval: str = "1h",
    resource_name: str | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.apiextensions.CustomResource:
    """Declare an `ExternalSecret` that keeps the Kubernetes Secret `target` (default: `name`)
    in `namespace` in sync with the cloud secret manager.

    `data` maps a Secret key to a remote key, or to `(remote key, JSON property)`; `extract`
    lists remote keys holding JSON objects whose every field becomes a Secret key. Remote keys
    are relative to `store.prefix`. `template` goes into `target.template` beside
    `secret_type` (e.g. `engineVersion`, `data`, `metadata`). The Pulumi resource is named
    `resource_name`, default `name`. Pass the cluster's provider in `opts`."""
    data = data or {}
    if not data and not extract:
        raise ConfigurationError(
            f"external secret '{name}' names no remote keys; give data or extract"
        )

    def remote(key: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(store.prefix, key)

    entries = []
    for secret_key, ref in data.items():
        key, prop = (ref, None) if isinstance(ref, str) else ref
        entries.append(
            {
                "secretKey": secret_key,
                "remoteRef": {"key": remote(key), **({"property": prop} if prop else {})},
            }
        )
    target_spec: dict[str, Any] = {"name": target or name, "creationPolicy": "Owner"}
    target_template = {**({"type": secret_type} if secret_type else {}), **(template or {})}
    if target_template:
        target_spec["template"] = target_template
    spec: dict[str, Any] = {
        "refreshInterval": refresh_interval,
        "secretStoreRef": {"kind": store.kind, "name": store.name},
        "target": target_spec,
    }
    if entries:
        spec["data"] = entries
    if extract:
        spec["dataFrom"] = [{"extract": {"key": remote(key)}} for key in extract]
    depends = pulumi.ResourceOptions(depends_on=store.dependencies)
    return k8s.apiextensions.CustomResource(
        resource_name or name,
        api_version=API_VERSION,
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=spec,
        opts=pulumi.ResourceOptions.merge(opts, depends),
    )


class StaticStoreArgs(BaseModel):
    """A cloud secret manager reached with static credentials (existing clusters)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    cloud: Literal["aws", "gcp"] = Field(description="Which cloud's secret manager.")
    region: AwsRegion | None = Field(None, description="AWS region (aws).")
    project: GcpProjectId | None = Field(None, description="Google Cloud project id (gcp).")
    # Secret Outputs: the AWS key pair, or a Google service account JSON key.
    access_key_id: Any = Field(None, description="AWS access key id (secret Output).")
    secret_access_key: Any = Field(None, description="AWS secret access key (secret Output).")
    service_account_key: Any = Field(None, description="GCP JSON key (secret Output).")

    @model_validator(mode="after")
    def _complete(self) -> StaticStoreArgs:
        if self.cloud == "aws" and (
            not self.region or self.access_key_id is None or self.secret_access_key is None
        ):
            raise ValueError("an aws store needs region, access_key_id and secret_access_key")
        if self.cloud == "gcp" and (not self.project or self.service_account_key is None):
            raise ValueError("a gcp store needs project and service_account_key")
        return self


class ReplicatedSecret(BaseModel):
    """A cloud secret copied into every selected namespace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: KubernetesName = Field(description="Name of the Secret in every target namespace.")
    key: str = Field(description="Remote key, relative to the prefix (a JSON object).")
    namespaces: tuple[KubernetesName, ...] = Field((), description="Target namespaces by name.")
    namespace_labels: dict[str, str] = Field({}, description="Target namespaces by labels.")
    secret_type: str | None = Field(None, description="Secret type; default Opaque.")
    refresh_interval: Duration = Field("1h", description="Refresh interval of the copies.")

    @model_validator(mode="after")
    def _targets(self) -> ReplicatedSecret:
        if not self.namespaces and not self.namespace_labels:
            raise ValueError(f"replicated secret '{self.name}' has no target namespaces")
        return self


class SecretsArgs(BaseModel):
    """The External Secrets Operator, the `ClusterSecretStore` limited to one name prefix,
    and the secrets replicated into several namespaces."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field(
        "external-secrets", description="Namespace of the operator."
    )
    store_name: KubernetesName = Field("platform", description="Name of the ClusterSecretStore.")
    prefix: str = Field(
        description="Name prefix (with separator) of the secrets the cluster may read."
    )
    cloud_store: bool = Field(
        True,
        description="On EKS/GKE, create the workload-identity store. Without `static_store` "
        "an existing cluster gets no cloud store either way.",
    )
    gcp_project: GcpProjectId | None = Field(None, description="Project of the secrets (GKE).")
    static_store: StaticStoreArgs | None = Field(
        None, description="Static-credential store for an existing cluster."
    )
    store_namespaces: tuple[KubernetesName, ...] = Field(
        (), description="Namespaces allowed to use the store (besides replication targets)."
    )
    replicated: tuple[ReplicatedSecret, ...] = Field((), description="Replicated secrets.")
    high_availability: bool = Field(False, description="Two replicas of each deployment.")
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(
        None, description="With it, the chart's ServiceMonitors are on and wait for them."
    )
    resources: dict[str, Resources] = Field(
        DEFAULT_RESOURCES, description=f"Requests per workload: {', '.join(DEFAULT_RESOURCES)}."
    )
    extra_values: dict[str, Any] = Field({}, description="Extra chart values (escape hatch).")


class Secrets(pulumi.ComponentResource):
    """External Secrets Operator with a ClusterSecretStore scoped to the stack's secrets: the
    cluster's own cloud secret manager through workload identity, or a static store.

    Outputs:

    - `release`: the External Secrets release.
    - `store`: the cloud store (a `SecretStoreRef` for `external_secret`), or None when the
      cluster has none.
    """

    store: SecretStoreRef | None
    """The cloud store; None when the cluster has none."""
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: SecretsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install External Secrets in `cluster` with the store and replicated secrets of
        `args`; `name` prefixes every child's name. `opts` applies to the component itself."""
        super().__init__("platform:index:Secrets", name, None, opts)
        self._cluster = cluster
        self._args = args
        cloud = self._store_cloud()
        if args.replicated and cloud is None:
            raise ConfigurationError(
                "replicated secrets read from the cloud secret store, which this cluster "
                "does not have; configure a store or drop the replicated secrets"
            )

        namespace = platform_namespace(cluster, args.namespace, self)
        annotations: dict[str, pulumi.Input[str]] = {}
        ready: list[pulumi.Resource] = [namespace]
        if cloud is not None and args.static_store is None:
            annotations, ready = self._bind_identity(cloud, ready)
        if args.monitoring_crds is not None:
            ready = [*ready, args.monitoring_crds]

        self.release = helm_release(
            cluster,
            f"{name}-eso",
            versions.EXTERNAL_SECRETS,
            namespace=args.namespace,
            values=self._values(annotations),
            extra_values=args.extra_values,
            parent=self,
            depends_on=ready,
        )

        self.store = None
        if cloud is not None:
            store = self._cluster_store(cloud)
            self.store = SecretStoreRef(
                args.store_name, args.prefix, release=self.release, resource=store
            )
            for replicated in args.replicated:
                self._replicate(replicated, self.store)

        self.register_outputs(
            {
                "storeName": args.store_name if self.store else None,
                "prefix": args.prefix,
                "release": self.release.name,
            }
        )

    def _store_cloud(self) -> Literal["aws", "gcp"] | None:
        if self._args.static_store is not None:
            return self._args.static_store.cloud
        cloud = self._cluster.cloud
        return cloud if cloud in ("aws", "gcp") and self._args.cloud_store else None

    # --- identity -------------------------------------------------------------------------

    def _bind_identity(
        self, cloud: str, ready: list[pulumi.Resource]
    ) -> tuple[dict[str, pulumi.Input[str]], list[pulumi.Resource]]:
        cluster, args = self._cluster, self._args
        request = WorkloadIdentityRequest(
            name="external-secrets",
            namespace=args.namespace,
            service_account=SERVICE_ACCOUNT,
            aws_policy=self._aws_policy() if cloud == "aws" else None,
        )
        identity = cluster.bind_workload_identity(request, self)
        ready = [*ready, *identity.ready]
        if cloud == "gcp":
            ready.append(self._gcp_grant(identity.principal))
        return identity.service_account_annotations, ready

    def _aws_policy(self) -> pulumi.Output[str]:
        opts = pulumi.InvokeOptions(provider=self._cluster.cloud_provider)
        account = aws.get_caller_identity_output(opts=opts).account_id
        region, prefix = self._cluster.region, self._args.prefix
        arn_partition = partition(region or "")
        return account.apply(
            lambda account_id: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadStackSecrets",
                            "Effect": "Allow",
                            "Action": list(AWS_READ_ACTIONS),
                            "Resource": f"arn:{arn_partition}:secretsmanager:{region}:"
                            f"{account_id}:secret:{prefix}*",
                        }
                    ],
                }
            )
        )

    def _gcp_grant(self, principal: pulumi.Output[str]) -> gcp.projects.IAMMember:
        """Secret Accessor on the project, limited by an IAM condition to the stack's secrets.
        Secret resource names in conditions carry the project number."""
        cluster, args = self._cluster, self._args
        if not args.gcp_project:
            raise ConfigurationError("the GCP secret store needs the project of its secrets")
        number = gcp.organizations.get_project_output(
            project_id=args.gcp_project,
            opts=pulumi.InvokeOptions(provider=cluster.cloud_provider),
        ).number
        return gcp.projects.IAMMember(
            f"{self._name}-secret-accessor",
            project=args.gcp_project,
            role=GCP_ACCESSOR_ROLE,
            member=principal.apply(_gcp_member),
            condition=gcp.projects.IAMMemberConditionArgs(
                title="stack-secrets-only",
                description=f"Only secrets named {args.prefix}*",
                expression=number.apply(
                    lambda n: f'resource.name.startsWith("projects/{n}/secrets/{args.prefix}")'
                ),
            ),
            opts=cluster.cloud_opts(self),
        )

    # --- chart ----------------------------------------------------------------------------

    def _values(self, annotations: dict[str, pulumi.Input[str]]) -> dict[str, Any]:
        replicas = 2 if self._args.high_availability else 1
        ha = self._args.high_availability
        values: dict[str, Any] = {
            "installCRDs": True,
            # v1 only: the deprecated v1beta1 API stays unserved.
            "crds": {"unsafeServeV1Beta1": False},
            "replicaCount": replicas,
            # Without it every replica reconciles (controller and cert controller alike).
            "leaderElect": ha,
            "podDisruptionBudget": {"enabled": ha},
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": annotations,
            },
            # The store only grants reads; pushing secrets back to the cloud is not offered.
            "processPushSecret": False,
            "processClusterPushSecret": False,
            "webhook": {"replicaCount": replicas, "podDisruptionBudget": {"enabled": ha}},
            "certController": {"replicaCount": replicas, "podDisruptionBudget": {"enabled": ha}},
        }
        requests = {**DEFAULT_RESOURCES, **self._args.resources}
        values["resources"] = requests["controller"].values()
        values["webhook"]["resources"] = requests["webhook"].values()
        values["certController"]["resources"] = requests["cert-controller"].values()
        if self._args.monitoring_crds is not None:
            values |= scrapes.external_secrets_values()
        return values

    # --- store ----------------------------------------------------------------------------

    def _cluster_store(self, cloud: str) -> k8s.apiextensions.CustomResource:
        cluster, args = self._cluster, self._args
        static = args.static_store
        if static is None:
            # Ambient credentials: the controller's own service account carries the identity.
            provider = (
                {"aws": {"service": "SecretsManager", "region": cluster.region}}
                if cloud == "aws"
                else {"gcpsm": {"projectID": args.gcp_project}}
            )
        else:
            provider = self._static_provider(static)
        spec: dict[str, Any] = {"provider": provider, "conditions": self._conditions()}
        return k8s.apiextensions.CustomResource(
            f"{self._name}-store",
            api_version=API_VERSION,
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.store_name),
            spec=spec,
            opts=cluster.child_opts(self, depends_on=[self.release]),
        )

    def _conditions(self) -> list[dict[str, Any]]:
        """Only the listed namespaces and the replication targets may use the store."""
        args = self._args
        names = sorted(
            {*args.store_namespaces, *(n for r in args.replicated for n in r.namespaces)}
        )
        conditions: list[dict[str, Any]] = []
        if names:
            conditions.append({"namespaces": names})
        conditions.extend(
            {"namespaceSelector": {"matchLabels": dict(r.namespace_labels)}}
            for r in args.replicated
            if r.namespace_labels
        )
        if not conditions:
            # No consumer yet: only the operator's own namespace, i.e. closed to applications.
            conditions.append({"namespaces": [args.namespace]})
        return conditions

    def _static_provider(self, static: StaticStoreArgs) -> dict[str, Any]:
        credentials = f"{self._args.store_name}-store-credentials"
        ref = {"name": credentials, "namespace": self._args.namespace}
        if static.cloud == "aws":
            data = {
                "access-key-id": pulumi.Output.secret(static.access_key_id),
                "secret-access-key": pulumi.Output.secret(static.secret_access_key),
            }
        else:
            data = {"service-account-key": pulumi.Output.secret(static.service_account_key)}
        k8s.core.v1.Secret(
            f"{self._name}-store-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=credentials, namespace=self._args.namespace),
            type="Opaque",
            string_data=data,
            opts=self._cluster.child_opts(self, depends_on=[self.release]),
        )
        if static.cloud == "aws":
            return {
                "aws": {
                    "service": "SecretsManager",
                    "region": static.region,
                    "auth": {
                        "secretRef": {
                            "accessKeyIDSecretRef": {**ref, "key": "access-key-id"},
                            "secretAccessKeySecretRef": {**ref, "key": "secret-access-key"},
                        }
                    },
                }
            }
        return {
            "gcpsm": {
                "projectID": static.project,
                "auth": {
                    "secretRef": {"secretAccessKeySecretRef": {**ref, "key": "service-account-key"}}
                },
            }
        }

    # --- replication ----------------------------------------------------------------------

    def _replicate(self, replicated: ReplicatedSecret, store: SecretStoreRef) -> None:
        selectors: list[dict[str, Any]] = []
        if replicated.namespaces:
            selectors.append(
                {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "In",
                            "values": list(replicated.namespaces),
                        }
                    ]
                }
            )
        if replicated.namespace_labels:
            selectors.append({"matchLabels": dict(replicated.namespace_labels)})
        target: dict[str, Any] = {"name": replicated.name, "creationPolicy": "Owner"}
        if replicated.secret_type:
            target["template"] = {"type": replicated.secret_type}
        k8s.apiextensions.CustomResource(
            f"{self._name}-replicate-{replicated.name}",
            api_version=API_VERSION,
            kind="ClusterExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=replicated.name),
            spec={
                "externalSecretName": replicated.name,
                "namespaceSelectors": selectors,
                "refreshTime": "1m",
                "externalSecretSpec": {
                    "refreshInterval": replicated.refresh_interval,
                    "secretStoreRef": {
                        "kind": "ClusterSecretStore",
                        "name": self._args.store_name,
                    },
                    "target": target,
                    "dataFrom": [{"extract": {"key": f"{self._args.prefix}{replicated.key}"}}],
                },
            },
            # Like every ExternalSecret it stamps out, it reads the store.
            opts=self._cluster.child_opts(self, depends_on=store.dependencies),
        )


def _gcp_member(principal: str) -> str:
    """An IAM member from a workload identity principal (a service account e-mail, or an
    already-typed member such as `principal://...`)."""
    return principal if ":" in principal else f"serviceAccount:{principal}"
