"""Wire the platform's components, in lifecycle order, from a validated StackConfig.

This is the only place that turns configuration into component arguments. Differences between
stacks are data (the stack file and its tier's defaults), never branches on the stack name.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster import Cluster, ExistingCluster, ExistingClusterArgs
from components.errors import ConfigurationError
from components.namespace import platform_namespace
from stacks.config import StackConfig

PLATFORM_NAMESPACE = "platform-system"


def make_cluster(cfg: StackConfig, stack: str) -> Cluster:
    """The cluster for this stack, behind the common contract."""
    name = cfg.cluster_name(stack)
    cluster = cfg.cluster
    if cluster.kind == "existing":
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
    raise ConfigurationError(
        f"platform:cluster.kind '{cluster.kind}' is not available in this version; use 'existing'"
    )


def build(cfg: StackConfig, stack: str) -> dict[str, Any]:
    """Create the platform; returns the stack outputs."""
    cluster = make_cluster(cfg, stack)
    platform_namespace(cluster, PLATFORM_NAMESPACE, cluster)
    return {
        "tier": cfg.tier.value,
        "cloud": cluster.cloud,
        "clusterName": cluster.cluster_name,
        "kubernetesVersion": cluster.kubernetes_version,
        "endpoint": cluster.endpoint,
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        "platformNamespace": PLATFORM_NAMESPACE,
    }
