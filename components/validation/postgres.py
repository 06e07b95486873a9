"""Values a CloudNativePG cluster takes: the Postgres major, names inside Postgres, backup
schedules, retention, recovery targets and where backups go."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from kube_platform.components import versions
from kube_platform.components.validation.core import checked, matching

_PG_IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RETENTION_RE = re.compile(r"^[1-9][0-9]*[dwm]$")
_S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BACKUP_PATH_RE = re.compile(
    r"^(?P<scheme>s3|gs)://(?P<bucket>[a-z0-9][a-z0-9._-]{1,221}[a-z0-9])(/\S*)?$"
)
_ENDPOINT_URL_RE = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def _postgres_major(value: Any) -> int:
    supported = ", ".join(str(v) for v in versions.POSTGRES_IMAGES)
    try:
        major = int(str(value))
    except ValueError:
        major = None
    if isinstance(value, bool) or major not in versions.POSTGRES_IMAGES:
        raise ValueError(
            f"Postgres {value} is not supported; use one of {supported} (the majors with a "
            "pinned image)"
        )
    return major


def _backup_schedule(value: Any) -> str:
    text = str(value).strip()
    descriptor = text.startswith("@")
    fields = text.split()
    if not descriptor and len(fields) != 6:
        raise ValueError(
            f"'{text}' has {len(fields)} fields; a backup schedule has six, seconds first "
            "(second minute hour day-of-month month day-of-week), such as '0 0 2 * * *'"
        )
    # The backup-age alert reads the schedule's longest gap, so it must parse here too.
    from kube_platform.components.data.schedule import longest_gap_seconds

    try:
        longest_gap_seconds(text)
    except ValueError as exc:
        problem = f"'{text}' is not a schedule the platform can read ({exc})"
        if descriptor:  # the reason already says how to write one
            raise ValueError(problem) from None
        raise ValueError(
            f"{problem}; use numbers, names, '*', ranges, lists and steps, such as "
            "'0 0 2 * * *' or '0 30 */6 * * *'"
        ) from None
    return text


def _timestamp(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in text.upper():
        raise ValueError(
            f"'{text}' is not an RFC 3339 timestamp; write date, time and offset in quotes, "
            "such as '2026-09-30T14:05:00Z'"
        )
    return text


PostgresMajor = checked(_postgres_major, int, {"type": "integer"})
"""A Postgres major version with a pinned operand image (`versions.POSTGRES_IMAGES`)."""
PgIdentifier = matching(
    _PG_IDENTIFIER_RE,
    "is not a Postgres name the platform accepts; use at most 63 lowercase letters, digits "
    "and underscores, starting with a letter",
)
"""A database or role name: lowercase, no quoting needed in SQL."""
ConnectionLimit = Annotated[int, Field(ge=-1)]
"""A role's connection limit; -1 is unlimited."""
BackupSchedule = checked(_backup_schedule)
"""A backup schedule: six cron fields, seconds first, or a descriptor such as `@daily` or
`@every 6h`."""
Retention = matching(
    _RETENTION_RE,
    "is not a retention period; write a number and d, w or m (days, weeks, months), such as '30d'",
)
"""A recovery window: `<n>d`, `<n>w` or `<n>m`."""
Timestamp = checked(_timestamp)
"""An RFC 3339 timestamp with a time and an offset."""
S3BucketName = matching(
    _S3_BUCKET_RE,
    "is not a bucket name; use 3-63 lowercase letters, digits, dots and hyphens",
)
"""The name of an S3 (or S3-compatible) bucket."""
BackupPath = matching(
    BACKUP_PATH_RE, "is not a backup path; write s3://<bucket>/<path> or gs://<bucket>/<path>"
)
"""Where a cluster's backups are: `s3://<bucket>/<path>` or `gs://<bucket>/<path>`."""
EndpointUrl = matching(
    _ENDPOINT_URL_RE, "is not an endpoint URL; write e.g. 'https://s3.example.com'"
)
"""The URL of an S3-compatible endpoint."""
