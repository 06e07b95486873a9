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
_DURATION_RE = re.compile(r"(\d+)(h|m|s)")
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


def longest_gap_seconds(schedule: str) -> int:
    """The longest time between two consecutive runs of `schedule` (six fields, a
    descriptor such as `@daily`, or `@every 6h`)."""
    text = schedule.strip()
    if text.startswith("@every "):
        parts = _DURATION_RE.findall(text.removeprefix("@every "))
        seconds = sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)
        if seconds <= 0:
            raise ValueError(f"'{schedule}' has no duration")
        return seconds
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
