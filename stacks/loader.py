"""Load a StackConfig from Pulumi config and turn every problem into one readable error.

Pulumi hands the program its config as strings (JSON for structured values) plus the list of
top-level keys that hold a secret. The stack file tells exactly which values were stored
encrypted, so a secret-bearing key given in plaintext is caught even when a neighbouring value
of the same key is encrypted.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from kube_platform.components.errors import ConfigurationError
from kube_platform.stacks.config import PROJECT, StackConfig
from kube_platform.stacks.types import SecretInput

SECRET_PLACEHOLDER = "[secret]"
Path_ = tuple[str | int, ...]


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    return (project_dir or Path.cwd()) / f"Pulumi.{stack}.yaml"


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file, as written (encrypted values as `{secure: ..}`)."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path.name}: not valid YAML: {exc}") from None
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigurationError(f"{path.name}: 'config' must be a mapping of keys to values")
    return config


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def secure_paths(value: Any, prefix: Path_ = ()) -> set[Path_]:
    """Paths of the values stored encrypted in a stack file value."""
    if _is_secure(value):
        return {prefix}
    if isinstance(value, dict):
        return set().union(*(secure_paths(v, (*prefix, k)) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(secure_paths(v, (*prefix, i)) for i, v in enumerate(value)))
    return set()


def engine_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """What the Pulumi CLI would hand the program for a stack file's config, with encrypted
    values replaced by a placeholder since they cannot be decrypted offline."""

    def placeholder(value: Any) -> Any:
        if _is_secure(value):
            return SECRET_PLACEHOLDER
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholder(v) for v in value]
        return value

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        plain = placeholder(value)
        values[key] = plain if isinstance(plain, str) else json.dumps(plain)
        if secure_paths(value):
            secret_keys.append(key)
    return values, secret_keys


def _parse(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _wrap(value: Any, paths: set[Path_], prefix: Path_ = ()) -> Any:
    if prefix in paths:
        return SecretInput(value)
    if isinstance(value, dict):
        return {k: _wrap(v, paths, (*prefix, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap(v, paths, (*prefix, i)) for i, v in enumerate(value)]
    return value


def _leaf_paths(value: Any, prefix: Path_) -> set[Path_]:
    if isinstance(value, dict):
        return set().union(set(), *(_leaf_paths(v, (*prefix, k)) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(set(), *(_leaf_paths(v, (*prefix, i)) for i, v in enumerate(value)))
    return {prefix}


def load(
    raw: dict[str, Any],
    *,
    secret_keys: Iterable[str] = (),
    file_config: dict[str, Any] | None = None,
    source: str,
) -> StackConfig:
    """Validate `raw` (full config keys such as `platform:tier` mapped to engine values).

    `secret_keys` are the keys Pulumi reports as secret; `file_config`, when the stack file is
    at hand, pins down exactly which values inside them were encrypted. A secret key the file
    does not hold (one from a Pulumi ESC environment) counts as secret throughout.
    """
    prefix = f"{PROJECT}:"
    values = {k[len(prefix) :]: _parse(v) for k, v in raw.items() if k.startswith(prefix)}
    in_file = {k[len(prefix) :]: v for k, v in (file_config or {}).items() if k.startswith(prefix)}
    secret = {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)} - in_file.keys()
    paths = set().union(
        set(),
        *(secure_paths(v, (k,)) for k, v in in_file.items()),
        *(_leaf_paths(values[k], (k,)) for k in secret if k in values),
    )
    try:
        cfg = StackConfig.model_validate(_wrap(values, paths))
    except ValidationError as exc:
        raise ConfigurationError(
            "\n".join(f"{source}: {line}" for line in _describe(exc))
        ) from None
    problems = cfg.problems()
    if problems:
        raise ConfigurationError(
            "\n".join(f"{source}: {prefix}{path}: {message}" for path, message in problems)
        )
    return cfg


def from_pulumi(
    file_config: dict[str, Any] | None = None, project_dir: Path | None = None
) -> StackConfig:
    """The running stack's configuration, as the Pulumi engine (or the offline runner) hands
    it over, checked against the stack file's `config:` mapping when it is at hand."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {k for k in raw if runtime_config.is_config_secret(k)}
    secret_keys |= set(runtime_config.get_config_secret_keys_env())
    path = stack_file(pulumi.get_stack(), project_dir)
    if file_config is None and path.is_file():
        file_config = read_stack_file(path)
    return load(raw, secret_keys=secret_keys, file_config=file_config, source=path.name)


def _key_path(loc: tuple[str | int, ...]) -> str:
    text = f"{PROJECT}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += part if i == 0 else f".{part}"
    return text


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config model that holds the key at `loc` (to suggest spellings)."""
    model: Any = StackConfig
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if part not in fields:
            return None
        model = _model_of(fields[part].annotation)
        if model is None:
            return None
    return model


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            known = sorted(f.alias or n for n, f in parent.model_fields.items()) if parent else []
            guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else f"known keys: {', '.join(known)}"
            lines.append(f"{_key_path(loc)}: unknown key; {hint}")
        elif kind == "missing":
            lines.append(f"{_key_path(loc)}: required key is missing; set it in the stack file")
        elif kind == "value_error":
            message = error["msg"].removeprefix("Value error, ")
            message = message.replace("<key path>", _key_path(loc))
            lines.append(f"{_key_path(loc)}: {message}")
        else:
            shown = (
                ""
                if isinstance(error.get("input"), SecretInput)
                else (f" (got {error.get('input')!r})")
            )
            message = error["msg"].replace("Input should be", "must be")
            lines.append(f"{_key_path(loc)}: {message}{shown}")
    return lines
