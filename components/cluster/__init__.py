"""The cluster contract and its implementations."""

from components.cluster.base import (
    Cloud,
    Cluster,
    WorkloadIdentity,
    WorkloadIdentityRequest,
)
from components.cluster.eks import EksCluster, EksClusterArgs, EksNodeGroupArgs
from components.cluster.existing import ExistingCluster, ExistingClusterArgs
from components.cluster.gke import GkeCluster, GkeClusterArgs
from components.cluster.gke_network import GkeNetworkArgs
from components.cluster.gke_node_pools import GkeNodePoolArgs, GkeTaint

__all__ = [
    "Cloud",
    "Cluster",
    "EksCluster",
    "EksClusterArgs",
    "EksNodeGroupArgs",
    "ExistingCluster",
    "ExistingClusterArgs",
    "GkeCluster",
    "GkeClusterArgs",
    "GkeNetworkArgs",
    "GkeNodePoolArgs",
    "GkeTaint",
    "WorkloadIdentity",
    "WorkloadIdentityRequest",
]
