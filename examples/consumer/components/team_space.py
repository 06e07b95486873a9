"""A namespace for one team, with a quota on what its workloads may request."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from kube_platform.components.cluster import Cluster
from kube_platform.components.validation import CpuAmount, KubernetesName, MemorySize
from pydantic import BaseModel, ConfigDict, Field


class TeamSpaceArgs(BaseModel):
    """The team's namespace and its resource quota."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: KubernetesName = Field(description="Namespace of the team.")
    cpu: CpuAmount = Field("4", description="CPU the team's pods may request in total.")
    memory: MemorySize = Field("8Gi", description="Memory the team's pods may request in total.")


class TeamSpace(pulumi.ComponentResource):
    """A team's namespace with a ResourceQuota, in any cluster behind kube-platform's contract.

    Outputs:

    - `namespace`: the Namespace resource.
    """

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: TeamSpaceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the namespace and quota of `args` in `cluster`; `name` prefixes the
        children's names."""
        super().__init__("consumer:index:TeamSpace", name, None, opts)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={"pod-security.kubernetes.io/enforce": "restricted"},
            ),
            opts=cluster.child_opts(self),
        )
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="team", namespace=args.namespace),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(
                hard={"requests.cpu": args.cpu, "requests.memory": args.memory}
            ),
            opts=cluster.child_opts(self, depends_on=[self.namespace]),
        )
        self.register_outputs({"namespace": args.namespace})
