"""Helpers for the ingress, certificate and DNS tests: run the traffic wiring on a fake cloud
cluster, and read what it registered."""

from __future__ import annotations

import json
from typing import Any

from kube_platform.stacks import offline
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.config.traffic import problems as traffic_problems
from kube_platform.stacks.offline import Registration, Run
from kube_platform.stacks.wiring import traffic
from tests.conftest import ROOT
from tests.fakes import FakeCloudCluster
from tests.test_config_errors import EKS, GKE, cloud

RELEASE = "kubernetes:helm.sh/v3:Release"
CRDS = "kubernetes:yaml/v2:ConfigFile"


def aws_config(tier: str = "staging", **overrides: Any) -> dict[str, Any]:
    return _cloud_config(EKS, {"route53": {"hostedZoneId": "Z0123456789ABC"}}, tier, overrides)


def gcp_config(tier: str = "staging", **overrides: Any) -> dict[str, Any]:
    return _cloud_config(GKE, {"cloudDns": {"managedZone": "example"}}, tier, overrides)


def _cloud_config(
    cluster: dict[str, Any], zone: dict[str, Any], tier: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    """A domain, an ACME e-mail and a DNS zone on the cluster's own cloud."""
    settings = {
        "ingress": {"domain": "apps.example.com"},
        "certificates": {"acmeEmail": "ops@example.com"},
        "dns": {"zone": "example.com", **zone},
        **overrides,
    }
    return cloud(cluster, tier=tier, **settings)


def run_on_fake(
    config: dict[str, Any], cloud_name: str, preview: bool = False, region: str | None = None
) -> Run:
    """The traffic wiring alone, on a `FakeCloudCluster` (aws or gcp), optionally in `region`."""

    def program() -> dict[str, Any]:
        raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("platform:")}
        cfg = StackConfig.model_validate(raw)
        assert traffic_problems(cfg) == [], traffic_problems(cfg)
        cluster = FakeCloudCluster("c", cloud_name)
        if region is not None:
            cluster.region = region
        return traffic.build(cfg, cluster, "test").outputs

    return offline.run("test", config=config, program=program, project_dir=ROOT, preview=preview)


def one(run: Run, type_: str, **match: Any) -> Registration:
    """The single resource of `type_` whose inputs contain `match` (metadata.name etc.)."""
    found = [r for r in run.of_type(type_) if _matches(r, match)]
    assert len(found) == 1, (type_, match, [r.name for r in found])
    return found[0]


def _matches(r: Registration, match: dict[str, Any]) -> bool:
    for path, expected in match.items():
        value: Any = r.inputs
        for part in path.split("__"):
            value = value.get(part) if isinstance(value, dict) else None
        if value != expected:
            return False
    return True


def release(run: Run, chart: str) -> Registration:
    return one(run, RELEASE, chart=chart)


def crd_bundle(run: Run) -> Registration:
    return run.of_type(CRDS)[0]


def issuer(run: Run, name: str) -> Registration:
    return one(run, "kubernetes:cert-manager.io/v1:ClusterIssuer", metadata__name=name)


def platform_certificate(run: Run) -> Registration:
    return one(run, "kubernetes:cert-manager.io/v1:Certificate")


def gateway(run: Run) -> Registration:
    return one(run, "kubernetes:gateway.networking.k8s.io/v1:Gateway")


def policies(run: Run) -> list[dict[str, Any]]:
    """Every IAM policy document the run attached, parsed."""
    docs = []
    for r in run.registrations.values():
        text = r.inputs.get("policy")
        if r.type.startswith("aws:iam/") and isinstance(text, str) and text.startswith("{"):
            docs.append(json.loads(text))
    return docs


def policy_with(run: Run, action: str) -> dict[str, Any]:
    found = [p for p in policies(run) if action in json.dumps(p)]
    assert len(found) == 1, (action, len(found))
    return found[0]


def statements_for(policy: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if action in s["Action"]]
