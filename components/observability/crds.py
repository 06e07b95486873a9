"""The prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule, AlertmanagerConfig,
...) and a builder for the monitoring objects the platform creates from them.

kube-prometheus-stack keeps these CRDs in a sub-chart's crds/ folder, which Helm installs once
and never upgrades. The platform applies them itself from the chart's release tag, before any
chart that renders a ServiceMonitor or PodMonitor, so they follow the chart on every upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster

GROUP = "monitoring.coreos.com"
API_VERSION = f"{GROUP}/v1"
ALERTMANAGER_CONFIG_API_VERSION = f"{GROUP}/v1alpha1"


def monitoring_crds(
    cluster: Cluster, name: str, parent: pulumi.Resource | None = None
) -> k8s.yaml.v2.ConfigGroup:
    """The pinned CRD files as one managed group. The Kubernetes provider applies them
    server-side (its default, and the only way: several CRDs exceed the 256 KiB annotation a
    client-side apply writes). `parent` defaults to the cluster."""
    return k8s.yaml.v2.ConfigGroup(
        f"{name}-crds",
        files=list(versions.MONITORING_CRDS_URLS),
        opts=cluster.child_opts(parent or cluster),
    )


def monitoring_object(
    cluster: Cluster,
    name: str,
    *,
    kind: str,
    metadata: dict[str, Any],
    spec: dict[str, Any],
    crds: pulumi.Resource,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    api_version: str = API_VERSION,
) -> k8s.apiextensions.CustomResource:
    """A ServiceMonitor, PodMonitor, PrometheusRule or AlertmanagerConfig; it waits for the
    CRDs that define it."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version=api_version,
        kind=kind,
        metadata=metadata,
        spec=spec,
        opts=cluster.child_opts(parent, depends_on=[crds, *depends_on]),
    )
