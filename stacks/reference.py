"""Generate the configuration reference (docs/configuration.md) from the config models."""

from __future__ import annotations

import enum
import ipaddress
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from kube_platform.stacks.config import PROJECT, TIER_DEFAULTS, StackConfig
from kube_platform.stacks.types import is_secret_annotation, is_secret_field

REFERENCE_PATH = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def _type_name(annotation: Any) -> str:
    if is_secret_annotation(annotation) and typing.get_origin(annotation) is not typing.Union:
        return "secret string"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if annotation is ipaddress.IPv4Network:
        return "CIDR"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "—"
    if isinstance(value, BaseModel):
        return "see section"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, ipaddress.IPv4Network | bool | int | str):
        return f"`{str(value).lower() if isinstance(value, bool) else value}`"
    return f"`{value!r}`"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if is_model and annotation not in found:
            found.append(annotation)
            for field in annotation.model_fields.values():
                visit(field.annotation)
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(root)
    return found


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from `stacks/config/` by `python -m kube_platform.stacks reference --write`; "
        "a test fails when it is stale. Keys live under the `platform:` namespace of a stack file. "
        "Secret strings must be set with `pulumi config set --secret`.",
        "",
        "## Tier defaults",
        "",
        "| tier | protect | highAvailability | backups | Postgres instances |",
        "|---|---|---|---|---|",
    ]
    for tier, d in TIER_DEFAULTS.items():
        lines.append(
            f"| `{tier.value}` | {d.protect} | {d.high_availability} | {d.backups} | "
            f"{d.postgres_instances} |"
        )
    for model in _models(StackConfig):
        title = f"Top-level keys (`{PROJECT}:<key>`)" if model is StackConfig else model.__name__
        lines += ["", f"## {title}", ""]
        doc = (model.__doc__ or "").strip()
        if doc and model.__doc__ is not BaseModel.__doc__:
            lines += [" ".join(doc.split()), ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            description = (field.description or "").replace("|", "\\|")
            kind = "secret string" if is_secret_field(field) else _type_name(field.annotation)
            lines.append(
                f"| `{field.alias or name}` | {kind} | {_default(field)} | {description} |"
            )
    return "\n".join(lines) + "\n"
