"""One owner for the Gateway API CRDs on every cluster kind.

GKE installs and reconciles the standard Gateway API CRDs itself when Gateway API is enabled
(`gateway_api_config.channel = CHANNEL_STANDARD`: "Gateway API support is enabled, standard
CRDs are installed", GKE API reference, GatewayAPIConfig.Channel). It pins them per GKE version
and reverts changes ("when a GKE cluster is configured using --gateway-api=standard any attempts
to try and modify those CRDs ... will get reverted"; "GKE 1.36.0 currently pins ... Gateway API
CRDs to component-version: 1.5.0-gke.3505": github.com/gbrayut/cloud-examples,
gke-gateway-api-crds/README.md at 932644ea). Google's own path for a newer bundle is a
GKE-annotated self-upgrade (GoogleCloudPlatform/gke-gateway-api pull request 53,
self-upgrades/README.md), not the upstream bundle applied on top; and the upstream v1.6.1 bundle
carries the `safe-upgrades.gateway.networking.k8s.io` admission policy, which denies writing a
CRD whose bundle-version is before v1.5 (kubernetes-sigs/gateway-api v1.6.1,
config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml): on a GKE cluster pinned
to an older bundle it would block GKE's own reconcile.

Traefik v3.7 (chart 41.3.0) starts a TLSRoute v1 informer unconditionally (traefik/traefik
v3.7.9, pkg/provider/kubernetes/gateway/client.go), and TLSRoute v1 is standard from Gateway API
v1.5.0 (gateway-api v1.5.0 release notes): a GKE cluster must pin at least that bundle.
"""

from __future__ import annotations

from kube_platform.components import versions
from kube_platform.stacks import offline
from kube_platform.stacks.offline import Registration, Run
from tests.traffic_runs import CRDS, editable

GKE_CLUSTER = "gcp:container/cluster:Cluster"


def owner_findings(run: Run) -> list[str]:
    bundles = [r for r in run.of_type(CRDS) if "gateway-api" in str(r.inputs.get("file"))]
    clusters = run.of_type(GKE_CLUSTER)
    if not clusters:
        if [r.inputs["file"] for r in bundles] != [versions.GATEWAY_API_CRDS_URL]:
            return [f"the pinned Gateway API bundle is applied {len(bundles)} times, not once"]
        return []
    (cluster,) = clusters
    findings = [f"{r.name} applies Gateway API CRDs that GKE owns" for r in bundles]
    if (cluster.inputs.get("gatewayApiConfig") or {}).get("channel") != "CHANNEL_STANDARD":
        findings.append("GKE does not install the standard Gateway API CRDs")
    version = str(cluster.inputs.get("minMasterVersion") or _channel_default(cluster))
    if _minor(version) < _minor(versions.GKE_MIN_GATEWAY_API_VERSION):
        findings.append(f"GKE {version} pins a Gateway API bundle without TLSRoute v1")
    return findings


def _channel_default(cluster: Registration) -> str:
    """The version a cluster created without a minimum starts at: its channel's default, as
    the recorded answer of the engine-versions invoke gives it."""
    channel = (cluster.inputs.get("releaseChannel") or {}).get("channel")
    offered = offline.INVOKES["gcp:container/getEngineVersions:getEngineVersions"](
        {"location": cluster.inputs.get("location")}
    )
    return offered["releaseChannelDefaultVersion"].get(channel, "0.0")


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def test_gateway_api_crds_have_exactly_one_owner(every_stack):
    assert owner_findings(every_stack) == []


def test_the_rule_fires_when_the_bundle_is_applied_on_gke(stack_run):
    run = stack_run("gke-prod")
    assert owner_findings(run) == []
    mutated = editable(run, GKE_CLUSTER)
    (cluster,) = mutated.of_type(GKE_CLUSTER)
    # What the platform did before: no gateway_api_config, and the bundle applied on top.
    del cluster.inputs["gatewayApiConfig"]
    bundle = Registration(
        urn="urn:bundle",
        type=CRDS,
        name="ingress-gateway-api-crds",
        custom=False,
        parent="",
        provider="",
        inputs={"file": versions.GATEWAY_API_CRDS_URL},
        secret_inputs=set(),
        protect=False,
        dependencies=[],
        deleted_with="",
        ignore_changes=[],
        aliases=[],
    )
    mutated.registrations[bundle.urn] = bundle
    assert len(owner_findings(mutated)) == 2
    cluster.inputs["minMasterVersion"] = "1.35"
    assert any("TLSRoute" in f for f in owner_findings(mutated))


def test_the_rule_fires_when_a_cluster_without_gke_gets_no_bundle(stack_run):
    mutated = editable(stack_run("staging"))
    for r in mutated.of_type(CRDS):
        del mutated.registrations[r.urn]
    assert owner_findings(mutated)
