"""Argo CD: the argo-cd chart, a repository Secret, the in-cluster cluster Secret carrying the
platform facts for ApplicationSet generators, and a root Application that syncs this stack's
path with automated sync, prune and self-heal. The UI is reachable only through the platform
Gateway over HTTPS, and only when asked for.

Argo CD has no SOPS decryption: secrets come from the cloud secret manager through External
Secrets (an `ExternalSecret` in Git against the platform's `ClusterSecretStore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster
from kube_platform.components.gitops.credentials import (
    argocd_layout,
    credentials_secret,
)
from kube_platform.components.gitops.facts import KEY_PREFIX, LABEL_FACTS, check_names
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources, check_workloads, requests_of
from kube_platform.components.kubernetes.scheduling import spread_constraints
from kube_platform.components.observability.scrapes import gitops_monitoring_values
from kube_platform.components.traffic.gateway_api import (
    GatewayRef,
    gateway_resource,
    route_namespace_labels,
)
from kube_platform.components.validation import KubernetesName, RepositoryPath

API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
REPOSITORY_SECRET = "fleet-repository"
ARGOCD_NAMESPACE = "argocd"
# The chart names its objects `<release>-<nameOverride>` unless the release name contains the
# name (argo-helm charts/argo-cd templates/_common.tpl, `argo-cd.fullname`); the platform's
# release is `argo-cd`, so it fixes the prefix to Argo CD's own: argocd-server,
# argocd-server-metrics, ... (what Argo CD's docs, CLI and dashboard expect).
FULLNAME = "argocd"
SERVER_SERVICE = f"{FULLNAME}-server"
# Requests per workload, and where the chart keeps each one's `resources`.
DEFAULT_RESOURCES: dict[str, Resources] = {
    "argocd-application-controller": Resources(cpu="250m", memory="512Mi"),
    "argocd-repo-server": Resources(cpu="50m", memory="128Mi"),
    "argocd-server": Resources(cpu="50m", memory="128Mi"),
    "argocd-applicationset-controller": Resources(cpu="20m", memory="64Mi"),
    "argocd-notifications-controller": Resources(cpu="10m", memory="48Mi"),
    "argocd-redis": Resources(cpu="50m", memory="64Mi"),
    "argocd-redis-ha": Resources(cpu="50m", memory="64Mi"),
    "argocd-redis-ha-sentinel": Resources(cpu="10m", memory="24Mi"),
    "argocd-redis-ha-split-brain-fix": Resources(cpu="5m", memory="16Mi"),
    "argocd-redis-ha-haproxy": Resources(cpu="20m", memory="64Mi"),
}
WORKLOADS = tuple(DEFAULT_RESOURCES)
_VALUE_PATHS = {
    "argocd-application-controller": ("controller",),
    "argocd-repo-server": ("repoServer",),
    "argocd-server": ("server",),
    "argocd-applicationset-controller": ("applicationSet",),
    "argocd-notifications-controller": ("notifications",),
    "argocd-redis": ("redis",),
}
# With high availability the redis-ha sub-chart (4.38.0, values.yaml) replaces Redis: its
# server StatefulSet runs redis, sentinel and split-brain-fix containers, beside HAProxy.
_HA_VALUE_PATHS = {
    "argocd-redis-ha": ("redis-ha", "redis"),
    "argocd-redis-ha-sentinel": ("redis-ha", "sentinel"),
    "argocd-redis-ha-split-brain-fix": ("redis-ha", "splitBrainDetection"),
    "argocd-redis-ha-haproxy": ("redis-ha", "haproxy"),
}


@dataclass(frozen=True)
class ArgoCdRoute:
    """Serve the UI at `hostname` through `gateway`: the Gateway's HTTPS listener for that
    hostname, which admits routes from Argo CD's namespace only."""

    hostname: str
    gateway: GatewayRef
    # What installs the Gateway API CRDs.
    gateway_api: pulumi.Resource


class ArgoCdArgs(BaseModel):
    """Argo CD and the root Application that syncs this cluster's path of the fleet
    repository, with the platform facts for ApplicationSets and an optional UI route."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field(ARGOCD_NAMESPACE, description="Namespace of Argo CD.")
    repository_url: str = Field(description="https:// or ssh:// URL of the fleet repository.")
    revision: str = Field("main", description="Branch, tag or commit to sync.")
    path: RepositoryPath = Field(description="Directory of this cluster's entry point.")
    # RepositoryCredentials | None (a dataclass holding Outputs, so not validated here).
    credentials: Any = Field(None, description="Credentials for a private repository.")
    facts: dict[str, Any] = Field({}, description="Platform facts for ApplicationSets.")
    high_availability: bool = Field(False, description="Replicated components and Redis HA.")
    admin: Literal["random", "disabled"] = Field(
        "random", description="Generated admin password, or no local admin."
    )
    # ArgoCdRoute | None
    route: Any = Field(None, description="Expose the UI through the Gateway.")
    depends_on: tuple[Any, ...] = Field((), description="Resources to wait for (a store).")
    # pulumi.Resource | None: what installs the Prometheus Operator CRDs, when monitoring is on.
    monitoring_crds: Any = Field(
        None, description="Install the chart's ServiceMonitors, after these monitoring CRDs."
    )
    resources: dict[str, Resources] = Field(
        DEFAULT_RESOURCES, description=f"Requests per workload: {', '.join(WORKLOADS)}."
    )
    extra_values: dict[str, Any] = Field({}, description="Extra argo-cd chart values.")

    @model_validator(mode="after")
    def _known_workloads(self) -> ArgoCdArgs:
        check_workloads(self.resources, DEFAULT_RESOURCES)
        return self


class ArgoCd(pulumi.ComponentResource):
    """Argo CD syncing this cluster from Git: automated sync, prune and self-heal of the
    root Application.

    Outputs:

    - `release`: the argo-cd release.
    - `root`: the root Application.
    """

    release: k8s.helm.v3.Release
    root: k8s.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: ArgoCdArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install Argo CD in `cluster` syncing the repository and path of `args`; `name`
        prefixes every child's name. `opts` applies to the component itself."""
        super().__init__("platform:index:ArgoCd", name, None, opts)
        check_names(args.facts)
        # The Gateway admits the UI's route only from a namespace the platform marks.
        labels = route_namespace_labels() if args.route is not None else {}
        # redis-ha's pods are not known to meet `restricted`; baseline, warning on restricted.
        namespace = platform_namespace(
            cluster,
            args.namespace,
            self,
            pod_security="baseline" if args.high_availability else "restricted",
            labels=labels,
        )
        before: list[pulumi.Resource] = [namespace, *args.depends_on]
        if args.credentials is not None:
            layout = argocd_layout(
                args.credentials,
                args.repository_url,
                name=REPOSITORY_SECRET,
                namespace=args.namespace,
            )
            before.append(
                credentials_secret(
                    cluster,
                    f"{name}-repository",
                    layout,
                    args.credentials.secret,
                    parent=self,
                    depends_on=[namespace],
                )
            )
        self.release = helm_release(
            cluster,
            f"{name}-argo-cd",
            versions.ARGO_CD,
            namespace=args.namespace,
            values=merge_values(
                argocd_values(args),
                gitops_monitoring_values("argocd") if args.monitoring_crds is not None else {},
            ),
            extra_values=args.extra_values,
            parent=self,
            depends_on=[*before, *([args.monitoring_crds] if args.monitoring_crds else [])],
        )
        k8s.core.v1.Secret(
            f"{name}-in-cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="in-cluster",
                namespace=args.namespace,
                labels={
                    "argocd.argoproj.io/secret-type": "cluster",
                    **{f"{KEY_PREFIX}{k}": args.facts[k] for k in LABEL_FACTS if k in args.facts},
                },
                annotations={f"{KEY_PREFIX}{k}": v for k, v in sorted(args.facts.items())},
            ),
            type="Opaque",
            # Argo CD's declarative in-cluster entry: no credentials, its own service account.
            string_data={
                "name": "in-cluster",
                "server": IN_CLUSTER,
                "config": '{"tlsClientConfig":{"insecure":false}}',
            },
            opts=cluster.child_opts(self, depends_on=[namespace]),
        )
        self.root = k8s.apiextensions.CustomResource(
            f"{name}-root",
            api_version=API_VERSION,
            kind="Application",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="platform-root", namespace=args.namespace),
            spec=root_application_spec(args),
            opts=cluster.child_opts(self, depends_on=[self.release]),
        )
        if args.route is not None:
            self._route(cluster, args.route, args.namespace)
        self.register_outputs({"namespace": args.namespace, "release": self.release.name})

    def _route(self, cluster: Cluster, route: ArgoCdRoute, namespace: str) -> None:
        gateway_resource(
            cluster,
            f"{self._name}-route",
            kind="HTTPRoute",
            metadata={"name": SERVER_SERVICE, "namespace": namespace},
            spec={
                "parentRefs": [route.gateway.parent_ref()],
                "hostnames": [route.hostname],
                "rules": [{"backendRefs": [{"name": SERVER_SERVICE, "port": 80}]}],
            },
            parent=self,
            depends_on=[route.gateway_api, self.release],
        )


def argocd_values(args: ArgoCdArgs) -> dict[str, Any]:
    """argo-cd chart values (keys from the chart's values.yaml)."""
    cm: dict[str, Any] = {"admin.enabled": args.admin == "random", "exec.enabled": False}
    values: dict[str, Any] = {
        "fullnameOverride": FULLNAME,
        "crds": {"install": True, "keep": True},
        "configs": {"cm": cm, "params": {}},
        # No SSO is configured by the platform; Dex is enabled with one through extra values.
        "dex": {"enabled": False},
    }
    credentials = args.credentials
    if credentials is not None and credentials.known_hosts:
        # Argo CD checks SSH host keys against argocd-ssh-known-hosts-cm.
        values["configs"]["ssh"] = {"extraHosts": credentials.known_hosts}
    if args.route is not None:
        values["global"] = {"domain": args.route.hostname}
        cm["url"] = f"https://{args.route.hostname}"
        # TLS ends at the Gateway; the server speaks plain HTTP behind it.
        values["configs"]["params"]["server.insecure"] = True
    if args.high_availability:
        values |= {
            "redis-ha": {"enabled": True},
            "controller": {"replicas": 1},
            "server": _replicated("argocd-server"),
            "repoServer": _replicated("argocd-repo-server"),
            "applicationSet": _replicated("argocd-applicationset-controller"),
        }
    return merge_values(values, _resources_values(args))


def _resources_values(args: ArgoCdArgs) -> dict[str, Any]:
    """Each running workload's `resources`, at the chart key that holds it."""
    paths = {**_VALUE_PATHS, **(_HA_VALUE_PATHS if args.high_availability else {})}
    if args.high_availability:
        del paths["argocd-redis"]
    values: dict[str, Any] = {}
    for workload, path in paths.items():
        node = values
        for key in path:
            node = node.setdefault(key, {})
        node["resources"] = requests_of(workload, args.resources, DEFAULT_RESOURCES).values()
    return values


def _replicated(component: str) -> dict[str, Any]:
    return {
        "replicas": 2,
        "pdb": {"enabled": True, "minAvailable": 1},
        "topologySpreadConstraints": spread_constraints({"app.kubernetes.io/name": component}),
    }


def root_application_spec(args: ArgoCdArgs) -> dict[str, Any]:
    """The root Application: this stack's path, synced automatically with prune and
    self-heal. No cascade finalizer: deleting it leaves what Git created running."""
    return {
        "project": "default",
        "source": {
            "repoURL": args.repository_url,
            "targetRevision": args.revision,
            "path": args.path,
        },
        "destination": {"server": IN_CLUSTER, "namespace": args.namespace},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["ServerSideApply=true"],
        },
    }
