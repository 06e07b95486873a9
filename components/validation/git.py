"""What a GitOps engine reads from a repository: refs, commits, digests, paths, and the age
recipients SOPS encrypts for."""

from __future__ import annotations

import re
from typing import Any, Literal

from kube_platform.components.validation.core import checked, matching

# git check-ref-format, simplified: no spaces, control or special characters, no `..`.
_GIT_REF_RE = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)[^\s~^:?*\[\\]+(?<![./])(?<!\.lock)$")
_COMMIT_RE = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_PATH_RE = re.compile(r"^(\./)?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?$")
_AGE_RECIPIENT_RE = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")

RefKind = Literal["branch", "tag", "semver", "commit", "digest"]


def ref_problem(kind: RefKind, value: str) -> str | None:
    """Why `value` is no `kind` ref (a branch, tag, commit or digest), or None."""
    if kind in ("branch", "tag") and not _GIT_REF_RE.match(value):
        return (
            f"{kind} {value!r} is not a valid Git ref name; use letters, digits and `/._-`, "
            "e.g. 'main' or 'v1.4.0'"
        )
    if kind == "commit" and not _COMMIT_RE.match(value):
        return (
            f"commit {value!r} is not a full commit SHA; give all 40 (SHA-1) or 64 (SHA-256) "
            "lowercase hex characters"
        )
    if kind == "digest" and not _DIGEST_RE.match(value):
        return (
            f"digest {value!r} is not an OCI digest; write it as 'sha256:' followed by 64 "
            "lowercase hex characters"
        )
    return None


def _repository_path(value: Any) -> str:
    if not isinstance(value, str) or not _PATH_RE.match(value) or ".." in value.split("/"):
        raise ValueError(
            f"{value!r} is not a relative path inside the repository; write it like 'clusters/prod'"
        )
    return value.removeprefix("./").rstrip("/")


RepositoryPath = checked(_repository_path)
"""A directory inside a repository, such as `clusters/prod` (no leading `./`, no `..`)."""
AgeRecipient = matching(
    _AGE_RECIPIENT_RE,
    "is not an age recipient; it starts with 'age1' followed by 58 characters "
    "(`age-keygen -y key.txt` prints it)",
)
"""An age public key (`age1...`)."""
