"""Validated value types shared by the stack configuration models.

Each validator's message says what is wrong and how to fix it; the loader prefixes the stack
file and key path.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, SecretStr, ValidationInfo, WithJsonSchema

from kube_platform.components import versions

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+[a-z]{{2,63}}$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?P<domain>[^@\s]+)$")
_K8S_NAME_RE = re.compile(rf"^{_LABEL}$")
_K8S_VERSION_RE = re.compile(r"^1\.(\d{1,2})$")


def _domain(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a domain name such as 'example.com', got {value!r}")
    name = value.lower().rstrip(".")
    if not _DOMAIN_RE.match(name):
        raise ValueError(
            f"'{value}' is not a valid DNS domain; use lowercase labels of letters, digits and "
            "hyphens separated by dots, such as 'apps.example.com'"
        )
    return name


def _email(value: Any) -> str:
    match = _EMAIL_RE.match(value) if isinstance(value, str) else None
    if match is None or not _DOMAIN_RE.match(match["domain"].lower()):
        raise ValueError(
            f"{value!r} is not a valid e-mail address; use a mailbox such as 'ops@example.com'"
        )
    return value


def _k8s_name(value: Any) -> str:
    if not isinstance(value, str) or not _K8S_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid name; use at most 63 lowercase letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        )
    return value


def _k8s_version(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted 1.30 as the number 1.3; only a string says what was meant.
        raise ValueError(
            f"{value} is a number, not a version; write the version in quotes, such as "
            f'"{versions.KUBERNETES_DEFAULT}"'
        )
    text = str(value)
    match = _K8S_VERSION_RE.match(text)
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


def _cidr(value: Any) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a valid IPv4 CIDR block ({exc}); write it as ADDRESS/PREFIX "
            "with no host bits set, such as '10.0.0.0/16'"
        ) from None


def matching(pattern: re.Pattern[str], problem: str) -> Any:
    """A string type that must match `pattern`; anything else is rejected as
    `<value> <problem>`, so `problem` says what is wrong and how to fix it."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"{value!r} {problem}")
        return value

    return Annotated[str, BeforeValidator(check), WithJsonSchema({"type": "string"})]


DomainName = Annotated[str, BeforeValidator(_domain), WithJsonSchema({"type": "string"})]
Email = Annotated[str, BeforeValidator(_email), WithJsonSchema({"type": "string"})]
Name = Annotated[str, BeforeValidator(_k8s_name), WithJsonSchema({"type": "string"})]
KubernetesVersion = Annotated[
    str, BeforeValidator(_k8s_version), WithJsonSchema({"type": "string"})
]
Cidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_cidr), WithJsonSchema({"type": "string"})]


class SecretInput:
    """A config value that was stored encrypted (`pulumi config set --secret`)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "SecretInput(****)"


def _require_secret(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, SecretInput):
        return str(value.value)
    raise ValueError(
        "this value is stored in plaintext; store it encrypted with "
        "`pulumi config set --secret --path '<key path>' <value>`"
    )


_SECRET = BeforeValidator(_require_secret)
SecretValue = Annotated[SecretStr, _SECRET, WithJsonSchema({"type": "string", "format": "secret"})]
"""A string that must be given as a Pulumi secret; its value never appears in a repr."""


def is_secret_annotation(annotation: Any) -> bool:
    """Whether a field annotation is (or contains) `SecretValue`."""
    if annotation is SecretValue:
        return True
    metadata = getattr(annotation, "__metadata__", ())
    if any(m is _SECRET for m in metadata):
        return True
    return any(is_secret_annotation(arg) for arg in getattr(annotation, "__args__", ()) or ())


def is_secret_field(field: Any) -> bool:
    """Whether a pydantic field requires a secret. A bare `SecretValue` field keeps the
    validator in `field.metadata`; `SecretValue | None` keeps it in the annotation."""
    return is_secret_annotation(field.annotation) or any(m is _SECRET for m in field.metadata)


def holds_model(annotation: Any) -> bool:
    """Whether a field annotation is or contains a pydantic model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(holds_model(arg) for arg in getattr(annotation, "__args__", ()) or ())


def unwrap_secrets(value: Any) -> Any:
    """Strip `SecretInput` markers from values of fields that do not require a secret."""
    if isinstance(value, SecretInput):
        return value.value
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value
