"""GKE node pools: hardened nodes with a least-privilege service account each."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.cluster.gke_identity import account_id, grant_project_roles
from kube_platform.components.cluster.pools import (
    DiskSizeGb,
    MaxNodes,
    NodeCount,
    NodePoolName,
    Taint,
)

# What nodes themselves need: write logs and metrics, read metadata, pull images. Workloads get
# their own identities through Workload Identity, never the node's.
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)

class GkeNodePoolArgs(BaseModel):
    """One node pool. Sizes are totals across the cluster's zones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: NodePoolName = Field(description="Pool name, unique in the cluster.")
    machine_type: str = Field(description="Compute Engine machine type, e.g. `e2-standard-4`.")
    spot: bool = Field(False, description="Use Spot VMs.")
    min_size: NodeCount = Field(1, description="Minimum total node count.")
    max_size: MaxNodes = Field(3, description="Maximum total node count.")
    initial_size: NodeCount = Field(
        1, description="Total node count at creation; afterwards the autoscaler owns it."
    )
    disk_size_gb: DiskSizeGb = Field(50, description="Boot disk size in GiB.")
    disk_type: str = Field("pd-balanced", description="Boot disk type.")
    labels: dict[str, str] = Field({}, description="Kubernetes node labels.")
    taints: tuple[Taint, ...] = Field((), description="Kubernetes node taints.")

    @model_validator(mode="after")
    def _bounds(self) -> GkeNodePoolArgs:
        if self.min_size > self.max_size:
            raise ValueError(f"pool {self.name}: min_size is greater than max_size")
        return self

    def initial_per_zone(self, zones: int) -> int:
        """GKE starts the same number of nodes in every zone."""
        return math.ceil(self.initial_size / zones)


@dataclass
class NodeIdentity:
    account: gcp.serviceaccount.Account
    grants: list[gcp.projects.IAMMember]


def node_identity(
    cluster_name: str,
    pool: GkeNodePoolArgs,
    *,
    project: str,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    depends_on: list[pulumi.Resource],
) -> NodeIdentity:
    """A service account only this pool's nodes use, with the node roles and nothing else."""
    name = f"{cluster_name}-{pool.name}"
    account = gcp.serviceaccount.Account(
        f"{name}-nodes",
        account_id=account_id(cluster_name, pool.name, "nodes"),
        display_name=f"Nodes of pool {pool.name} in GKE cluster {cluster_name}"[:100],
        project=project,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )
    grants = grant_project_roles(
        f"{name}-nodes",
        project,
        NODE_ROLES,
        account.member,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    return NodeIdentity(account, grants)


def node_config(pool: GkeNodePoolArgs, service_account: pulumi.Input[str]) -> dict:
    """Hardened node settings: own service account, GKE metadata server (no node credentials
    for pods), Shielded VM with secure boot and integrity monitoring, legacy metadata off."""
    return {
        "machine_type": pool.machine_type,
        "disk_size_gb": pool.disk_size_gb,
        "disk_type": pool.disk_type,
        "image_type": "COS_CONTAINERD",
        "service_account": service_account,
        # Access is decided by the account's IAM roles; the scope only stops being a limit.
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "spot": pool.spot,
        "labels": dict(pool.labels),
        "taints": [
            {"key": t.key, "value": t.value, "effect": t.cloud_effect}
            for t in pool.taints
        ],
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "shielded_instance_config": {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        },
        "metadata": {"disable-legacy-endpoints": "true"},
    }


def node_pool(
    cluster_name: str,
    pool: GkeNodePoolArgs,
    *,
    cluster: gcp.container.Cluster,
    identity: NodeIdentity,
    project: str,
    region: str,
    zones: list[str],
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    depends_on: list[pulumi.Resource],
) -> gcp.container.NodePool:
    """The pool. Its node count is set once at creation and then belongs to the autoscaler, so
    `pulumi up` never fights it (and never replaces the pool over it)."""
    return gcp.container.NodePool(
        f"{cluster_name}-{pool.name}",
        # A prefix, not a fixed name: a change that forces a new pool (machine type, spot)
        # creates the replacement before deleting the old one.
        name_prefix=f"{pool.name}-",
        project=project,
        location=region,
        cluster=cluster.name,
        node_locations=zones,
        initial_node_count=pool.initial_per_zone(len(zones)),
        autoscaling=gcp.container.NodePoolAutoscalingArgs(
            total_min_node_count=pool.min_size,
            total_max_node_count=pool.max_size,
            # Spot capacity comes from wherever it is available; on-demand stays spread.
            location_policy="ANY" if pool.spot else "BALANCED",
        ),
        management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
        upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
            strategy="SURGE", max_surge=1, max_unavailable=0
        ),
        node_config=node_config(pool, identity.account.email),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            depends_on=[*identity.grants, *depends_on],
            ignore_changes=["initialNodeCount", "nodeCount"],
        ),
    )
