"""Facts about EC2 instance types that decide how EKS nodes boot.

EKS publishes one AL2023 node image per architecture and accelerator: standard x86_64 and
arm64, NVIDIA x86_64 and arm64, and Neuron (Inferentia, Trainium) on x86_64. A node group boots
one image, so its instance types must agree on both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

# Graviton (arm64) families carry a `g` after the generation digit: m7g, c7gn, r8gd, t4g, g5g;
# Grace Blackwell families carry `-gb`: p6e-gb200.
_GRAVITON = re.compile(r"^([a-z]+\d+[a-z]*g[a-z]*|[a-z]+\d+[a-z]*-gb\d+)\.")
# NVIDIA GPU families the EKS NVIDIA images support (Volta and newer): p3, p4d, p5, p6-b200,
# g4dn, g5, g5g, g6, g6e, gr6, g7, ...
_NVIDIA = re.compile(r"^(p[3-9]|g[4-9]|gr[6-9])")
# g4ad carries AMD Radeon GPUs, for which EKS publishes no node image.
_AMD = re.compile(r"^g4ad\.")
# AWS Inferentia and Trainium.
_NEURON = re.compile(r"^(inf\d|trn\d)")

AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
]
"""An EKS AL2023 node image type."""
# The image for each (architecture, accelerator).
AMI_TYPES: dict[tuple[str, str | None], AmiType] = {
    ("x86_64", None): "AL2023_x86_64_STANDARD",
    ("arm64", None): "AL2023_ARM_64_STANDARD",
    ("x86_64", "nvidia"): "AL2023_x86_64_NVIDIA",
    ("arm64", "nvidia"): "AL2023_ARM_64_NVIDIA",
    ("x86_64", "neuron"): "AL2023_x86_64_NEURON",
}
# The architecture each AMI type boots.
AMI_ARCHITECTURES = {ami: arch for (arch, _), ami in AMI_TYPES.items()}


def architecture(instance_type: str) -> str:
    """`arm64` for Graviton and Grace instance types, `x86_64` otherwise."""
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def architectures(instance_types: Iterable[str]) -> set[str]:
    return {architecture(t) for t in instance_types}


def accelerator(instance_type: str) -> str | None:
    """`nvidia`, `neuron` or `amd` for accelerated instance types, None otherwise."""
    if _AMD.match(instance_type):
        return "amd"
    if _NVIDIA.match(instance_type):
        return "nvidia"
    if _NEURON.match(instance_type):
        return "neuron"
    return None


def image_problem(instance_types: Iterable[str], ami_type: str | None = None) -> str | None:
    """Why no EKS AL2023 image boots these instance types as one node group (with `ami_type`
    when given), or None when one does."""
    types = list(instance_types)
    arches = architectures(types)
    if len(arches) > 1:
        return (
            f"{types} mix {' and '.join(sorted(arches))} instance types, which need different "
            "node images; put them in separate pools"
        )
    [arch] = arches
    if ami_type is not None:
        if AMI_ARCHITECTURES[ami_type] != arch:
            return (
                f"{ami_type} boots {AMI_ARCHITECTURES[ami_type]} nodes but {types} are {arch} "
                "instance types; pick an image of their architecture or leave amiType unset"
            )
        return None
    kinds = {accelerator(t) for t in types}
    if "amd" in kinds:
        return (
            f"{[t for t in types if accelerator(t) == 'amd']} carry AMD GPUs, for which EKS "
            "publishes no node image; use NVIDIA instance types, or set amiType to boot them "
            "without GPU drivers"
        )
    if len(kinds) > 1:
        named = ", ".join(sorted(k or "none" for k in kinds))
        return (
            f"{types} mix accelerators ({named}), which need different node images; put "
            "them in separate pools"
        )
    if (arch, kinds.pop()) not in AMI_TYPES:
        return f"EKS publishes no {arch} node image for {types}; use x86_64 instance types"
    return None


def ami_type(instance_types: Iterable[str], override: str | None = None) -> str:
    """The AL2023 AMI type for a node group: `override` when given, else the one matching the
    instance types' architecture and accelerator."""
    types = list(instance_types)
    problem = image_problem(types, override)
    if problem is not None:
        raise ValueError(problem)
    if override is not None:
        return override
    return AMI_TYPES[(architecture(types[0]), accelerator(types[0]))]
