"""The longest gap between two runs of a six-field cron schedule (seconds first), as
CloudNativePG's ScheduledBackup reads it (robfig/cron with seconds), so an alert can say when a
base backup is overdue."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# `@every` takes a Go duration (time.ParseDuration); the platform reads whole numbers of its
# units, in nanoseconds.
_UNIT_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu, which Go accepts as well
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = rf"(\d+)({'|'.join(sorted(_UNIT_NANOSECONDS, key=len, reverse=True))})"
_PART_RE = re.compile(_PART)
_DURATION_RE = re.compile(rf"(?:{_PART})+")
# Long enough to see every yearly schedule twice.
_HORIZON_DAYS = 800


def _field(text: str, low: int, high: int, names: list[str] | None = None) -> set[int]:
    values: set[int] = set()
    for part in text.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names, low), _number(last, names, low)
        else:
            start = _number(part, names, low)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ValueError(f"'{text}' is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _number(text: str, names: list[str] | None, low: int) -> int:
    if names and text in names:
        return names.index(text) + low
    return int(text)


def _every_seconds(duration: str) -> int:
    """The gap of `@every <duration>`: robfig/cron truncates it to whole seconds, at least one."""
    if not _DURATION_RE.fullmatch(duration):
        raise ValueError(
            f"'{duration}' is not a duration; write whole numbers with the units ns, us, ms, s, "
            "m or h, such as '6h' or '1h30m'"
        )
    nanoseconds = sum(int(n) * _UNIT_NANOSECONDS[unit] for n, unit in _PART_RE.findall(duration))
    if nanoseconds == 0:
        raise ValueError(f"'{duration}' is a zero duration; use a positive one, such as '6h'")
    return max(1, nanoseconds // 1_000_000_000)


def longest_gap_seconds(schedule: str) -> int:
    """The longest time between two consecutive runs of `schedule` (six fields, a
    descriptor such as `@daily`, or `@every 6h`)."""
    text = schedule.strip()
    if text.startswith("@every "):
        return _every_seconds(text.removeprefix("@every "))
    if text.startswith("@") and text not in DESCRIPTORS:
        raise ValueError(
            f"'{text}' is not a descriptor; use {', '.join(DESCRIPTORS)} or '@every <duration>'"
        )
    fields = DESCRIPTORS.get(text, text).split()
    if len(fields) != 6:
        raise ValueError(f"'{schedule}' does not have six fields")
    seconds = sorted(_field(fields[0], 0, 59))
    minutes = sorted(_field(fields[1], 0, 59))
    hours = sorted(_field(fields[2], 0, 23))
    days_of_month = _field(fields[3], 1, 31)
    months = _field(fields[4], 1, 12, _MONTHS)
    days_of_week = {d % 7 for d in _field(fields[5], 0, 7, _DAYS)}
    any_dom, any_dow = fields[3] in ("*", "?"), fields[5] in ("*", "?")
    day_times = [(h * 60 + m) * 60 + s for h in hours for m in minutes for s in seconds]
    runs: list[int] = []
    start = date(2026, 1, 1)
    for offset in range(_HORIZON_DAYS):
        day = start + timedelta(days=offset)
        if day.month not in months:
            continue
        dom, dow = day.day in days_of_month, (day.isoweekday() % 7) in days_of_week
        # robfig/cron: when either day field is a wildcard both must match, else either may.
        if (dom and dow) if (any_dom or any_dow) else (dom or dow):
            runs.extend(offset * 86400 + t for t in day_times)
    if len(runs) < 2:
        raise ValueError(f"'{schedule}' runs less than twice in {_HORIZON_DAYS} days")
    return max(later - earlier for earlier, later in pairwise(runs))
