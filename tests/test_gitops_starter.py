"""The starter fleet repository (examples/gitops) cannot rot: every kustomization `resources:`
entry exists, every manifest a stack would apply validates against the Kubernetes schema and
the pinned CRDs once its `${var}`s are substituted with the facts that stack publishes, every
`${var}` is such a fact (Flux 2.9 fails a reconciliation on an undefined one), every
HTTPRoute reaches a listener of that stack's Gateway for each of its hostnames, and the SOPS
file decrypts with the documented test key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kube_platform.components.gitops.facts import FACTS, KEY_PREFIX
from kube_platform.stacks.offline import Registration
from tests import conformance, sops_age
from tests.conftest import ROOT, SCHEMAS
from tests.test_gitops import facts_of
from tests.traffic_runs import admits, listener_for, namespace_labels

STARTER = ROOT / "examples" / "gitops"
TEST_KEY = STARTER / "test-key.agekey"
# clusters/<entry point> -> the fixture stack whose facts it is applied with.
FLUX_ENTRY_POINTS = {"dev": "dev", "staging": "staging", "prod": "prod"}
KUBERNETES_VERSION = "1.35"
# What the walker below models of kustomization.yaml; anything else would be ignored silently.
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "images"}
VARIABLE = re.compile(r"(?<!\$)\$\{([^}:]+)(:=[^}]*)?\}")
DISABLED = "kustomize.toolkit.fluxcd.io/substitute"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"{SCHEMAS} is absent")


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def kustomize_files(directory: Path) -> list[Path]:
    """The manifest files a kustomization directory builds from, depth first."""
    config = directory / "kustomization.yaml"
    assert config.is_file(), f"{_shown(directory)} has no kustomization.yaml"
    document = yaml.safe_load(config.read_text())
    unknown = set(document) - KUSTOMIZATION_KEYS
    assert not unknown, f"{_shown(config)}: {unknown} is not modelled by this test"
    files: list[Path] = []
    for entry in document.get("resources", []):
        target = (directory / entry).resolve()
        assert target.exists(), f"{_shown(config)}: resource {entry} does not exist"
        files += kustomize_files(target) if target.is_dir() else [target]
    return files


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def flux_tree(entry_point: str) -> list[tuple[Path, dict[str, Any]]]:
    """(file, document) for everything the root Kustomization of clusters/<entry point> and the
    Flux Kustomizations it applies would build."""
    found = [
        (f, d) for f in kustomize_files(STARTER / "clusters" / entry_point) for d in documents(f)
    ]
    for _, document in list(found):
        if document.get("kind") == "Kustomization" and "spec" in document:
            path = STARTER / document["spec"]["path"]
            found += [(f, d) for f in kustomize_files(path) for d in documents(f)]
    return found


def variables(document: dict[str, Any]) -> set[str]:
    metadata = document.get("metadata", {})
    if DISABLED in {**metadata.get("labels", {}), **metadata.get("annotations", {})}:
        return set()
    return {m[1] for m in VARIABLE.finditer(yaml.safe_dump(document)) if not m[2]}


def substituted(document: dict[str, Any], facts: dict[str, str]) -> dict[str, Any]:
    if not variables(document):
        return document
    text = VARIABLE.sub(
        lambda m: facts.get(m[1], m[2][2:] if m[2] else ""), yaml.safe_dump(document)
    )
    return yaml.safe_load(text)


def as_registration(path: Path, document: dict[str, Any]) -> Registration:
    return Registration(
        urn=str(path),
        type=f"kubernetes:{document['apiVersion']}:{document['kind']}",
        name=f"{path.relative_to(STARTER)} {document['metadata']['name']}",
        custom=True,
        parent="",
        provider="",
        inputs=document,
        secret_inputs=set(),
        protect=False,
        dependencies=[],
        deleted_with="",
        ignore_changes=[],
        aliases=[],
    )


def decrypted(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    if "sops" not in document:
        return document
    return sops_age.decrypt(document, sops_age.identity_from_file(TEST_KEY))


@pytest.mark.parametrize("entry_point", sorted(FLUX_ENTRY_POINTS))
def test_every_variable_is_a_fact_the_stack_publishes(stack_run, entry_point):
    facts = facts_of(stack_run(FLUX_ENTRY_POINTS[entry_point]))
    missing = set()
    for path, document in flux_tree(entry_point):
        local = document.get("spec", {}).get("postBuild", {}).get("substitute", {})
        missing |= {(path.name, v) for v in variables(document) - facts.keys() - local.keys()}
    assert missing == set()


@needs_schemas
@pytest.mark.parametrize("entry_point", sorted(FLUX_ENTRY_POINTS))
def test_every_manifest_validates_once_substituted(stack_run, entry_point):
    facts = facts_of(stack_run(FLUX_ENTRY_POINTS[entry_point]))
    findings = []
    for path, document in flux_tree(entry_point):
        body = substituted(decrypted(path, document), facts)
        findings += conformance.object_findings(as_registration(path, body), KUBERNETES_VERSION)
    assert findings == []


def test_every_manifest_is_reachable_from_an_entry_point():
    reached = {f for e in FLUX_ENTRY_POINTS for f in kustomize_files(STARTER / "clusters" / e)}
    for entry in FLUX_ENTRY_POINTS:
        reached |= {f for f, _ in flux_tree(entry)}
    reached |= set(kustomize_files(STARTER / "clusters" / "argocd"))
    reached |= set(kustomize_files(STARTER / "apps" / "base" / "podinfo"))
    manifests = {
        p.resolve()
        for p in STARTER.rglob("*.yaml")
        if p.name not in ("kustomization.yaml", ".sops.yaml")
    }
    assert sorted(str(p.relative_to(ROOT)) for p in manifests - reached) == []


def test_the_sops_file_decrypts_with_the_documented_test_key():
    path = STARTER / "apps" / "dev" / "podinfo-ui.sops.yaml"
    document = yaml.safe_load(path.read_text())
    recipient = re.search(r"public key: (age1\S+)", TEST_KEY.read_text())[1]
    assert [r["recipient"] for r in document["sops"]["age"]] == [recipient]
    assert document["stringData"]["message"].startswith("ENC[AES256_GCM,")
    plain = sops_age.decrypt(document, sops_age.identity_from_file(TEST_KEY))
    assert plain["kind"] == "Secret" and plain["stringData"]["message"].startswith("Hello")
    # The rule that encrypts new files here selects the same key.
    rules = yaml.safe_load((STARTER / ".sops.yaml").read_text())["creation_rules"]
    assert [r["age"] for r in rules] == [recipient]


def test_a_tampered_sops_file_is_rejected():
    path = STARTER / "apps" / "dev" / "podinfo-ui.sops.yaml"
    document = yaml.safe_load(path.read_text())
    document["metadata"]["name"] = "someone-else"
    with pytest.raises(sops_age.SopsError, match="MAC mismatch"):
        sops_age.decrypt(document, sops_age.identity_from_file(TEST_KEY))


def test_the_checks_catch_an_undefined_variable_and_a_missing_resource(tmp_path):
    route = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "${not_a_fact}"}}
    assert variables(route) - {f.name for f in FACTS} == {"not_a_fact"}
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(AssertionError, match=r"missing\.yaml does not exist"):
        kustomize_files(tmp_path)


@needs_schemas
def test_the_argocd_entry_point_uses_published_facts_and_validates():
    names = {f.name for f in FACTS}
    for path in kustomize_files(STARTER / "clusters" / "argocd"):
        text = path.read_text()
        used = set(re.findall(re.escape(KEY_PREFIX) + r"([a-z0-9_]+)", text))
        assert used and used <= names, used - names
        for document in documents(path):
            registration = as_registration(path, document)
            assert conformance.object_findings(registration, KUBERNETES_VERSION) == []
            source = document["spec"]["template"]["spec"]["source"]
            kinds = {
                d["kind"] for f in kustomize_files(STARTER / source["path"]) for d in documents(f)
            }
            assert {p["target"]["kind"] for p in source["kustomize"]["patches"]} <= kinds


def argocd_facts(run) -> dict[str, str]:
    """The facts Argo CD's cluster generator reads: the in-cluster cluster Secret's
    annotations."""
    found = {}
    for secret in run.of_type("kubernetes:core/v1:Secret"):
        annotations = secret.inputs["metadata"].get("annotations") or {}
        found |= {
            k.removeprefix(KEY_PREFIX): v
            for k, v in annotations.items()
            if k.startswith(KEY_PREFIX)
        }
    return found


def argocd_routes(facts: dict[str, str]) -> list[dict[str, Any]]:
    """The starter's HTTPRoutes as each ApplicationSet renders them for a cluster with `facts`:
    its go-template lookups filled in, its JSON patches applied."""
    lookup = re.compile(
        r'\{\{ index \.metadata\.annotations "' + re.escape(KEY_PREFIX) + r'(\w+)" \}\}'
    )
    routes = []
    for path in kustomize_files(STARTER / "clusters" / "argocd"):
        for document in documents(path):
            spec = document["spec"]["template"]["spec"]
            source, namespace = spec["source"], spec["destination"]["namespace"]
            for f in kustomize_files(STARTER / source["path"]):
                for route in documents(f):
                    if route["kind"] != "HTTPRoute":
                        continue
                    route.setdefault("metadata", {}).setdefault("namespace", namespace)
                    for patch in source["kustomize"]["patches"]:
                        if patch["target"]["kind"] != "HTTPRoute":
                            continue
                        for op in yaml.safe_load(lookup.sub(lambda m: facts[m[1]], patch["patch"])):
                            assert op["op"] == "replace", op
                            *parents, last = op["path"].strip("/").split("/")
                            target = route
                            for part in parents:
                                target = target[int(part) if part.isdigit() else part]
                            target[int(last) if last.isdigit() else last] = op["value"]
                    routes.append(route)
    return routes


def route_findings(run, routes: list[dict[str, Any]]) -> list[str]:
    """Why a route would not serve its hostnames through the stack's Gateway: each hostname
    needs a listener of the referenced Gateway that admits the route's namespace and whose
    hostname matches (Gateway API v1 `HTTPRoute.spec.hostnames`; a listener wildcard matches
    any name under it)."""
    labels = namespace_labels(run)
    found = []
    for route in routes:
        namespace = route["metadata"]["namespace"]
        for parent in route["spec"]["parentRefs"]:
            listeners = [
                item
                for item in listener_for(run, parent)
                if admits(item, parent["namespace"], namespace, labels.get(namespace, {}))
            ]
            for hostname in route["spec"]["hostnames"]:
                if not any(_matches(item.get("hostname"), hostname) for item in listeners):
                    found.append(
                        f"{namespace}/{route['metadata']['name']}: no listener for {hostname}"
                    )
    return found


def _matches(listener_hostname: str | None, hostname: str) -> bool:
    if listener_hostname is None or listener_hostname == hostname:
        return True
    return listener_hostname.startswith("*.") and hostname.endswith(listener_hostname[1:])


@pytest.mark.parametrize("entry_point", sorted(FLUX_ENTRY_POINTS))
def test_the_starter_routes_are_served_by_the_stack_gateway(stack_run, entry_point):
    run = stack_run(FLUX_ENTRY_POINTS[entry_point])
    facts = facts_of(run)
    routes = [
        substituted(document, facts)
        for _, document in flux_tree(entry_point)
        if document.get("kind") == "HTTPRoute"
    ]
    assert routes and route_findings(run, routes) == []


def test_the_argocd_starter_routes_are_served_by_the_stack_gateway(stack_run):
    run = stack_run("argocd")
    routes = argocd_routes(argocd_facts(run))
    assert routes and route_findings(run, routes) == []


def test_a_route_for_a_name_no_listener_serves_is_found(stack_run):
    run = stack_run("dev")
    [route] = [
        substituted(d, facts_of(run)) for _, d in flux_tree("dev") if d.get("kind") == "HTTPRoute"
    ]
    route["spec"]["hostnames"] = ["elsewhere.dev.platform.internal"]
    assert route_findings(run, [route]) == [
        "apps/podinfo: no listener for elsewhere.dev.platform.internal"
    ]
