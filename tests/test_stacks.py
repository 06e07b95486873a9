"""Every shipped stack builds, in update and in preview mode, with the same resources."""

from __future__ import annotations

import pytest

from tests.conftest import SHIPPED_STACKS

STACKS = sorted(SHIPPED_STACKS)


def _shape(run):
    return {
        (r.urn, r.type, r.parent, r.protect, r.provider_urn) for r in run.registrations.values()
    }


@pytest.mark.parametrize("stack", STACKS)
def test_update_and_preview_register_the_same_resources(stack_run, stack):
    update, preview = stack_run(stack), stack_run(stack, preview=True)
    assert update.registrations, "the stack registered nothing"
    assert _shape(update) == _shape(preview)


@pytest.mark.parametrize("stack", STACKS)
def test_only_taught_invokes_are_made(stack_run, stack):
    assert stack_run(stack).unknown_invokes == []
    assert stack_run(stack, preview=True).unknown_invokes == []


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_hand_downstream_stacks_what_they_need(stack_run, stack):
    outputs = stack_run(stack).outputs
    for key in ("tier", "cloud", "clusterName", "kubernetesVersion", "endpoint", "kubeconfig"):
        assert key in outputs, key
    assert outputs["kubeconfig"].secret
    assert outputs["tier"].value == stack if stack in {"dev", "staging", "prod"} else True


def test_dev_targets_a_local_cluster_without_a_cloud_account(stack_run):
    run = stack_run("dev")
    assert run.outputs["cloud"].value == "existing"
    provider = run.of_type("pulumi:providers:kubernetes")[0]
    assert provider.inputs["context"] == "kind-platform"
    assert not [r for r in run.registrations.values() if r.type.split(":")[0] in {"aws", "gcp"}]


def test_the_program_entry_point_exports_the_platform_outputs(stack_run, monkeypatch):
    """`__main__.py`, as the Pulumi CLI runs it: config from the engine, outputs exported."""
    import runpy

    from kube_platform.stacks import offline
    from pulumi.runtime.settings import get_root_resource

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)

    def program():
        runpy.run_path(str(ROOT / "__main__.py"))
        return dict(get_root_resource().outputs)

    run = offline.run("dev", program=program)
    assert set(run.outputs) == set(stack_run("dev").outputs)
    assert run.outputs["kubeconfig"].secret
    assert {r.urn for r in run.registrations.values()} == set(stack_run("dev").registrations)
