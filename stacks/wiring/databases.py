"""Postgres clusters."""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster import Cluster
from stacks.config import StackConfig


def build(
    cfg: StackConfig, cluster: Cluster, stack: str, *, cert_manager: pulumi.Resource | None
) -> dict[str, Any]:
    return {}
