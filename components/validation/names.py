"""Names and versions Kubernetes and DNS accept: object names, domains, hostnames, e-mail
addresses, Kubernetes minor versions, durations and resource quantities."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field

from kube_platform.components import versions
from kube_platform.components.validation.core import checked, matching

# One DNS label (RFC 1123): lowercase letters, digits and hyphens, not at either end.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = rf"(?=.{{1,253}}$)({_LABEL}\.)+[a-z]{{2,63}}"
DOMAIN_RE = re.compile(rf"^{_DOMAIN}$")
HOSTNAME_RE = re.compile(rf"^(\*\.)?{_DOMAIN}$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?P<domain>[^@\s]+)$")
_KUBERNETES_NAME_RE = re.compile(rf"^{_LABEL}$")
_KUBERNETES_VERSION_RE = re.compile(r"^1\.(\d{1,2})$")
# Go's duration format, as Flux and External Secrets read their intervals.
_DURATION_RE = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
_STORAGE_SIZE_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
_MEMORY_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")
_CPU_RE = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$")


def _domain(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a domain name such as 'example.com', got {value!r}")
    name = value.lower().rstrip(".")
    if not DOMAIN_RE.match(name):
        raise ValueError(
            f"'{value}' is not a valid DNS domain; use lowercase labels of letters, digits and "
            "hyphens separated by dots, such as 'apps.example.com'"
        )
    return name


def _hostname(value: Any) -> str:
    name = value.lower().rstrip(".") if isinstance(value, str) else None
    if name is None or not HOSTNAME_RE.match(name):
        raise ValueError(
            f"{value!r} is not a hostname; use a DNS name such as 'shop.apps.example.com', "
            "optionally with a leading '*.' label such as '*.shop.apps.example.com'"
        )
    return name


def _email(value: Any) -> str:
    match = _EMAIL_RE.match(value) if isinstance(value, str) else None
    if match is None or not DOMAIN_RE.match(match["domain"].lower()):
        raise ValueError(
            f"{value!r} is not a valid e-mail address; use a mailbox such as 'ops@example.com'"
        )
    return value


def kubernetes_name(value: Any) -> str:
    """`value` when it is a DNS label (RFC 1123), else a ValueError saying how to write one."""
    if not isinstance(value, str) or not _KUBERNETES_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid name; use at most 63 lowercase letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        )
    return value


def _kubernetes_version(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted 1.30 as the number 1.3; only a string says what was meant.
        raise ValueError(
            f"{value} is a number, not a version; write the version in quotes, such as "
            f'"{versions.KUBERNETES_DEFAULT}"'
        )
    text = str(value)
    match = _KUBERNETES_VERSION_RE.match(text)
    if match is None:
        raise ValueError(
            f"'{text}' is not a Kubernetes minor version; write MAJOR.MINOR in quotes, "
            f'such as "{versions.KUBERNETES_DEFAULT}"'
        )
    lowest = int(versions.KUBERNETES_MIN.split(".")[1])
    highest = int(versions.KUBERNETES_MAX.split(".")[1])
    if not lowest <= int(match[1]) <= highest:
        raise ValueError(
            f"Kubernetes {text} is outside the supported window {versions.KUBERNETES_MIN}"
            f"-{versions.KUBERNETES_MAX}; pick a version in that range"
        )
    return text


def _duration(value: Any) -> str:
    if not isinstance(value, str) or not _DURATION_RE.match(value):
        raise ValueError(f"{value!r} is not a duration; write it like '1m', '30s' or '1h'")
    return value


def _cpu(value: Any) -> str:
    text = str(value)
    if not _CPU_RE.match(text) or text in {"0", "0.0"}:
        raise ValueError(
            f"{value!r} is not a CPU amount; write cores ('2', '0.5') or millicores ('500m')"
        )
    return text


DomainName = checked(_domain)
"""A DNS domain such as `apps.example.com`, lowercased and without a trailing dot."""
Hostname = checked(_hostname)
"""A DNS name, optionally a `*.` wildcard, lowercased and without a trailing dot."""
Email = checked(_email)
"""An e-mail address whose domain is a valid DNS domain."""
KubernetesName = checked(kubernetes_name)
"""A DNS label (RFC 1123): the name of a namespace, a service account, a cluster, ..."""
KubernetesVersion = checked(_kubernetes_version)
"""A Kubernetes minor version (`1.35`) inside the window the platform is tested against."""
Duration = checked(_duration)
"""A Go duration such as `1m` or `1h30m`."""
PrometheusRetention = matching(
    re.compile(r"^[1-9][0-9]*(h|d|w|y)$"),
    "is not a Prometheus retention; write a number and h, d, w or y, such as '15d'",
)
"""How long Prometheus keeps samples (`--storage.tsdb.retention.time`)."""
PrometheusSize = matching(
    re.compile(r"^[1-9][0-9]*(MB|GB|TB)$"),
    "is not a Prometheus size; write a number and MB, GB or TB, such as '40GB'",
)
"""How much disk the TSDB may use (`--storage.tsdb.retention.size`, Prometheus units)."""
StorageSize = matching(
    _STORAGE_SIZE_RE,
    "is not a storage size; write a Kubernetes quantity in Mi, Gi or Ti, such as '20Gi'",
)
"""A volume size: a Kubernetes quantity in Mi, Gi or Ti."""
MemorySize = matching(
    _MEMORY_RE, "is not a memory size; write a Kubernetes quantity in Mi or Gi, such as '2Gi'"
)
"""A memory amount: a Kubernetes quantity in Mi or Gi."""
CpuAmount = checked(_cpu)
"""A CPU amount: cores (`2`, `0.5`) or millicores (`500m`), more than zero."""
Replicas = Annotated[int, Field(ge=1)]
"""How many copies of a workload run (replicas, Postgres instances): at least one."""
