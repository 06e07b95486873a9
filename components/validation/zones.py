"""Availability zones of a region, on either cloud: `eu-west-1a` (AWS), `europe-west1-b`
(Google Cloud)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

_SHAPE = {"aws": ("", "abc"), "gcp": ("-", "bcd")}


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
        least = "one zone" if minimum == 1 else f"at least {_count(minimum)} zones"
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


def _count(number: int) -> str:
    return {2: "two", 3: "three"}.get(number, str(number))
