"""The shared recording-mocks fixtures and the stacks the tests build.

Tests own their inputs. Two kinds of stack are built, through `kube_platform.stacks.offline`
(Pulumi's mock runtime with recording mocks), once per session each:

- `stack_run(name, preview=False)`: a fixture stack file from `tests/fixtures/stacks/`.
  Property tests (endpoint privacy, instance counts, issuer solvers, ...) assert on these, so
  their literal values belong to the tests.
- `checked_run(source, preview=False)`: a stack the project ships (`Pulumi.<stack>.yaml`,
  `examples/*/Pulumi.<stack>.yaml`) or one of the customisations a team makes first (every
  placeholder replaced, prod moved to GKE). Only invariants that hold for any valid
  configuration are checked on these (`CHECKED_STACKS`), so a team that puts its own values in
  the stack files keeps a green suite.

`run_config(config)` runs an ad-hoc stack file `config:` mapping.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kube_platform.stacks import offline

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT.parent / "shared" / "schemas"
FIXTURES = ROOT / "tests" / "fixtures" / "stacks"

# Every stack file the project ships: the three stacks, plus complete examples for the other
# cloud (examples/<name>/Pulumi.<stack>.yaml).
SHIPPED_STACKS: dict[str, Path] = {
    "dev": ROOT,
    "staging": ROOT,
    "prod": ROOT,
    **{
        path.stem.removeprefix("Pulumi."): path.parent
        for path in sorted((ROOT / "examples").glob("*/Pulumi.*.yaml"))
    },
}

# What a team replaces first: the placeholder account, domains, zones, project and tailnet
# of the shipped files, each swapped for another valid value of the same kind.
PLACEHOLDERS: list[tuple[str, str]] = [
    (r"\b123456789012\b", "210987654321"),
    (r"\bexample\.com\b", "corp-platform.io"),
    (r"\bexample\.net\b", "corp-platform.dev"),
    (r"\bZ0[0-9A-Z]+\b", "Z3M3LMPQ7DOKWD"),
    (r"\bacme-platform(-[a-z]+)?\b", r"payments-4821\1"),
    (r"\btail1234\.ts\.net\b", "tail9f3c2.ts.net"),
    (r"\bacme/platform\b", "payments-team/platform-infra"),
    (r"\b203\.0\.113\.0/28\b", "198.51.100.16/28"),
    (r"\bkind-platform\b", "kind-laptop"),
]


def replace_placeholders(text: str) -> str:
    for pattern, replacement in PLACEHOLDERS:
        text = re.sub(pattern, replacement, text)
    return text


@dataclass(frozen=True)
class StackSource:
    """A stack file to build: `stack` is the Pulumi stack name it is built as."""

    stack: str
    path: Path
    rewrite: Callable[[str], str] | None = None

    def text(self) -> str:
        text = self.path.read_text()
        return self.rewrite(text) if self.rewrite else text

    def config(self) -> dict[str, Any]:
        return yaml.safe_load(self.text())["config"]


def _shipped(stack: str) -> Path:
    return SHIPPED_STACKS[stack] / f"Pulumi.{stack}.yaml"


# The stacks every invariant is checked on: as shipped, with every placeholder replaced, and
# prod moved to GKE by copying the example over it (as the README tells teams to).
CHECKED_STACKS: dict[str, StackSource] = {
    **{stack: StackSource(stack, _shipped(stack)) for stack in SHIPPED_STACKS},
    **{
        f"customised-{stack}": StackSource(stack, _shipped(stack), replace_placeholders)
        for stack in SHIPPED_STACKS
    },
}
if "gke-prod" in SHIPPED_STACKS:
    CHECKED_STACKS["prod-on-gke"] = StackSource("prod", _shipped("gke-prod"))


def stack_config(stack: str) -> dict[str, Any]:
    """A deep copy of a fixture stack file's `config:` mapping, for tests to edit."""
    path = FIXTURES / f"Pulumi.{stack}.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text())["config"])


# Builds by content: a shipped stack file still equal to its fixture (as the project ships
# them) is built once for both. The project directory only names the file in errors.
_RUNS: dict[tuple[str, bool, str], offline.Run] = {}
# Each fixture or checked stack's build, looked up by name so a test does not reread YAML.
_BY_NAME: dict[tuple[str, str, bool], offline.Run] = {}


def _build(stack: str, config: dict[str, Any], project_dir: Path, preview: bool) -> offline.Run:
    key = (stack, preview, json.dumps(config, sort_keys=True, default=str))
    if key not in _RUNS:
        _RUNS[key] = offline.run(stack, preview=preview, config=config, project_dir=project_dir)
    return _RUNS[key]


@pytest.fixture(scope="session")
def stack_run() -> Callable[..., offline.Run]:
    """A fixture stack (`tests/fixtures/stacks/Pulumi.<name>.yaml`), built once."""

    def get(stack: str, preview: bool = False) -> offline.Run:
        key = ("fixture", stack, preview)
        if key not in _BY_NAME:
            _BY_NAME[key] = _build(stack, stack_config(stack), FIXTURES, preview)
        return _BY_NAME[key]

    return get


@pytest.fixture(scope="session")
def checked_run() -> Callable[..., offline.Run]:
    """A shipped or customised stack (`CHECKED_STACKS`), built once; for invariants only."""

    def get(source: str, preview: bool = False) -> offline.Run:
        key = ("checked", source, preview)
        if key not in _BY_NAME:
            src = CHECKED_STACKS[source]
            _BY_NAME[key] = _build(src.stack, src.config(), src.path.parent, preview)
        return _BY_NAME[key]

    return get


@pytest.fixture(params=sorted(CHECKED_STACKS))
def every_stack(request, checked_run) -> offline.Run:
    """Each shipped and customised stack in turn, built in update mode: for rules and other
    invariants that must hold for any valid configuration."""
    return checked_run(request.param)


@pytest.fixture
def run_config() -> Callable[..., offline.Run]:
    def run(config: dict[str, Any], stack: str = "test", preview: bool = False) -> offline.Run:
        return offline.run(stack, preview=preview, config=config, project_dir=ROOT)

    return run
