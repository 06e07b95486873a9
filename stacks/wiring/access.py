"""Private access to the cluster API and the namespace baseline."""

from __future__ import annotations

from typing import Any

from components.cluster import Cluster
from stacks.config import StackConfig


def build(cfg: StackConfig, cluster: Cluster, stack: str) -> dict[str, Any]:
    return {}
