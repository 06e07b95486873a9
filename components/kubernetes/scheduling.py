"""Scheduling for replicated platform services: spread over zones and nodes."""

from __future__ import annotations

from typing import Any

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def spread_constraints(match_labels: dict[str, str]) -> list[dict[str, Any]]:
    """Prefer one replica per zone, then per node. `ScheduleAnyway` keeps a rollout going when
    a zone is full, instead of leaving pods pending."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": match_labels},
            "matchLabelKeys": ["pod-template-hash"],
        }
        for key in (ZONE, HOSTNAME)
    ]
