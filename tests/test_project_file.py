"""Pulumi.yaml and the stack files follow the rules the Pulumi CLI enforces, so `pulumi up`
does not fail before the program even starts."""

from __future__ import annotations

import pytest
import yaml

from kube_platform.stacks.config import PROJECT, StackConfig
from tests.conftest import CHECKED_STACKS, ROOT

SIMPLE_TYPES = {"string", "integer", "boolean", "array"}
PYTHON_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


def _project() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_project_config_declarations_are_valid_for_the_cli():
    project = _project()
    assert project["name"] == PROJECT
    fields = {f.alias for f in StackConfig.model_fields.values()}
    for key, declaration in project.get("config", {}).items():
        assert ":" not in key, f"{key}: project keys are declared without a namespace"
        assert key in fields, f"{key} is declared but the program does not read it"
        assert declaration["type"] in SIMPLE_TYPES, f"{key}: Pulumi has no type {declaration}"
        if declaration["type"] == "array":
            assert "items" in declaration, f"{key}: arrays must declare items"


@pytest.mark.parametrize("stack", sorted(CHECKED_STACKS))
def test_stack_files_satisfy_the_declared_types(stack):
    config = CHECKED_STACKS[stack].config()
    for key, declaration in _project().get("config", {}).items():
        value = config.get(f"{PROJECT}:{key}")
        if value is None:
            assert "default" in declaration, f"Pulumi.{stack}.yaml is missing {PROJECT}:{key}"
            continue
        assert isinstance(value, PYTHON_TYPES[declaration["type"]]), key


# Providers that reach a cluster or a cloud account must be explicit; tls and random need no
# account, so their default providers stay available.
MUST_BE_EXPLICIT = {"kubernetes", "aws", "gcp"}


@pytest.mark.parametrize("stack", sorted(CHECKED_STACKS))
def test_every_stack_disables_default_providers(stack):
    disabled = set(CHECKED_STACKS[stack].config().get("pulumi:disable-default-providers", []))
    assert disabled == {"*"} or disabled >= MUST_BE_EXPLICIT


def test_every_operation_refreshes_state_first():
    """`options.refresh: always` (pulumi/pulumi sdk/go/common/workspace/project.json: the only
    value the schema allows) makes every preview, update and destroy refresh first. Node groups
    ignore their desired size, but a change to their minimum, maximum or labels still sends the
    whole scaling config from state; refreshed, that is the autoscaler's current size."""
    assert _project()["options"] == {"refresh": "always"}
