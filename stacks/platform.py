"""Wire the platform's components, in lifecycle order, from a validated StackConfig.

This is the only place that turns configuration into component arguments. Differences between
stacks are data (the stack file and its tier's defaults), never branches on the stack name.
Each concern has its own wiring module (`stacks/wiring/`); this module only orders them.
"""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.wiring import (
    access,
    ci,
    clusters,
    databases,
    gitops,
    observability,
    secrets,
    traffic,
)

PLATFORM_NAMESPACE = "platform-system"


def make_cluster(cfg: StackConfig, stack: str) -> Cluster:
    """The cluster for this stack, behind the common contract."""
    return clusters.make_cluster(cfg, stack)


def build(cfg: StackConfig, stack: str) -> dict[str, Any]:
    """Create the platform; returns the stack outputs."""
    cluster = make_cluster(cfg, stack)
    outputs: dict[str, Any] = {
        "tier": cfg.tier.value,
        "cloud": cluster.cloud,
        "clusterName": cluster.cluster_name,
        "kubernetesVersion": cluster.kubernetes_version,
        "endpoint": cluster.endpoint,
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        **clusters.outputs(cluster),
    }
    # Cloud identities only: CI takes over deploys once the first `pulumi up` created them.
    outputs |= ci.build(cfg, cluster, stack)
    if cfg.bootstrap_phase == "cloud":
        # The first phase of a private cluster: nothing that talks to the Kubernetes API.
        return outputs
    platform_namespace(cluster, PLATFORM_NAMESPACE, cluster)
    outputs["platformNamespace"] = PLATFORM_NAMESPACE
    # Before any chart that renders a ServiceMonitor or PodMonitor.
    monitoring_crds = observability.crds(cfg, cluster)
    edge = traffic.build(cfg, cluster, stack, monitoring_crds=monitoring_crds)
    outputs |= edge.outputs
    outputs |= databases.build(
        cfg, cluster, stack, cert_manager=edge.cert_manager, monitoring_crds=monitoring_crds
    )
    platform_secrets = secrets.build(cfg, cluster, stack, monitoring_crds=monitoring_crds)
    outputs |= platform_secrets.outputs
    outputs |= access.build(cfg, cluster, stack, secret_store=platform_secrets.store)
    # The GitOps engine takes over from here, told the facts of everything above.
    outputs |= gitops.build(
        cfg,
        cluster,
        stack,
        traffic=edge,
        secrets=platform_secrets,
        outputs=outputs,
        monitoring_crds=monitoring_crds,
    )
    # Last: it watches, and routes alerts about, everything above.
    outputs |= observability.build(
        cfg,
        cluster,
        stack,
        crds=monitoring_crds,
        edge=edge,
        secret_store=platform_secrets.store,
    )
    return outputs
