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


# Top-level keys of a stack file (Pulumi's ProjectStack), besides `config`.
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file, as written (encrypted values as `{secure: ..}`).
    Mistakes only the file's text shows (a duplicated key, a version YAML reads as a number,
    keys outside `config:` or without a namespace) are reported together, one line each."""
    text = path.read_text()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path.name}: not valid YAML: {exc}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"the value {document!r}"
        raise ConfigurationError(
            f"{path.name}: the file holds {kind} at the top level; a stack file is a mapping "
            "with the settings under a `config:` key, as in Pulumi.dev.yaml"
        )
    problems = [*_duplicate_keys(node, ()), *_misplaced_keys(document)]
    config = document.get("config")
    if config is not None and not isinstance(config, dict):
        problems.append("config: must be a mapping of keys to values")
    config = config if isinstance(config, dict) else {}
    problems += _unnamespaced_keys(config)
    problems += _unquoted_versions(node)
    if problems:
        raise ConfigurationError("\n".join(f"{path.name}: {p}" for p in problems))
    return config


def _node_path(parts: tuple[Any, ...]) -> str:
    """`config`, `platform:nodePools[0].minSize`: the path a stack file key is known by."""
    if parts[:1] != ("config",) or len(parts) == 1:
        return ".".join(str(p) for p in parts)
    text = str(parts[1])
    for part in parts[2:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _duplicate_keys(node: yaml.Node | None, parts: tuple[Any, ...]) -> list[str]:
    found: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            line = key.start_mark.line + 1
            if name in seen:
                found.append(
                    f"{_node_path((*parts, name))}: the key appears twice (lines {seen[name]} "
                    f"and {line}); YAML keeps only the last one, so remove or merge the other"
                )
            seen.setdefault(name, line)
            found += _duplicate_keys(value, (*parts, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, (*parts, i))
    return found


def _misplaced_keys(document: dict[Any, Any]) -> list[str]:
    found = []
    for key in document:
        if key in STACK_FILE_KEYS:
            continue
        if isinstance(key, str) and ":" in key:
            found.append(
                f"{key}: this key is at the top level of the file, where Pulumi does not read "
                "it; configuration goes under `config:`, so indent it below a `config:` line"
            )
        else:
            guess = difflib.get_close_matches(str(key), STACK_FILE_KEYS, n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else "settings go under `config:`"
            found.append(f"{key}: unknown top-level key; {hint}")
    return found


def _unnamespaced_keys(config: dict[Any, Any]) -> list[str]:
    fields = {f.alias or n for n, f in StackConfig.model_fields.items()}
    found = []
    for key in config:
        if isinstance(key, str) and ":" in key:
            continue
        if key in fields:
            fix = f"write {PROJECT}:{key}"
        else:
            fix = f"write it as <namespace>:{key} ({PROJECT}:{key} for this program)"
        found.append(
            f"{key}: configuration keys carry a namespace, and the Pulumi CLI rejects this "
            f"one; {fix}"
        )
    return found


def _unquoted_versions(node: yaml.Node | None) -> list[str]:
    """`kubernetesVersion: 1.30` is the number 1.3 to YAML; the text shows what was meant."""
    config = _child(node, "config")
    cluster = _child(config, f"{PROJECT}:cluster")
    version = _child(cluster, "kubernetesVersion")
    numbers = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    if not isinstance(version, yaml.ScalarNode) or version.style or version.tag not in numbers:
        return []
    number = yaml.safe_load(version.value)
    return [
        f"{PROJECT}:cluster.kubernetesVersion: {version.value} is unquoted, so YAML reads it as "
        f'the number {number}; quote it: kubernetesVersion: "{version.value}"'
    ]


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value
    return None


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


def from_stack_file(stack: str, project_dir: Path | None = None) -> StackConfig:
    """A stack's configuration read from its stack file alone (encrypted values stay
    placeholders), as the offline runner and `make up` see it."""
    path = stack_file(stack, project_dir)
    file_config = read_stack_file(path)
    values, secret_keys = engine_config(file_config)
    return load(values, secret_keys=secret_keys, file_config=file_config, source=path.name)


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


def _field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of the config models (list entries left out of the path)."""
    paths = []
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        paths.append(path)
        nested = _model_of(field.annotation)
        if nested is not None:
            paths += _field_paths(nested, path)
    return paths


def _unknown_key_hint(loc: tuple[str | int, ...]) -> str:
    """A key that exists elsewhere was put under the wrong parent: say where it belongs (a
    close spelling here could mean the opposite, as privateAccessCidrs for
    publicAccessCidrs). Otherwise suggest the nearest spelling among the known keys."""
    key, here = str(loc[-1]), tuple(str(p) for p in loc[:-1] if not isinstance(p, int))
    elsewhere = [p[:-1] for p in _field_paths(StackConfig) if p[-1] == key and p[:-1] != here]
    if elsewhere:

        def shared(path: tuple[str, ...]) -> int:
            pairs = zip(path, here, strict=False)
            return next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(path), len(here)))

        if () in elsewhere:
            return f"{key} is a top-level key; write it as {PROJECT}:{key}"
        best = max(shared(p) for p in elsewhere)
        parents = [_with_indices(p, loc) for p in elsewhere if shared(p) == best]
        return f"{key} belongs under {' or '.join(parents)}; move it there"
    parent = _model_at(loc[:-1])
    known = sorted(f.alias or n for n, f in parent.model_fields.items()) if parent else []
    guess = difflib.get_close_matches(key, known, n=1)
    return f"did you mean '{guess[0]}'?" if guess else f"known keys: {', '.join(known)}"


def _with_indices(path: tuple[str, ...], loc: tuple[str | int, ...]) -> str:
    """`platform:<path>`, with the list indices of `loc` where the two paths agree."""
    parts: list[str | int] = []
    rest = list(loc)
    for name in path:
        while rest and isinstance(rest[0], int):
            parts.append(rest.pop(0))
        if rest and rest[0] == name:
            rest.pop(0)
        else:
            rest = []
        parts.append(name)
    if rest and isinstance(rest[0], int):
        parts.append(rest[0])
    return _key_path(tuple(parts)) if parts else f"{PROJECT}:"


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            lines.append(f"{_key_path(loc)}: unknown key; {_unknown_key_hint(loc)}")
        elif kind == "missing":
            lines.append(f"{_key_path(loc)}: required key is missing; set it in the stack file")
        elif kind == "too_short" and isinstance(error.get("input"), list):
            least = error["ctx"]["min_length"]
            entries = "one entry" if least == 1 else f"{least} entries"
            lines.append(f"{_key_path(loc)}: the list is empty; list at least {entries}")
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
