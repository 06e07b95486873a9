"""The cluster contract and its implementations."""

from kube_platform.components.cluster.base import (
    Cloud,
    Cluster,
    WorkloadIdentity,
    WorkloadIdentityRequest,
)
from kube_platform.components.cluster.eks import EksCluster, EksClusterArgs, EksNodeGroupArgs
from kube_platform.components.cluster.existing import ExistingCluster, ExistingClusterArgs
from kube_platform.components.cluster.gke import GkeCluster, GkeClusterArgs
from kube_platform.components.cluster.gke_network import GkeNetworkArgs
from kube_platform.components.cluster.gke_node_pools import GkeNodePoolArgs
from kube_platform.components.cluster.pools import Taint

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
    "Taint",
    "WorkloadIdentity",
    "WorkloadIdentityRequest",
]
