"""The shared recording-mocks fixture and helpers for every test.

`stack_run(stack, preview=False)` runs a shipped stack file through
`kube_platform.stacks.offline` (Pulumi's mock runtime with recording mocks) once per session
and returns the recorded `Run`.
`run_config(config)` runs an ad-hoc stack file `config:` mapping.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_platform.stacks import offline

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT.parent / "shared" / "schemas"

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


def stack_config(stack: str) -> dict[str, Any]:
    """A deep copy of a shipped stack file's `config:` mapping, for tests to edit."""
    path = SHIPPED_STACKS[stack] / f"Pulumi.{stack}.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text())["config"])


_CACHE: dict[tuple[str, bool], offline.Run] = {}


@pytest.fixture(scope="session")
def stack_run() -> Callable[..., offline.Run]:
    def get(stack: str, preview: bool = False) -> offline.Run:
        key = (stack, preview)
        if key not in _CACHE:
            _CACHE[key] = offline.run(stack, preview=preview, project_dir=SHIPPED_STACKS[stack])
        return _CACHE[key]

    return get


@pytest.fixture
def run_config() -> Callable[..., offline.Run]:
    def run(config: dict[str, Any], stack: str = "test", preview: bool = False) -> offline.Run:
        return offline.run(stack, preview=preview, config=config, project_dir=ROOT)

    return run
