"""The shared Helm release helper: pinned charts and the components' escape hatch."""

from __future__ import annotations

from kube_platform.components import versions
from kube_platform.components.cluster import ExistingCluster, ExistingClusterArgs
from kube_platform.components.kubernetes.helm import merge_values
from kube_platform.components.traffic.ingress import Ingress, IngressArgs
from kube_platform.stacks import offline


def test_extra_values_merge_key_by_key():
    base = {"log": {"level": "INFO", "format": "json"}, "replicas": 1}
    merged = merge_values(base, {"log": {"level": "DEBUG"}, "replicas": 3})
    assert merged == {"log": {"level": "DEBUG", "format": "json"}, "replicas": 3}
    assert base["log"]["level"] == "INFO", "the base values were modified"


def test_a_component_escape_hatch_reaches_the_release_at_the_pinned_version():
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35"))
        Ingress(
            "ingress",
            cluster,
            IngressArgs(service_type="NodePort", extra_values={"log": {"level": "DEBUG"}}),
        )
        return {}

    run = offline.run("t", config={}, program=program)
    [release] = [
        r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "traefik"
    ]
    assert release.inputs["version"] == versions.TRAEFIK.version
    assert release.inputs["repositoryOpts"]["repo"] == versions.TRAEFIK.repo
    assert release.inputs["values"]["log"] == {"level": "DEBUG", "format": "json"}
    assert release.inputs["values"]["service"]["spec"]["type"] == "NodePort"
