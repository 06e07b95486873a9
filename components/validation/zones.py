"""Availability zones of a region, on either cloud: `eu-west-1a` (AWS), `europe-west1-b`
(Google Cloud)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

# How each cloud names a region's zones, and example zone letters.
_SHAPE = {"aws": ("", "abc"), "gcp": ("-", "bcd")}
_COUNTS = {1: "one", 2: "two", 3: "three"}


def zones_problem(
    cloud: Literal["aws", "gcp"],
    region: str,
    zones: Sequence[str],
    *,
    minimum: int = 2,
    maximum: int | None = None,
) -> str | None:
    """Why `zones` are not `minimum` to `maximum` distinct zones of `region`, or None."""
    separator, letters = _SHAPE[cloud]
    zones = list(zones)
    if len(zones) < minimum:
        example = [f"{region}{separator}{letter}" for letter in letters]
        least = f"at least {_COUNTS.get(minimum, minimum)} zone{'s' if minimum > 1 else ''}"
        return f"zones lists {len(zones)} zone(s); list {least} of {region}, e.g. {example}"
    if maximum is not None and len(zones) > maximum:
        return f"zones lists {len(zones)} zones; list at most {maximum} (three is usual)"
    # An exact shape, not a prefix: europe-west10-a is no zone of europe-west1.
    zone = re.compile(re.escape(region) + re.escape(separator) + "[a-z]")
    foreign = [z for z in zones if not zone.fullmatch(z)]
    if foreign:
        return f"zones {foreign} are not zones of region {region}"
    if len(set(zones)) != len(zones):
        return "zones lists a zone more than once"
    return None
