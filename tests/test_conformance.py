"""Everything the program emits conforms to upstream schemas, uses the cluster's provider and
keeps secrets secret."""

from __future__ import annotations

import dataclasses

import pytest

from tests import conformance
from tests.conftest import CHECKED_STACKS, SCHEMAS

# Invariants: they hold for any valid configuration, so they run on the shipped and customised
# stacks, never on literal values.
STACKS = sorted(CHECKED_STACKS)
needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(),
    reason=f"{SCHEMAS} is absent (CI provides it); CRD and Helm-values checks need it",
)


def _version(run) -> str:
    return run.outputs["kubernetesVersion"].value


@pytest.mark.parametrize("stack", STACKS)
def test_builtin_objects_match_the_kubernetes_schema(checked_run, stack):
    run = checked_run(stack)
    version = _version(run)
    builtin = [
        r
        for r in conformance.kubernetes_objects(list(run.registrations.values()))
        if conformance.is_builtin(r, version)
    ]
    assert builtin, "no built-in Kubernetes objects were emitted"
    assert [f for r in builtin for f in conformance.kubernetes_findings(r, version)] == []


@needs_schemas
@pytest.mark.parametrize("stack", STACKS)
def test_every_object_matches_its_schema_or_pinned_crd(checked_run, stack):
    run = checked_run(stack)
    objects = conformance.kubernetes_objects(list(run.registrations.values()))
    findings = [f for r in objects for f in conformance.object_findings(r, _version(run))]
    assert findings == []


@needs_schemas
@pytest.mark.parametrize("stack", STACKS)
def test_custom_resources_in_a_preview_pass_their_crd_rules(checked_run, stack):
    """`pulumi preview` sends objects whose computed values are still unknown: the CRDs' CEL
    rules must hold whatever those values turn out to be, and a rule that hangs on one is
    inconclusive rather than a finding."""
    run = checked_run(stack, preview=True)
    version = _version(checked_run(stack))
    custom = [
        r
        for r in conformance.kubernetes_objects(list(run.registrations.values()))
        if not conformance.is_builtin(r, version)
    ]
    assert custom, "no custom resources were emitted"
    findings = [
        f"{r.type} {r.name}: {result.detail}"
        for r in custom
        for result in conformance.crd_rule_results(r)
        if result.is_finding
    ]
    assert findings == []


@needs_schemas
def test_the_crd_check_evaluates_cel_rules(stack_run):
    """A Gateway whose TLS listener is switched to plain HTTP still matches the structural
    schema; only the CRD's CEL rule, which the API server enforces at admission, rejects it."""
    gateway = stack_run("dev").of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]
    assert conformance.crd_findings(gateway) == []
    listeners = gateway.inputs["spec"]["listeners"]
    assert any("tls" in listener for listener in listeners)
    plain = [{**listener, "protocol": "HTTP"} for listener in listeners]
    spec = {**gateway.inputs["spec"], "listeners": plain}
    bad = dataclasses.replace(gateway, inputs={**gateway.inputs, "spec": spec})
    assert conformance.crd_findings(bad) == [
        f'{bad.type} {bad.name}: spec.listeners: Invalid value: "array": '
        "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"
    ]


@needs_schemas
@pytest.mark.parametrize("stack", STACKS)
def test_helm_values_match_chart_schemas_and_known_keys(checked_run, stack):
    releases = checked_run(stack).of_type("kubernetes:helm.sh/v3:Release")
    findings = [f for r in releases for f in conformance.helm_values_findings(r)]
    assert findings == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_resource_uses_the_cluster_provider(checked_run, stack):
    run = checked_run(stack)
    providers = run.of_type("pulumi:providers:kubernetes")
    assert len(providers) == 1, [p.name for p in providers]
    unbound = [
        r.name
        for r in run.registrations.values()
        if r.custom and r.type.startswith("kubernetes:") and r.provider_urn != providers[0].urn
    ]
    assert unbound == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_cloud_resource_uses_an_explicit_provider(checked_run, stack):
    run = checked_run(stack)
    providers = {
        r.urn
        for r in run.registrations.values()
        if r.type in {"pulumi:providers:aws", "pulumi:providers:gcp"}
    }
    unbound = [
        r.name
        for r in run.registrations.values()
        if r.custom and r.type.split(":")[0] in {"aws", "gcp"} and r.provider_urn not in providers
    ]
    assert unbound == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_is_in_plaintext(checked_run, stack):
    run = checked_run(stack)
    findings = [
        f for r in run.registrations.values() for f in conformance.plaintext_secret_findings(r)
    ]
    findings += [
        f"stack output {k} holds a secret in plaintext"
        for k, o in run.outputs.items()
        if not o.secret and any(m in str(o.value) for m in conformance.SECRET_MARKERS)
    ]
    assert findings == []


def test_the_secret_checks_catch_a_leak():
    """The plaintext check itself must be able to fail."""
    from kube_platform.stacks.offline import Registration

    leaked = Registration(
        urn="u",
        type="kubernetes:core/v1:Secret",
        name="s",
        custom=True,
        parent="",
        provider="",
        inputs={"stringData": {"password": "mock-password-1"}},
        secret_inputs=set(),
        protect=False,
        dependencies=[],
        deleted_with="",
        ignore_changes=[],
        aliases=[],
    )
    assert conformance.plaintext_secret_findings(leaked)


def test_the_schema_checks_catch_a_bad_object():
    from kube_platform.stacks.offline import Registration

    bad = Registration(
        urn="u",
        type="kubernetes:core/v1:Namespace",
        name="n",
        custom=True,
        parent="",
        provider="",
        inputs={"apiVersion": "v1", "kind": "Namespace", "metadata": {"nmae": "x"}},
        secret_inputs=set(),
        protect=False,
        dependencies=[],
        deleted_with="",
        ignore_changes=[],
        aliases=[],
    )
    assert conformance.kubernetes_findings(bad, "1.35")


# Resources that hold data or guard it: losing one loses data or locks it away.
STATEFUL_TYPES = {
    "aws:eks/cluster:Cluster",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:amp/workspace:Workspace",
    "gcp:container/cluster:Cluster",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "kubernetes:postgresql.cnpg.io/v1:Cluster",
}
CRD_INSTALLERS = {
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
}
# GKE installs the Gateway API CRDs itself (gateway_api_config): the cluster is their installer.
CLUSTER_INSTALLED_GROUPS = {"gcp:container/cluster:Cluster": "gateway.networking.k8s.io"}


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_resources_are_protected_outside_dev(checked_run, stack):
    run = checked_run(stack)
    stateful = [r for r in run.registrations.values() if r.type in STATEFUL_TYPES]
    if run.outputs["tier"].value == "dev":
        assert [r.name for r in run.registrations.values() if r.protect] == []
    else:
        assert stateful, "a non-dev stack with nothing stateful"
        assert [r.name for r in stateful if not r.protect] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_resource_waits_for_what_installs_its_crd(checked_run, stack):
    run = checked_run(stack)
    version = _version(run)
    installers = {r.urn for r in run.registrations.values() if r.type in CRD_INSTALLERS}
    cluster_installed = {
        (r.urn, CLUSTER_INSTALLED_GROUPS[r.type])
        for r in run.registrations.values()
        if r.type in CLUSTER_INSTALLED_GROUPS
    }
    custom = [
        r
        for r in conformance.kubernetes_objects(list(run.registrations.values()))
        if not conformance.is_builtin(r, version)
    ]

    def waits(r) -> bool:
        group = str(r.inputs.get("apiVersion", "")).split("/")[0]
        from_cluster = {urn for urn, g in cluster_installed if g == group}
        return bool((installers | from_cluster) & set(r.dependencies))

    assert custom, "no custom resources were emitted"
    assert [r.name for r in custom if not waits(r)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_in_cluster_resources_go_with_a_cluster_the_platform_owns(checked_run, stack):
    """A destroy must not hang on an unreachable API: on EKS/GKE everything in the cluster is
    deleted with it. An existing cluster outlives the stack, so its objects are deleted."""
    run = checked_run(stack)
    clusters = [
        r.urn
        for r in run.registrations.values()
        if r.type in {"aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster"}
    ]
    in_cluster = [
        r
        for r in run.registrations.values()
        if r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"
    ]
    expected = clusters[0] if clusters else ""
    assert in_cluster, "no Kubernetes resources were emitted"
    assert [r.name for r in in_cluster if r.deleted_with != expected] == []
