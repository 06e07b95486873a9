"""The program's unit tests, through kube-platform's offline runner: Pulumi's mock runtime
with recording mocks, no cloud account and no Pulumi CLI."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from kube_platform.stacks.offline import Run, run_program

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The EKS component checks, before it creates anything, that whoever deploys is one of the
# cluster's admins; the recording mocks answer AWS's identity calls as `deployer`.
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"


def run(preview: bool = False) -> Run:
    return run_program(
        lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")),
        project="consumer",
        stack="test",
        config={"consumer:adminPrincipals": [ADMIN]},
        deployer=ADMIN,
        preview=preview,
    )


@pytest.fixture(scope="module")
def update() -> Run:
    return run()


def test_the_team_namespace_has_a_quota(update):
    [quota] = update.of_type("kubernetes:core/v1:ResourceQuota")
    assert quota.inputs["metadata"]["namespace"] == "orders"
    assert quota.inputs["spec"]["hard"] == {"requests.cpu": "8", "requests.memory": "8Gi"}
    assert quota.parent_type == "consumer:index:TeamSpace"


def test_the_database_runs_in_the_team_namespace_once_it_exists(update):
    [database] = [
        r for r in update.of_type("kubernetes:postgresql.cnpg.io/v1:Cluster") if r.name == "orders"
    ]
    assert database.inputs["metadata"]["namespace"] == "orders"
    assert database.inputs["spec"]["instances"] == 3
    namespace = next(
        r for r in update.of_type("kubernetes:core/v1:Namespace") if r.name == "orders-ns"
    )
    assert namespace.urn in database.dependencies


def test_the_api_endpoint_is_private_and_the_kubeconfig_secret(update):
    [eks] = update.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert update.outputs["kubeconfig"].secret
    assert update.outputs["ordersConnectionSecret"].value == "orders-app"


def test_a_preview_registers_the_same_resources(update):
    assert set(run(preview=True).registrations) == set(update.registrations)
