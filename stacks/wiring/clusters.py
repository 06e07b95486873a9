"""The cluster: an existing one, EKS or GKE, behind the common contract."""

from __future__ import annotations

import pulumi

from components.cluster import Cluster, ExistingCluster, ExistingClusterArgs
from components.errors import ConfigurationError
from stacks.config import StackConfig


def make_cluster(cfg: StackConfig, stack: str) -> Cluster:
    name = cfg.cluster_name(stack)
    kind = cfg.cluster.kind
    if kind == "existing":
        return _existing(cfg, name)
    if kind == "eks":
        return _eks(cfg, name)
    if kind == "gke":
        return _gke(cfg, name)
    raise ConfigurationError(f"platform:cluster.kind '{kind}' is not supported")


def _existing(cfg: StackConfig, name: str) -> Cluster:
    cluster = cfg.cluster
    existing = cluster.existing_or_default
    return ExistingCluster(
        name,
        ExistingClusterArgs(
            kubernetes_version=cluster.kubernetes_version,
            context=existing.context,
            kubeconfig_path=existing.kubeconfig_path,
            kubeconfig=(
                pulumi.Output.secret(existing.kubeconfig.get_secret_value())
                if existing.kubeconfig is not None
                else None
            ),
            zones=tuple(existing.zones),
            database_storage_class=existing.database_storage_class,
        ),
    )


def _eks(cfg: StackConfig, name: str) -> Cluster:
    raise ConfigurationError("platform:cluster.kind 'eks' is not available yet")


def _gke(cfg: StackConfig, name: str) -> Cluster:
    raise ConfigurationError("platform:cluster.kind 'gke' is not available yet")
