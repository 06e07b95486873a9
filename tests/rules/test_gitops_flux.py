"""Rules of the Flux operator, Flux's workload identity and notification-controller, checked on
every stack that runs Flux. Each rule also fires on a violating input below."""

from __future__ import annotations

import yaml

from kube_platform.stacks.offline import Run
from tests.traffic_runs import mutated

INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance"
ALERT = "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert"


def _instance(run: Run):
    found = run.of_type(INSTANCE)
    return found[0] if found else None


def _patches(instance) -> list[dict]:
    return [
        {"target": p["target"], "patch": yaml.safe_load(p["patch"])}
        for p in instance.inputs["spec"].get("kustomize", {}).get("patches", [])
    ]


def one_instance_named_flux_beside_the_operator(run: Run) -> list[str]:
    instances = run.of_type(INSTANCE)
    operator = [
        r
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"].endswith("/flux-operator")
    ]
    if not instances:
        return []
    findings = [] if len(instances) == 1 else [f"{len(instances)} FluxInstances"]
    for instance in instances:
        metadata = instance.inputs["metadata"]
        if metadata["name"] != "flux":
            findings.append(f"{instance.name}: named {metadata['name']!r}, not 'flux'")
        if [metadata["namespace"]] != [r.inputs["namespace"] for r in operator]:
            findings.append(f"{instance.name}: not in the operator's namespace")
    return findings


def test_one_flux_instance_named_flux_beside_the_operator(every_stack):
    """flux-operator v0.58.1 admits one FluxInstance, named `flux` (CEL rule `self.metadata.name
    == 'flux'` in config/crd/bases/fluxcd.controlplane.io_fluxinstances.yaml), and it must be
    created in the namespace the operator runs in (docs/api/v1/fluxinstance.md, repository
    controlplaneio-fluxcd/flux-operator, tag v0.58.1)."""
    assert one_instance_named_flux_beside_the_operator(every_stack) == []


def sync_provider_fits_the_source(run: Run) -> list[str]:
    instance = _instance(run)
    if instance is None:
        return []
    sync = instance.inputs["spec"].get("sync", {})
    provider, kind = sync.get("provider"), sync.get("kind")
    if provider == "gcp" and kind not in ("OCIRepository", "Bucket"):
        return [f"sync.provider gcp with {kind}"]
    if provider == "github" and kind != "GitRepository":
        return [f"sync.provider github with {kind}"]
    if provider == "github" and not sync.get("pullSecret"):
        return ["sync.provider github without the GitHub App pullSecret"]
    return []


def test_sync_provider_fits_the_source(every_stack):
    """FluxInstance CEL rules (flux-operator v0.58.1 fluxinstances CRD): `sync.provider 'gcp' is
    only supported for OCIRepository and Bucket`, `sync.provider 'github' is only supported for
    GitRepository`; GitHub App auth reads the App's key from `pullSecret`
    (docs/guides/instance/instance-sync.md, same tag)."""
    assert sync_provider_fits_the_source(every_stack) == []


def sops_decrypts_at_the_controller_level(run: Run) -> list[str]:
    instance = _instance(run)
    if instance is None:
        return []
    findings = []
    cluster = instance.inputs["spec"].get("cluster", {})
    for gate in ("objectLevelWorkloadIdentity", "multitenantWorkloadIdentity"):
        if cluster.get(gate):
            findings.append(f"cluster.{gate} makes decryption depend on tenant service accounts")
    for patch in _patches(instance):
        if patch["target"]["kind"] != "Kustomization" or not isinstance(patch["patch"], list):
            continue
        for operation in patch["patch"]:
            if operation["path"] == "/spec/decryption":
                if "serviceAccountName" in operation["value"]:
                    findings.append("decryption.serviceAccountName set: object-level identity")
                if run.outputs["cloud"].value != "existing" and "secretRef" in operation["value"]:
                    findings.append("a static decryption key on a cloud cluster")
    return findings


def test_sops_decrypts_with_the_controller_identity(every_stack):
    """EKS Pod Identity works only at the controller level; at that level SOPS decryption leaves
    `.spec.decryption.serviceAccountName` unset (fluxcd/website content/en/flux/integrations/
    aws.md "With EKS Pod Identity" and "At the controller level"; gcp.md "At the controller
    level"). `multitenantWorkloadIdentity` would make kustomize-controller decrypt as each
    tenant's service account instead (flux-operator docs/api/v1/fluxinstance.md, v0.58.1)."""
    assert sops_decrypts_at_the_controller_level(every_stack) == []


def alerts_name_their_namespaces(run: Run) -> list[str]:
    findings = []
    for alert in run.of_type(ALERT):
        sources = alert.inputs["spec"]["eventSources"]
        namespace = alert.inputs["metadata"]["namespace"]
        for source in sources:
            if source.get("namespace", namespace) == "*" or "*" in source.get("namespace", ""):
                findings.append(f"{alert.name}: event source namespace {source['namespace']!r}")
        kinds = {s["kind"] for s in sources if s.get("namespace", namespace) == namespace}
        if not {"Kustomization", "HelmRelease"} <= kinds:
            findings.append(f"{alert.name}: misses Kustomizations or HelmReleases of {namespace}")
    return findings


def test_alert_event_sources_name_their_namespaces(every_stack):
    """notification-controller v1.9.3 matches an event source only when the event's namespace
    equals the source's (`eventMatchesAlertSource`, internal/server/event_handlers.go; an empty
    namespace means the Alert's own): there is no namespace wildcard, so every namespace to
    watch is listed."""
    assert alerts_name_their_namespaces(every_stack) == []


def facts_exist_before_the_sync(run: Run) -> list[str]:
    instance = _instance(run)
    if instance is None:
        return []
    findings = []
    for patch in _patches(instance):
        if patch["target"]["kind"] != "Kustomization" or not isinstance(patch["patch"], list):
            continue
        for operation in patch["patch"]:
            if operation["path"] != "/spec/postBuild":
                continue
            for ref in operation["value"]["substituteFrom"]:
                sources = [
                    r
                    for r in run.of_type(f"kubernetes:core/v1:{ref['kind']}")
                    if r.inputs["metadata"]["name"] == ref["name"]
                    and r.urn in instance.dependencies
                ]
                if not sources and not ref.get("optional"):
                    findings.append(f"{ref['kind']} {ref['name']} is not created before the sync")
    return findings


def test_facts_exist_before_the_first_sync(every_stack):
    """A `postBuild.substituteFrom` reference that is not optional must exist, and with Flux 2.9
    a variable it would define fails the reconciliation when missing
    (`StrictPostBuildSubstitutions` on by default: fluxcd/kustomize-controller CHANGELOG.md,
    v1.9.0; docs/spec/v1/kustomizations.md, v1.9.4)."""
    assert facts_exist_before_the_sync(every_stack) == []


# --- the rules fire on violating inputs -------------------------------------------------------


def test_the_flux_rules_fire(stack_run):
    prod, gke = stack_run("prod"), stack_run("gke-staging")

    def rename(r):
        r.inputs["metadata"]["name"] = "platform"

    def github_on_oci(r):
        r.inputs["spec"]["sync"]["provider"] = "github"

    def object_level(r):
        r.inputs["spec"]["cluster"]["multitenantWorkloadIdentity"] = True

    def wildcard(r):
        r.inputs["spec"]["eventSources"][0]["namespace"] = "*"

    def no_facts(r):
        r.dependencies = [d for d in r.dependencies if "ConfigMap" not in d]

    assert one_instance_named_flux_beside_the_operator(mutated(prod, INSTANCE, rename))
    assert sync_provider_fits_the_source(mutated(gke, INSTANCE, github_on_oci))
    assert sops_decrypts_at_the_controller_level(mutated(prod, INSTANCE, object_level))
    assert alerts_name_their_namespaces(mutated(prod, ALERT, wildcard))
    assert facts_exist_before_the_sync(mutated(prod, INSTANCE, no_facts))
