"""CPU and memory a platform workload asks for: what the scheduler reserves on a node for it.

Every workload the platform installs sets explicit requests, so an idle cluster reserves what
its platform services really use (read from Prometheus, container_cpu_usage_seconds_total and
container_memory_working_set_bytes) and nothing a chart happens to default to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.validation import CpuAmount, MemorySize


class Resources(BaseModel):
    """Requests of one container, and an optional memory limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu: CpuAmount = Field(description="CPU request: cores (`0.5`) or millicores (`50m`).")
    memory: MemorySize = Field(description="Memory request, e.g. `128Mi`.")
    memory_limit: MemorySize | None = Field(
        None, description="Memory limit (the container is restarted above it); None: none."
    )

    def values(self) -> dict[str, Any]:
        """The Kubernetes `resources` block."""
        block: dict[str, Any] = {"requests": {"cpu": self.cpu, "memory": self.memory}}
        if self.memory_limit is not None:
            block["limits"] = {"memory": self.memory_limit}
        return block


def check_workloads(resources: Mapping[str, Resources], defaults: Mapping[str, Resources]) -> None:
    """Refuse requests for a workload the component does not run (`defaults` names those)."""
    unknown = sorted(set(resources) - set(defaults))
    if unknown:
        raise ValueError(f"resources for unknown workloads {unknown}; known: {tuple(defaults)}")


def requests_of(
    workload: str, resources: Mapping[str, Resources], defaults: Mapping[str, Resources]
) -> Resources:
    """A workload's requests: as given, or the component's default."""
    return resources.get(workload, defaults[workload])


def millicores(quantity: str) -> int:
    """A CPU quantity in millicores (`250m` -> 250, `0.5` -> 500, `2` -> 2000)."""
    text = str(quantity)
    if text.endswith("m"):
        return int(text[:-1])
    return round(float(text) * 1000)


_MEMORY_UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024, "": 1 / (1024 * 1024)}


def mebibytes(quantity: str) -> float:
    """A memory quantity in MiB (`512Mi` -> 512, `1Gi` -> 1024, bytes as a plain number)."""
    match = re.match(r"^([0-9.]+)(Ki|Mi|Gi|Ti)?$", str(quantity))
    if match is None:
        raise ValueError(f"{quantity!r} is not a memory quantity this reads (Ki, Mi, Gi, Ti)")
    return float(match[1]) * _MEMORY_UNITS[match[2] or ""]
