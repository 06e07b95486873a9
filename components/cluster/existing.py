"""A cluster someone else runs (kind, k3d, a shared cluster), reached through a kubeconfig."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.cluster.base import Cluster
from kube_platform.components.validation import KubernetesVersion


class ExistingClusterArgs(BaseModel):
    """How to reach the cluster. Give kubeconfig content, a kubeconfig file, a context, or a
    file and a context; with none, the provider uses `$KUBECONFIG` or `~/.kube/config`."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kubernetes_version: KubernetesVersion = Field(
        description="Kubernetes minor version the cluster runs, e.g. `1.35`."
    )
    context: str | None = Field(None, description="Kubeconfig context to use.")
    kubeconfig_path: str | None = Field(None, description="Path of a kubeconfig file.")
    # str or Output[str]; typed loosely because pydantic cannot validate Outputs.
    kubeconfig: Any = Field(None, description="Kubeconfig content; pass a secret Output.")
    zones: tuple[str, ...] = Field((), description="Zones the cluster's nodes span, if known.")
    database_storage_class: str = Field(
        "standard", description="StorageClass for database volumes (should retain volumes)."
    )

    @model_validator(mode="after")
    def _one_kubeconfig_source(self) -> ExistingClusterArgs:
        if self.kubeconfig is not None and self.kubeconfig_path is not None:
            raise ValueError("give either kubeconfig content or kubeconfig_path, not both")
        return self


class ExistingCluster(Cluster):
    """A cluster someone else runs (kind, k3d, a shared cluster) behind the `Cluster`
    contract. The platform creates nothing cloud-side and deletes nothing of the cluster.

    Outputs: the contract's `provider` (a `kubernetes.Provider` for the kubeconfig and
    context), `kubeconfig` (secret; the content when given, else empty), `cluster_name` (the
    context, else the component name), `endpoint` (the server of the context in kubeconfig
    content, else empty), `zones`, `kubernetes_version` and `database_storage_class`.
    `cloud_provider` and `region` are None.

    It has no cloud workload identity: `bind_workload_identity` and `cloud_opts` raise a
    `ConfigurationError`.
    """

    cloud = "existing"

    def __init__(
        self,
        name: str,
        args: ExistingClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Reach the cluster described by `args` under the component name `name`. `opts`
        applies to the component itself."""
        super().__init__("platform:index:ExistingCluster", name, None, opts)

        content = pulumi.Output.secret(args.kubeconfig) if args.kubeconfig is not None else None
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=content if content is not None else args.kubeconfig_path,
            context=args.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Without content there is nothing to hand downstream but the context name.
        self.kubeconfig = content if content is not None else pulumi.Output.secret("")
        self.cluster_name = pulumi.Output.from_input(args.context or name)
        self.endpoint = (
            pulumi.Output.unsecret(content.apply(lambda c: _server(c, args.context)))
            if content is not None
            else pulumi.Output.from_input("")
        )
        self.zones = list(args.zones)
        self.kubernetes_version = args.kubernetes_version
        self.database_storage_class = args.database_storage_class
        self.workload_dependencies = []
        self.deletion_anchor = None
        self.cloud_provider = None
        self.region = None

        self.register_outputs(
            {"kubeconfig": self.kubeconfig, "endpoint": self.endpoint, "name": self.cluster_name}
        )


def _server(kubeconfig: str, context: str | None) -> str:
    """The API server URL of `context` (or the current context) in kubeconfig content."""
    try:
        doc = yaml.safe_load(kubeconfig) or {}
    except yaml.YAMLError:
        return ""
    if not isinstance(doc, dict):
        return ""
    context_name = context or doc.get("current-context")
    contexts = {c.get("name"): c.get("context", {}) for c in doc.get("contexts") or []}
    cluster_name = contexts.get(context_name, {}).get("cluster")
    clusters = {c.get("name"): c.get("cluster", {}) for c in doc.get("clusters") or []}
    return clusters.get(cluster_name, {}).get("server", "")
