"""Every shipped (and customised) stack builds, in update and in preview mode, with the same
resources and the outputs downstream stacks need."""

from __future__ import annotations

import re

import pytest

from tests.conftest import CHECKED_STACKS, FIXTURES, PLACEHOLDERS, replace_placeholders

STACKS = sorted(CHECKED_STACKS)


def _shape(run):
    return {
        (r.urn, r.type, r.parent, r.protect, r.provider_urn) for r in run.registrations.values()
    }


@pytest.mark.parametrize("stack", STACKS)
def test_update_and_preview_register_the_same_resources(checked_run, stack):
    update, preview = checked_run(stack), checked_run(stack, preview=True)
    assert update.registrations, "the stack registered nothing"
    assert _shape(update) == _shape(preview)


@pytest.mark.parametrize("stack", STACKS)
def test_only_taught_invokes_are_made(checked_run, stack):
    assert checked_run(stack).unknown_invokes == []
    assert checked_run(stack, preview=True).unknown_invokes == []


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_hand_downstream_stacks_what_they_need(checked_run, stack):
    outputs = checked_run(stack).outputs
    for key in ("tier", "cloud", "clusterName", "kubernetesVersion", "endpoint", "kubeconfig"):
        assert key in outputs, key
    assert outputs["kubeconfig"].secret
    assert outputs["tier"].value in {"dev", "staging", "prod"}


def test_the_customisation_replaces_every_placeholder():
    """The customised stacks are real: on the stack files as the project ships them (kept as
    fixtures), every placeholder is replaced by another valid value."""
    fixtures = sorted(FIXTURES.glob("Pulumi.*.yaml"))
    changed = [p.name for p in fixtures if replace_placeholders(p.read_text()) != p.read_text()]
    assert len(changed) >= 4, changed
    for path in fixtures:
        rewritten = replace_placeholders(path.read_text())
        assert [p for p, _ in PLACEHOLDERS if re.search(p, rewritten)] == [], path.name


def test_dev_targets_a_local_cluster_without_a_cloud_account(stack_run):
    run = stack_run("dev")
    assert run.outputs["cloud"].value == "existing"
    provider = run.of_type("pulumi:providers:kubernetes")[0]
    assert provider.inputs["context"] == "kind-platform"
    assert not [r for r in run.registrations.values() if r.type.split(":")[0] in {"aws", "gcp"}]


def test_the_program_entry_point_exports_the_platform_outputs(checked_run, monkeypatch):
    """`__main__.py`, as the Pulumi CLI runs it: config from the engine, outputs exported."""
    import runpy

    from pulumi.runtime.settings import get_root_resource

    from kube_platform.stacks import offline
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)

    def program():
        runpy.run_path(str(ROOT / "__main__.py"))
        return dict(get_root_resource().outputs)

    run = offline.run("dev", program=program)
    assert set(run.outputs) == set(checked_run("dev").outputs)
    assert run.outputs["kubeconfig"].secret
    assert {r.urn for r in run.registrations.values()} == set(checked_run("dev").registrations)
