"""Ingress, certificates and DNS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.cluster import Cluster
from stacks.config import StackConfig


@dataclass
class Traffic:
    outputs: dict[str, Any] = field(default_factory=dict)
    # The cert-manager release; components that need cert-manager's CRDs depend on it.
    cert_manager: pulumi.Resource | None = None


def build(cfg: StackConfig, cluster: Cluster, stack: str) -> Traffic:
    return Traffic()
