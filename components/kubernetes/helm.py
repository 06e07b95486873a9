"""Helm releases installed the same way everywhere: pinned chart, explicit provider, the
platform's namespace, and rollback on a failed upgrade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components.versions import Chart

if TYPE_CHECKING:  # the cluster package installs charts itself (the autoscaler)
    from kube_platform.components.cluster import Cluster


def helm_release(
    cluster: Cluster,
    name: str,
    chart: Chart,
    *,
    namespace: pulumi.Input[str],
    values: dict[str, Any],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    release_name: str | None = None,
    timeout_seconds: int = 600,
    extra_values: dict[str, Any] | None = None,
    skip_crds: bool = False,
) -> k8s.helm.v3.Release:
    """Install `chart` at its pinned version. `values` must use the chart's real keys (the
    conformance tests check them against the chart's values schema); `extra_values`, the
    component's escape hatch, is merged over them key by key. Secrets never go in values:
    reference a Kubernetes Secret instead. `skip_crds` is for charts whose CRDs (kept in the
    chart's crds/ folder, which Helm never upgrades) the platform applies itself."""
    return k8s.helm.v3.Release(
        name,
        name=release_name or chart.name,
        chart=chart.reference,
        version=chart.version,
        repository_opts=(
            k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository) if chart.repository else None
        ),
        namespace=namespace,
        create_namespace=False,
        values=merge_values(values, extra_values or {}),
        skip_crds=skip_crds,
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=timeout_seconds,
        opts=cluster.child_opts(parent, depends_on=depends_on),
    )


def merge_values(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Chart values with `extra` merged over them, key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged
