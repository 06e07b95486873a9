"""Gateway API: the standard-channel CRDs and small builders for the objects the platform
creates from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster

GROUP = "gateway.networking.k8s.io"
API_VERSION = f"{GROUP}/v1"

ROUTES_LABEL = "gateway.kube-platform.io/routes"
"""The label of namespaces the platform admits to its Gateway. A namespace attaches routes only
while it carries `route_namespace_labels()` and only for the hostnames the Gateway lists for it
(`IngressArgs.route_namespaces`); the namespace baseline marks every application namespace."""
ROUTES_ALLOWED = "allowed"


def route_namespace_labels() -> dict[str, str]:
    """Labels that admit a namespace to the platform Gateway. A component that serves a route
    of its own marks its namespace with them (`platform_namespace(..., labels=...)`)."""
    return {ROUTES_LABEL: ROUTES_ALLOWED}


@dataclass(frozen=True)
class GatewayRef:
    """Where routes attach: a Gateway and, optionally, one of its listeners."""

    name: str
    namespace: str
    section_name: str | None = None

    def parent_ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "group": GROUP,
            "kind": "Gateway",
            "name": self.name,
            "namespace": self.namespace,
        }
        if self.section_name:
            ref["sectionName"] = self.section_name
        return ref


def gateway_api_crds(
    cluster: Cluster, name: str, parent: pulumi.Resource
) -> k8s.yaml.v2.ConfigFile:
    """The pinned standard-channel release bundle (CRDs and its `safe-upgrades` admission
    policy), applied as a managed resource so an upgrade is a reviewed version bump and a
    destroy removes it. Only for clusters that do not manage these CRDs themselves."""
    return k8s.yaml.v2.ConfigFile(
        f"{name}-gateway-api-crds",
        file=versions.GATEWAY_API_CRDS_URL,
        opts=cluster.child_opts(parent),
    )


def gateway_resource(
    cluster: Cluster,
    name: str,
    *,
    kind: str,
    metadata: dict[str, Any],
    spec: dict[str, Any],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.apiextensions.CustomResource:
    """A gateway.networking.k8s.io/v1 object; it depends on the CRDs that define it."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version=API_VERSION,
        kind=kind,
        metadata=metadata,
        spec=spec,
        opts=cluster.child_opts(parent, depends_on=depends_on),
    )
