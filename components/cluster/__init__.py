"""The cluster contract and its implementations."""

from components.cluster.base import (
    Cloud,
    Cluster,
    WorkloadIdentity,
    WorkloadIdentityRequest,
)
from components.cluster.existing import ExistingCluster, ExistingClusterArgs

__all__ = [
    "Cloud",
    "Cluster",
    "ExistingCluster",
    "ExistingClusterArgs",
    "WorkloadIdentity",
    "WorkloadIdentityRequest",
]
