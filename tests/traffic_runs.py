"""Helpers for the ingress, certificate and DNS tests: run the traffic wiring on a fake cloud
cluster, and read what it registered."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
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
    return one(run, "kubernetes:cert-manager.io/v1:Certificate", metadata__name="platform-tls")


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


# --- the Gateway and cert-manager as their controllers read them -------------------------

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"


def namespace_labels(run: Run) -> dict[str, dict[str, str]]:
    """Labels of every Namespace the run creates, with the name label the API server adds."""
    found = {}
    for r in run.of_type("kubernetes:core/v1:Namespace"):
        meta = r.inputs["metadata"]
        found[meta["name"]] = {
            **(meta.get("labels") or {}),
            "kubernetes.io/metadata.name": meta["name"],
        }
    return found


def admits(
    listener: dict[str, Any], gateway_namespace: str, namespace: str, labels: dict[str, str]
) -> bool:
    """Whether `listener` accepts routes from `namespace` (Gateway API `allowedRoutes`; the
    default is `Same`). Only `matchLabels` selectors are emitted by the platform."""
    allowed = listener.get("allowedRoutes", {}).get("namespaces", {"from": "Same"})
    match allowed.get("from", "Same"):
        case "All":
            return True
        case "Same":
            return namespace == gateway_namespace
        case "Selector":
            wanted = allowed["selector"].get("matchLabels", {})
            assert set(allowed["selector"]) <= {"matchLabels"}, allowed
            return all(labels.get(k) == v for k, v in wanted.items())
    raise AssertionError(f"unknown allowedRoutes.from: {allowed}")


def listener_for(run: Run, parent_ref: dict[str, Any]) -> list[dict[str, Any]]:
    """The listeners of the Gateway `parent_ref` points at (one, or all without sectionName)."""
    gateways = [
        g
        for g in run.of_type(GATEWAY)
        if g.inputs["metadata"]["name"] == parent_ref["name"]
        and g.inputs["metadata"]["namespace"] == parent_ref["namespace"]
    ]
    assert len(gateways) == 1, parent_ref
    listeners = gateways[0].inputs["spec"]["listeners"]
    section = parent_ref.get("sectionName")
    return [item for item in listeners if section is None or item["name"] == section]


def pick_solver(
    solvers: list[dict[str, Any]], dns_name: str, labels: dict[str, str]
) -> dict[str, Any] | None:
    """cert-manager's choice of solver for one name of an Order (pkg/util/solverpicker, tag
    v1.21.1): a selector must match in full; matching dnsNames beat matching dnsZones (more
    zone labels win), which beat matching labels (more labels win); selector-less solvers
    match everything and win only when nothing else has matched."""
    picked, score = None, (0, 0, 0)
    for solver in solvers:
        selector = solver.get("selector")
        if selector is None:
            if picked is None:
                picked = solver
            continue
        wanted = selector.get("matchLabels") or {}
        if any(labels.get(k) != v for k, v in wanted.items()):
            continue
        names = selector.get("dnsNames") or []
        if names and dns_name not in names:
            continue
        zones = selector.get("dnsZones") or []
        zone_labels = max(
            (
                z.count(".") + 1
                for z in zones
                if dns_name.removeprefix("*.") == z or dns_name.endswith(f".{z}")
            ),
            default=0,
        )
        if zones and zone_labels == 0:
            continue
        candidate = (int(dns_name in names), zone_labels, len(wanted))
        if picked is None or candidate > score:
            picked, score = solver, candidate
    return picked


def challenge_findings(
    run: Run,
    namespace: str,
    dns_names: list[str],
    labels: dict[str, str],
    issuer_name: str | None = None,
) -> list[str]:
    """For a Certificate in `namespace` asking the platform's ACME issuers (or the one named)
    for `dns_names`:
    every HTTP-01 challenge route cert-manager would create there (pkg/issuer/acme/http/
    httproute.go puts it in the Certificate's namespace) must be admitted by its listener."""
    findings = []
    known = namespace_labels(run)
    for acme_issuer in run.of_type(CLUSTER_ISSUER):
        acme = acme_issuer.inputs["spec"].get("acme")
        if acme is None or issuer_name not in (None, acme_issuer.inputs["metadata"]["name"]):
            continue
        for name in dns_names:
            solver = pick_solver(acme["solvers"], name, labels)
            route = (solver or {}).get("http01", {}).get("gatewayHTTPRoute")
            if route is None:
                continue
            for ref in route["parentRefs"]:
                for listener in listener_for(run, ref):
                    if not admits(listener, ref["namespace"], namespace, known.get(namespace, {})):
                        findings.append(
                            f"{acme_issuer.inputs['metadata']['name']}: the HTTP-01 route for "
                            f"{name} in namespace {namespace} never attaches to listener "
                            f"{listener['name']}"
                        )
    return findings


def editable(run: Run, *types: str) -> Run:
    """A copy of `run` whose registrations of `types` may be edited (the rest are shared): a
    cheap way to show a rule firing on a violating input."""
    registrations = {
        urn: copy.deepcopy(r) if r.type in types else r for urn, r in run.registrations.items()
    }
    return dataclasses.replace(run, registrations=registrations)


def mutated(run: Run, type_: str, change: Callable[[Registration], None]) -> Run:
    """`run` with `change` applied to copies of its registrations of `type_`."""
    edited = editable(run, type_)
    for registration in edited.of_type(type_):
        change(registration)
    return edited
