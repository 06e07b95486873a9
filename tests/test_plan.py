"""The offline plan: tree, JSON, URNs as the engine builds them, and a comparison a reviewer can
act on (old -> new values, replacements, protected resources first), with no CLI or credentials.
"""

from __future__ import annotations

import copy
import json

import pytest

from kube_platform.stacks import plan
from kube_platform.stacks.__main__ import main
from tests.conftest import FIXTURES

ROOT_STACK = "pulumi:pulumi:Stack"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
POSTGRES = "kubernetes:postgresql.cnpg.io/v1:Cluster"


def test_the_plan_command_prints_the_tree_and_writes_json(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert main(["plan", "dev", "--out", str(out), "--project-dir", str(FIXTURES)]) == 0
    printed = capsys.readouterr()
    assert "pulumi:providers:kubernetes" in printed.out
    assert "in stack 'dev' (update mode)" in printed.out
    assert f"Plan written to {out}" in printed.err
    data = json.loads(out.read_text())
    assert (data["stack"], data["mode"], data["format"]) == ("dev", "update", plan.FORMAT)
    assert data["outputs"]["kubeconfig"] == "[secret]"
    assert all(
        {"urn", "type", "parent", "protect", "inputs"} <= r.keys() for r in data["resources"]
    )


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


@pytest.mark.parametrize("stack", ["prod", "gke-prod"])
def test_urns_carry_the_whole_parent_type_chain(stack_run, stack):
    """As the engine builds them (pulumi/pulumi pkg/resource/deploy/deployment.go
    generateURN, sdk/go/common/resource/urn/urn.go New): the parent's qualified type, `$`, the
    type; nothing for resources under the root stack."""
    run = stack_run(stack)
    nested = 0
    for r in run.registrations.values():
        parent = r.parent.split("::")[2] if r.parent else ROOT_STACK
        expected = r.type if parent == ROOT_STACK else f"{parent}${r.type}"
        assert r.urn == f"urn:pulumi:{stack}::platform::{expected}::{r.name}"
        nested += _qualified_type(r.urn).count("$") >= 2
    assert nested, "no resource two components deep: the chain is not exercised"


@pytest.fixture(scope="module")
def prod_plan(stack_run):
    return plan.to_json(stack_run("prod"))


def _edit(data, name, type_=None):
    found = [r for r in data["resources"] if r["name"] == name and type_ in (None, r["type"])]
    assert len(found) == 1, name
    return found[0]


def _change(old, new, name, type_=None):
    found = [c for c in plan.diff(old, new).changes if (c.name, type_ or c.type) == (name, c.type)]
    assert len(found) == 1, (name, found)
    return found[0]


def test_a_changed_field_shows_its_old_and_new_value(prod_plan):
    old, new = prod_plan, copy.deepcopy(prod_plan)
    group = "platform-prod-general-eu-west-1a"
    before = _edit(old, group, NODE_GROUP)["inputs"]["scalingConfig"]["maxSize"]
    _edit(new, group, NODE_GROUP)["inputs"]["scalingConfig"]["maxSize"] = before + 2
    assert _change(old, new, group).action == "update"
    text = plan.render_diff(plan.diff(old, new))
    assert f"scalingConfig.maxSize: {before} → {before + 2}" in text
    assert "1 to update" in text.splitlines()[0]


def test_fields_the_resource_ignores_are_not_changes(prod_plan):
    """ignoreChanges (scalingConfig.desiredSize on node groups) hides a change from Pulumi."""
    old, new = prod_plan, copy.deepcopy(prod_plan)
    group = "platform-prod-general-eu-west-1a"
    _edit(new, group, NODE_GROUP)["inputs"]["scalingConfig"]["desiredSize"] = 9
    assert plan.diff(old, new).changes == []


@pytest.mark.parametrize(
    ("name", "type_", "edit", "field"),
    [
        ("platform-prod-eks", None, lambda i: i.update(name="platform-other"), "name"),
        (
            "platform-prod-eks",
            None,
            lambda i: i.update(bootstrapSelfManagedAddons=True),
            "bootstrapSelfManagedAddons",
        ),
        ("platform-prod-eks", None, lambda i: i.pop("encryptionConfig"), "encryptionConfig"),
        (
            "platform-prod-system-eu-west-1a",
            NODE_GROUP,
            lambda i: i.update(amiType="BOTTLEROCKET_x86_64"),
            "amiType",
        ),
        (
            "app-db",
            POSTGRES,
            lambda i: i["metadata"].update(namespace="elsewhere"),
            "metadata.namespace",
        ),
    ],
)
def test_fields_the_provider_cannot_update_replace_the_resource(
    prod_plan, name, type_, edit, field
):
    old, new = prod_plan, copy.deepcopy(prod_plan)
    edit(_edit(new, name, type_)["inputs"])
    change = _change(old, new, name, type_)
    assert change.action == "replace"
    assert any(f.replaces and f.path.startswith(field) for f in change.fields)


def test_adding_what_only_its_removal_replaces_is_an_update(prod_plan):
    """EKS associates envelope encryption with a running cluster; only removing it forces a
    new one (terraform-provider-aws internal/service/eks/cluster.go CustomizeDiff)."""
    old, new = copy.deepcopy(prod_plan), prod_plan
    _edit(old, "platform-prod-eks")["inputs"].pop("encryptionConfig")
    assert _change(old, new, "platform-prod-eks").action == "update"


def test_a_rename_replaces_the_resource_and_its_protected_state_comes_first(prod_plan):
    old, new = prod_plan, copy.deepcopy(prod_plan)
    cluster = _edit(new, "app-db", POSTGRES)
    cluster["name"] = "app-db-2"
    cluster["urn"] = cluster["urn"].replace("::app-db", "::app-db-2")
    group = _edit(new, "platform-prod-general-eu-west-1a", NODE_GROUP)
    group["inputs"]["scalingConfig"]["maxSize"] = 14
    result = plan.diff(old, new)
    renamed = _change(old, new, "app-db-2")
    assert (renamed.action, renamed.protected, renamed.blocked) == ("replace", True, True)
    assert renamed.old_urn.endswith("::app-db")
    assert result.ordered()[0].name == "app-db-2"
    text = plan.render_diff(result)
    assert text.splitlines()[0].startswith("Stack 'prod' (update mode): 1 to replace (1 protected)")
    assert "`pulumi up` stops at them" in text
    assert text.index("app-db-2") < text.index("platform-prod-general-eu-west-1a")


def test_only_what_is_deployed_protected_blocks_a_replacement(prod_plan):
    old, new = copy.deepcopy(prod_plan), copy.deepcopy(prod_plan)
    _edit(old, "app-db", POSTGRES)["protect"] = False
    _edit(new, "app-db", POSTGRES)["inputs"]["metadata"]["name"] = "app-db-2"
    change = _change(old, new, "app-db", POSTGRES)
    assert (change.action, change.protected, change.blocked) == ("replace", True, False)
    assert "protected" not in plan.diff(old, new).summary()


def test_an_alias_carries_a_rename_without_replacing(prod_plan):
    old, new = prod_plan, copy.deepcopy(prod_plan)
    cluster = _edit(new, "app-db", POSTGRES)
    cluster["aliases"] = [cluster["urn"]]
    cluster["urn"] = cluster["urn"].replace("::app-db", "::app-db-2")
    assert plan.diff(old, new).changes == []


def test_replacing_a_cluster_replaces_what_is_deleted_with_it(prod_plan):
    """pulumi/pulumi pkg/resource/deploy/step_generator.go: a resource whose deletedWith
    resource is replaced is replaced as well."""
    old, new = prod_plan, copy.deepcopy(prod_plan)
    _edit(new, "platform-prod-eks")["inputs"]["name"] = "platform-other"
    database = _change(old, new, "app-db", POSTGRES)
    assert database.action == "replace"
    assert any("deletedWith" in reason for reason in database.reasons)


def test_secret_inputs_are_masked_in_the_plan(run_config):
    config = {
        "platform:tier": "dev",
        "platform:cluster": {"kind": "existing", "existing": {"kubeconfig": {"secure": "v1:x"}}},
    }
    data = plan.to_json(run_config(config))
    provider = next(r for r in data["resources"] if r["type"] == "pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert data["outputs"]["kubeconfig"] == "[secret]"


def test_markdown_puts_the_summary_first_and_folds_long_lists(prod_plan):
    old, new = prod_plan, copy.deepcopy(prod_plan)
    for r in new["resources"]:
        if r["type"] == "kubernetes:core/v1:Namespace":
            r["inputs"]["metadata"].setdefault("labels", {})["team"] = "platform"
    text = plan.render_diff_markdown(plan.diff(old, new), "base.json")
    lines = text.splitlines()
    assert lines[0] == "<!-- kube-platform plan: prod -->"
    assert lines[1].startswith("**Offline plan** — Stack 'prod' (update mode): 0 to replace")
    assert "<details><summary>" in text
    assert '`metadata.labels.team`: `(absent)` → `"platform"`' in text


def test_markdown_without_a_comparison_lists_protected_resources(stack_run):
    text = plan.render_markdown(stack_run("prod"))
    assert text.splitlines()[1].startswith("**Offline plan** — ")
    assert "#### Protected resources" in text
    assert "`aws:eks/cluster:Cluster` `platform-prod-eks`" in text


# --- refusals and broken plan files, one line each, before the program runs ----------------


def _plan_file(tmp_path, **changes):
    data = {
        "format": plan.FORMAT,
        "stack": "dev",
        "project": "platform",
        "mode": "update",
        "resources": [],
        "outputs": {},
        **changes,
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    return path


def _errors(capsys, *argv):
    code = main(["plan", *argv, "--project-dir", str(FIXTURES)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_plans_of_another_stack_are_not_compared(tmp_path, capsys):
    path = _plan_file(tmp_path, stack="staging")
    assert _errors(capsys, "dev", "--compare", str(path)) == (
        f"error: {path} is a plan of stack 'staging', not 'dev'; compare plans of the same stack"
    )


def test_update_and_preview_plans_are_not_compared(tmp_path, capsys):
    path = _plan_file(tmp_path, mode="preview")
    assert _errors(capsys, "dev", "--compare", str(path)) == (
        f"error: {path} is a preview plan and this is an update plan, whose computed values "
        "differ; run with --preview to compare like with like"
    )


def test_a_missing_plan_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "nowhere.json"
    assert _errors(capsys, "dev", "--compare", str(path)) == (
        f"error: {path}: no such plan file; write one with "
        f"`python -m kube_platform.stacks plan <stack> --out {path}`"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a plan file (invalid JSON at line 1)"),
        (
            '{"stack": "dev", "resources": []}',
            "not a plan written by `python -m kube_platform.stacks plan --out` (no 'format', "
            "'project', 'mode', 'outputs'); write it again with this version",
        ),
        ("[]", "not a plan written by `python -m kube_platform.stacks plan --out` (no 'format')"),
    ],
)
def test_a_malformed_plan_file_is_one_line(tmp_path, capsys, text, message):
    path = tmp_path / "old.json"
    path.write_text(text)
    assert _errors(capsys, "dev", "--compare", str(path)).startswith(f"error: {path}: {message}")
