"""The offline plan: tree, counts, JSON and diff, with no CLI or credentials."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kube_platform.stacks import plan
from tests.conftest import ROOT


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_plan_prints_the_tree_and_writes_json(tmp_path, stack):
    out = tmp_path / "plan.json"
    result = subprocess.run(
        [sys.executable, "-m", "kube_platform.stacks", "plan", stack, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert "pulumi:providers:kubernetes" in result.stdout
    assert f"in stack '{stack}'" in result.stdout
    data = json.loads(out.read_text())
    assert data["stack"] == stack
    assert data["outputs"]["kubeconfig"] == "[secret]"
    assert all({"urn", "type", "parent", "protect"} <= r.keys() for r in data["resources"])


def test_plan_diff_reports_added_removed_and_changed(stack_run):
    new = plan.to_json(stack_run("dev"))
    old = json.loads(json.dumps(new))
    removed = old["resources"].pop()
    old["resources"].append({**removed, "urn": "urn:pulumi:dev::platform::x::gone"})
    old["resources"][0]["protect"] = not old["resources"][0]["protect"]
    text = plan.diff(old, new)
    assert f"+ {removed['urn']}" in text
    assert "- urn:pulumi:dev::platform::x::gone" in text
    assert "~ " in text and "protect:" in text
    assert plan.diff(new, new) == "No changes."


def test_secret_inputs_are_masked_in_the_plan(run_config):
    config = {
        "platform:tier": "dev",
        "platform:cluster": {"kind": "existing", "existing": {"kubeconfig": {"secure": "v1:x"}}},
    }
    data = plan.to_json(run_config(config))
    provider = next(r for r in data["resources"] if r["type"] == "pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"
