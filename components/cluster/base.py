"""The cluster contract: what every in-cluster component may rely on, on any cloud.

In-cluster components take a `Cluster` and nothing cloud-specific. Each implementation (an
existing cluster, EKS, GKE) provides an explicit Kubernetes provider, a secret kubeconfig, the
cluster's identity facts and, where the cloud has one, a way to bind a Kubernetes service
account to a cloud identity so workloads never hold static cloud keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components.errors import ConfigurationError

Cloud = Literal["aws", "gcp", "existing"]


@dataclass(frozen=True)
class WorkloadIdentityRequest:
    """The cloud permissions one Kubernetes service account needs.

    `name` is a short logical name, unique within the cluster; the cloud resources created for
    the binding derive their names from it. Each cloud reads its own fields and ignores the
    other's, so one request serves every cloud.
    """

    name: str
    namespace: str
    service_account: str
    # AWS: an IAM policy document (JSON) attached inline to the role the workload assumes.
    aws_policy: pulumi.Input[str] | None = None
    # AWS: "pod-identity" (the default) or "irsa" for charts that only support web identity.
    aws_mechanism: Literal["pod-identity", "irsa"] = "pod-identity"
    # GCP: roles granted to the workload's Google service account on the cluster's project.
    gcp_project_roles: Sequence[str] = ()


@dataclass(frozen=True)
class WorkloadIdentity:
    """What a bound service account needs and what other resources grant permissions to."""

    # Annotations to put on the Kubernetes ServiceAccount (empty for EKS Pod Identity).
    service_account_annotations: dict[str, pulumi.Input[str]]
    # The cloud principal: an IAM role ARN on AWS, a Google service account e-mail on GCP.
    principal: pulumi.Output[str]
    # Resources that must exist before a pod using the service account starts.
    ready: list[pulumi.Resource] = field(default_factory=list)


class Cluster(pulumi.ComponentResource):
    """The contract every cluster implementation fulfils (`ExistingCluster`, `EksCluster`,
    `GkeCluster`); in-cluster components take one of these and nothing cloud-specific.

    Attributes: `cloud` (`aws`, `gcp` or `existing`), `provider` (the explicit Kubernetes
    provider), `kubeconfig` (a secret Output), `cluster_name`, `endpoint`, `zones`,
    `kubernetes_version`, `database_storage_class`, `workload_dependencies`,
    `deletion_anchor`, `cloud_provider` and `region`. Methods: `bind_workload_identity`,
    `cloud_opts` and `child_opts`.
    """

    cloud: ClassVar[Cloud]

    provider: k8s.Provider
    """The explicit Kubernetes provider every in-cluster resource must use."""
    kubeconfig: pulumi.Output[str]
    """A secret kubeconfig; exec-based on clouds, so no token is stored in state."""
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    zones: list[str]
    kubernetes_version: str
    database_storage_class: str
    """A StorageClass with `reclaimPolicy: Retain` and volume expansion, for databases."""
    workload_dependencies: list[pulumi.Resource]
    """Resources (node pools, add-ons) that must exist before workloads are scheduled."""
    deletion_anchor: pulumi.Resource | None
    """The cloud cluster resource; in-cluster resources are `deleted_with` it. None when the
    platform does not own the cluster, so a destroy still cleans up what it installed."""
    cloud_provider: pulumi.ProviderResource | None
    """The explicit `aws.Provider` or `gcp.Provider` for cloud resources; None on an existing
    cluster. Default providers are disabled, so cloud resources must use this one."""
    region: str | None
    """The cloud region; None on an existing cluster."""

    def bind_workload_identity(
        self, request: WorkloadIdentityRequest, parent: pulumi.Resource
    ) -> WorkloadIdentity:
        """Bind a Kubernetes service account to a cloud identity with the requested rights."""
        raise ConfigurationError(
            f"{request.namespace}/{request.service_account} needs a cloud workload identity, "
            f"but cluster '{self._name}' is a {self.cloud} cluster, which has none. Disable the "
            "feature that needs it, or give it static credentials through secret config."
        )

    def cloud_opts(self, parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
        """Options for a cloud resource (bucket, key, role) that belongs to this cluster."""
        if self.cloud_provider is None:
            raise ConfigurationError(
                f"cluster '{self._name}' is an existing cluster with no cloud account; "
                "the feature asking for a cloud resource needs an EKS or GKE cluster"
            )
        return pulumi.ResourceOptions(parent=parent, provider=self.cloud_provider, **kwargs)

    def child_opts(
        self,
        parent: pulumi.Resource,
        *,
        depends_on: Sequence[pulumi.Resource] = (),
        **kwargs,
    ) -> pulumi.ResourceOptions:
        """Options for a Kubernetes resource in this cluster: its provider, ordering after the
        nodes that will run it, and deletion together with the cluster."""
        return pulumi.ResourceOptions(
            parent=parent,
            provider=self.provider,
            depends_on=[*self.workload_dependencies, *depends_on],
            deleted_with=self.deletion_anchor,
            **kwargs,
        )
