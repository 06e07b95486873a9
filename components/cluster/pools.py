"""What EKS node groups and GKE node pools share: the pool name, size bounds and taints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.validation import checked
from kube_platform.components.validation.names import kubernetes_name

# The clouds append a unique suffix to a pool's name (so a replacement can be created before
# the old pool is deleted); GKE allows a prefix of 31 characters.
POOL_NAME_MAX = 30

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
"""A Kubernetes taint effect."""
# How the EKS and GKE APIs spell each effect (the same on both).
CLOUD_TAINT_EFFECTS: dict[str, str] = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


def _pool_name(value: Any) -> str:
    name = kubernetes_name(value)
    if len(name) > POOL_NAME_MAX:
        raise ValueError(
            f"'{name}' is longer than {POOL_NAME_MAX} characters; the cloud appends a unique "
            "suffix to pool names, so shorten it"
        )
    return name


NodePoolName = checked(_pool_name)
"""A node pool name: a DNS label of at most `POOL_NAME_MAX` characters."""
NodeCount = Annotated[int, Field(ge=0)]
"""A number of nodes of a pool (its minimum, its size at creation); 0 is allowed."""
MaxNodes = Annotated[int, Field(ge=1)]
"""The most nodes of a pool."""
DiskSizeGb = Annotated[int, Field(ge=20)]
"""A node's root or boot disk size in GiB."""


class Taint(BaseModel):
    """A Kubernetes node taint, on EKS node groups and GKE node pools alike."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: TaintEffect = Field(description="Taint effect.")

    @property
    def cloud_effect(self) -> str:
        """The effect as the EKS and GKE APIs spell it (`NO_SCHEDULE`, ...)."""
        return CLOUD_TAINT_EFFECTS[self.effect]
