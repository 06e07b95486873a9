"""Shared pieces of the config models: the project name, the base model and the tiers."""

from __future__ import annotations

import re
import types
import typing
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from kube_platform.stacks.types import SecretInput, holds_model, is_secret_field, unwrap_secrets

PROJECT = "platform"
_WHOLE_NUMBER_RE = re.compile(r"^-?[0-9]+$")


class ConfigModel(BaseModel):
    """Base of every config model: frozen, camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_encrypted_plain_fields(cls, data: Any) -> Any:
        # Any value may be stored encrypted; only secret-typed fields keep the marker, and
        # nested models unwrap their own fields.
        if not isinstance(data, dict):
            return data
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        unwrapped = {}
        for key, value in data.items():
            field = fields.get(key)
            if field is None or is_secret_field(field):
                unwrapped[key] = value
            elif holds_model(field.annotation):
                unwrapped[key] = value.value if isinstance(value, SecretInput) else value
            else:
                unwrapped[key] = unwrap_secrets(value)
        return unwrapped

    @field_validator("*", mode="before")
    @classmethod
    def _whole_numbers_as_written(cls, value: Any, info: ValidationInfo) -> Any:
        # Pydantic would read "6 " or "6_0" as a number; a count must be written as one.
        counts = _is_count(cls.model_fields[info.field_name].annotation)
        if counts and isinstance(value, str) and not _WHOLE_NUMBER_RE.match(value):
            raise ValueError(
                f"{value!r} is not a whole number; write the number without quotes or spaces"
            )
        return value


def _is_count(annotation: Any) -> bool:
    """Whether a field holds an int (or an optional one), constrained or not."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_count(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(kinds) == 1 and _is_count(kinds[0])
    return annotation is int


class Tier(StrEnum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


class TierDefaults(BaseModel):
    """What a tier decides unless the stack file says otherwise."""

    model_config = ConfigDict(frozen=True)

    protect: bool
    high_availability: bool
    backups: bool
    postgres_instances: int


TIER_DEFAULTS: dict[Tier, TierDefaults] = {
    Tier.dev: TierDefaults(
        protect=False, high_availability=False, backups=False, postgres_instances=1
    ),
    Tier.staging: TierDefaults(
        protect=True, high_availability=False, backups=True, postgres_instances=2
    ),
    Tier.prod: TierDefaults(
        protect=True, high_availability=True, backups=True, postgres_instances=3
    ),
}


def camel_to_snake(camel: str) -> str:
    """The Python field name of a camelCase config key."""
    return re.sub(r"([A-Z])", lambda m: f"_{m[1].lower()}", camel)
