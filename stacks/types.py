"""Secret values in the stack configuration: a value stored encrypted in the stack file
(`pulumi config set --secret`) arrives wrapped in `SecretInput`, and a `SecretValue` field
accepts only such values. Every other value rule is the library's own
(`kube_platform.components.validation` and the component modules); the loader prefixes their
messages with the stack file and key path.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, SecretStr, ValidationInfo, WithJsonSchema


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
