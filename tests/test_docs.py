"""The configuration examples in README.md and docs/*.md stay valid: every `config:` document is
accepted by the real loader, and every `pulumi config set --path` command names real keys and
uses `--secret` where the key requires it."""

from __future__ import annotations

import re
import shlex
import textwrap
import typing
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from kube_platform.stacks import offline
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.types import is_secret_field
from tests.conftest import ROOT, stack_config

# configuration.md is generated from the models and checked by test_reference.py.
DOCS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "configuration.md"),
]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
# Documents without a cluster of their own are layered over these shipped stacks.
LAYER_ON = ("staging", "prod")


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            if match.group(2) == language:
                line = text[: match.start()].count("\n") + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", textwrap.dedent(match.group(3))))
    return found


def _config_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for where, body in _blocks("yaml"):
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            continue  # fragments elided with `...`
        if isinstance(document, dict) and isinstance(document.get("config"), dict):
            documents.append((where, document["config"]))
    return documents


def _config_set_commands() -> list[tuple[str, str]]:
    commands = []
    for where, body in _blocks("sh") + _blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"^#\s*\w+:\s*", "", line.strip())  # "# GKE: pulumi config set ..."
            if line.startswith("pulumi config set"):
                commands.append((where, line))
    return commands


CASES = [
    (f"{where} on {stack}", stack, config)
    for where, config in _config_documents()
    for stack in ((None,) if "platform:cluster" in config else LAYER_ON)
]


def test_docs_have_examples():
    assert len(_config_documents()) >= 5
    assert len(_config_set_commands()) >= 30


@pytest.mark.parametrize(("stack", "config"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_documents_are_accepted(stack, config):
    full = config if stack is None else {**stack_config(stack), **config}
    run = offline.run("docs", config=full, project_dir=ROOT)
    assert run.unknown_invokes == []


def _field(model: type[BaseModel], alias: str):
    for name, field in model.model_fields.items():
        if (field.alias or name) == alias:
            return field
    raise KeyError(f"{model.__name__} has no key {alias!r}")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (model := _model_of(arg)) is not None:
            return model
    return None


@pytest.mark.parametrize(("where", "command"), _config_set_commands())
def test_config_set_commands_name_real_keys(where, command):
    args = shlex.split(command, comments=True)
    path = next(a for a in args[3:] if a.startswith("platform:"))
    assert "--path" in args or "." not in path, f"{where}: {command} needs --path"
    model, field = StackConfig, None
    for segment in re.sub(r"\[\d+\]", "", path.removeprefix("platform:")).split("."):
        assert model is not None, f"{where}: {path}: {segment!r} is below a plain value"
        try:
            field = _field(model, segment)
        except KeyError as exc:
            pytest.fail(f"{where}: {path}: {exc}")
        model = _model_of(field.annotation)
    secret_ok = "--secret" in args or not is_secret_field(field)
    assert secret_ok, f"{where}: {path} holds a secret: set it with --secret"


def test_examples_use_shipped_paths():
    """Files and folders the docs tell people to open or copy exist."""
    text = "\n".join(p.read_text() for p in [*DOCS, ROOT / "examples" / "gke" / "README.md"])
    for path in re.findall(
        r"\b((?:examples|docs|components|stacks)/[\w./-]+\.(?:py|md|yaml))", text
    ):
        assert (ROOT / path).exists() or (ROOT / "examples" / "gke" / path).exists(), path
