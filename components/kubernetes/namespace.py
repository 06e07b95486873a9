"""Namespaces the platform creates, with Pod Security Standards enforced."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components.cluster import Cluster

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]


def pod_security_labels(level: PodSecurityLevel) -> dict[str, str]:
    """Enforce `level`, and warn and audit at `restricted` so drift shows up in events."""
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def platform_namespace(
    cluster: Cluster,
    name: str,
    parent: pulumi.Resource,
    *,
    pod_security: PodSecurityLevel = "restricted",
    labels: dict[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace owned by the platform. `restricted` unless the workload needs host access
    (node agents, proxies), in which case the caller says so explicitly."""
    return k8s.core.v1.Namespace(
        f"{parent._name}-{name}-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            labels={
                **pod_security_labels(pod_security),
                "app.kubernetes.io/managed-by": "pulumi",
                **(labels or {}),
            },
        ),
        opts=cluster.child_opts(parent),
    )
