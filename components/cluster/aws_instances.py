"""Facts about EC2 instance types that decide how EKS nodes boot."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Graviton (arm64) families carry a `g` after the generation digit: m7g, c7gn, r8gd, t4g, g5g.
_GRAVITON = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.")

AMI_TYPES = {"arm64": "AL2023_ARM_64_STANDARD", "x86_64": "AL2023_x86_64_STANDARD"}


def architecture(instance_type: str) -> str:
    """`arm64` for Graviton instance types, `x86_64` otherwise."""
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def architectures(instance_types: Iterable[str]) -> set[str]:
    return {architecture(t) for t in instance_types}


def ami_type(instance_types: Iterable[str]) -> str:
    """The AL2023 AMI type for a node group; its instance types must share one architecture."""
    found = architectures(instance_types)
    if len(found) != 1:
        raise ValueError(f"instance types mix architectures {sorted(found)}")
    return AMI_TYPES[found.pop()]
