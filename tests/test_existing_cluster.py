"""The cluster contract on an existing cluster."""

from __future__ import annotations

import pulumi
import pytest

from kube_platform.components.cluster import (
    ExistingCluster,
    ExistingClusterArgs,
    WorkloadIdentityRequest,
)
from kube_platform.components.errors import ConfigurationError
from kube_platform.stacks import offline


def _program(**args):
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35", **args))
        return {"kubeconfig": cluster.kubeconfig, "endpoint": cluster.endpoint}

    return program


def test_kubeconfig_content_is_secret_and_gives_the_endpoint():
    content = (
        "apiVersion: v1\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: ca}\n"
        "clusters:\n- name: ca\n  cluster: {server: 'https://10.0.0.1:6443'}\n"
    )
    run = offline.run("t", config={}, program=_program(kubeconfig=pulumi.Output.secret(content)))
    provider = run.of_type("pulumi:providers:kubernetes")[0]
    assert provider.inputs["kubeconfig"] == content
    assert "kubeconfig" in provider.secret_inputs
    assert run.outputs["kubeconfig"].secret
    assert run.outputs["endpoint"].value == "https://10.0.0.1:6443"
    assert not run.outputs["endpoint"].secret


def test_context_only_uses_the_ambient_kubeconfig_file():
    run = offline.run("t", config={}, program=_program(context="kind-platform"))
    provider = run.of_type("pulumi:providers:kubernetes")[0]
    assert provider.inputs["context"] == "kind-platform"
    assert "kubeconfig" not in provider.inputs


def test_content_and_path_together_are_rejected():
    with pytest.raises(ValueError, match="not both"):
        ExistingClusterArgs(kubernetes_version="1.35", kubeconfig="x", kubeconfig_path="/k")


def test_asking_for_a_cloud_identity_is_a_configuration_error():
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35"))
        cluster.bind_workload_identity(
            WorkloadIdentityRequest(name="dns", namespace="ns", service_account="sa"), cluster
        )
        return {}

    with pytest.raises(ConfigurationError, match="ns/sa needs a cloud workload identity"):
        offline.run("t", config={}, program=program)


def test_in_cluster_resources_are_not_deleted_with_an_unowned_cluster(stack_run):
    namespace = stack_run("dev").of_type("kubernetes:core/v1:Namespace")[0]
    assert namespace.deleted_with == ""
