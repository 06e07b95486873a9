"""Identifiers Google Cloud accepts: regions, project ids, IAM roles and members."""

from __future__ import annotations

import re

from kube_platform.components.validation.core import matching

_REGION_RE = re.compile(r"^[a-z]+-[a-z]+\d+$")
_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_ROLE_RE = re.compile(r"^(roles|projects/[a-z0-9-]+/roles|organizations/\d+/roles)/[\w.]+$")
IAM_MEMBER_RE = re.compile(r"^(user|group|serviceAccount|domain):\S+$|^principal(Set)?://\S+$")

GcpRegion = matching(
    _REGION_RE, "is not a Google Cloud region; use a region such as 'europe-west1'"
)
"""A Google Cloud region such as `europe-west1`."""
GcpProjectId = matching(
    _PROJECT_RE,
    "is not a Google Cloud project id; use the 6-30 character id (lowercase letters, digits, "
    "hyphens), not the project name or number",
)
"""A Google Cloud project id (not its name or number)."""
GcpRole = matching(
    _ROLE_RE, "is not an IAM role; use a predefined or custom role such as 'roles/viewer'"
)
"""A predefined (`roles/...`) or custom IAM role."""
GcpMember = matching(
    IAM_MEMBER_RE,
    "is not an IAM member; use e.g. 'group:platform@example.com' or "
    "'serviceAccount:<name>@<project>.iam.gserviceaccount.com'",
)
"""An IAM member (`user:`, `group:`, `serviceAccount:`, `domain:`, or a `principal://`)."""
