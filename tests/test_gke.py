"""GKE behind the cluster contract: private, encrypted, least-privilege, autoscaled, at every
tier (the shipped gke-staging and gke-prod examples, and a dev-tier variant)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
import yaml

from kube_platform.components.cluster import WorkloadIdentityRequest
from kube_platform.components.cluster.gke import GkeCluster, GkeClusterArgs
from kube_platform.components.cluster.gke_identity import account_id
from kube_platform.components.cluster.gke_network import GkeNetworkArgs
from kube_platform.components.cluster.gke_node_pools import NODE_ROLES, GkeNodePoolArgs
from kube_platform.stacks import offline
from tests.conftest import ROOT, stack_config
from tests.test_config_errors import GKE, POOL, assert_rejected, cloud

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
ACCOUNT = "gcp:serviceaccount/account:Account"
PROJECT_ROLE = "gcp:projects/iAMMember:IAMMember"
GSA_ROLE = "gcp:serviceaccount/iAMMember:IAMMember"
KEY = "gcp:kms/cryptoKey:CryptoKey"
RING = "gcp:kms/keyRing:KeyRing"
TIERS = ["dev", "staging", "prod"]

_DEV_RUN: dict[str, offline.Run] = {}  # built once per session


def _dev_config() -> dict:
    config = stack_config("gke-staging")
    config["platform:tier"] = "dev"
    return config


@pytest.fixture
def gke_run(stack_run) -> Callable[[str], offline.Run]:
    """gke-staging and gke-prod are the shipped examples; dev is gke-staging at dev tier."""

    def get(tier: str) -> offline.Run:
        if tier != "dev":
            return stack_run(f"gke-{tier}")
        if "dev" not in _DEV_RUN:
            _DEV_RUN["dev"] = offline.run("gke-dev", config=_dev_config(), project_dir=ROOT)
        return _DEV_RUN["dev"]

    return get


def _cluster(run: offline.Run) -> offline.Registration:
    [cluster] = run.of_type(CLUSTER)
    return cluster


def _own(run: offline.Run, type_: str) -> list[offline.Registration]:
    """Resources of `type_` the GKE cluster component itself creates."""
    return [r for r in run.of_type(type_) if "platform:index:GkeCluster" in r.parent]


def _config(tier: str) -> dict:
    return _dev_config() if tier == "dev" else stack_config(f"gke-{tier}")


# --- control plane -------------------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_nodes_are_private_and_the_dns_endpoint_is_the_access_path(tier, gke_run):
    inputs = _cluster(gke_run(tier)).inputs
    assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert inputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {
        "allowExternalTraffic": True
    }
    assert gke_run(tier).outputs["endpoint"].value.endswith(".gke.goog")


@pytest.mark.parametrize("tier", ["dev", "staging"])
def test_ip_endpoints_are_off_without_authorized_networks(tier, gke_run):
    inputs = _cluster(gke_run(tier)).inputs
    assert inputs["controlPlaneEndpointsConfig"]["ipEndpointsConfig"] == {"enabled": False}
    # An authorized-networks block (even empty) or private-endpoint flags would turn IP
    # access back on or never converge.
    assert "masterAuthorizedNetworksConfig" not in inputs
    assert inputs["privateClusterConfig"] == {"enablePrivateNodes": True}


def test_prod_ip_endpoint_is_private_and_limited_to_authorized_networks(gke_run):
    inputs = _cluster(gke_run("prod")).inputs
    assert inputs["controlPlaneEndpointsConfig"]["ipEndpointsConfig"] == {"enabled": True}
    assert inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    networks = inputs["masterAuthorizedNetworksConfig"]
    assert [b["cidrBlock"] for b in networks["cidrBlocks"]] == ["10.200.0.0/16"]
    assert networks["gcpPublicCidrsAccessEnabled"] is False
    assert networks["privateEndpointEnforcementEnabled"] is True


def test_a_public_authorized_network_gets_a_public_endpoint_limited_to_it(run_config):
    config = stack_config("gke-staging")
    config["platform:cluster"]["gke"]["authorizedNetworks"] = ["81.2.69.0/24"]
    inputs = _cluster(run_config(config)).inputs
    assert inputs["controlPlaneEndpointsConfig"]["ipEndpointsConfig"] == {"enabled": True}
    assert inputs["privateClusterConfig"]["enablePrivateEndpoint"] is False
    blocks = inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in blocks] == ["81.2.69.0/24"]


@pytest.mark.parametrize("tier", TIERS)
def test_secrets_are_encrypted_with_a_rotating_kms_key_the_gke_agent_may_use(tier, gke_run):
    run = gke_run(tier)
    cluster = _cluster(run)
    encryption = cluster.inputs["databaseEncryption"]
    assert encryption["state"] == "ENCRYPTED"
    [key] = [k for k in _own(run, KEY) if f"{k.name}-id" == encryption["keyName"]]
    [ring] = [r for r in _own(run, RING) if f"{r.name}-id" == key.inputs["keyRing"]]
    assert ring.inputs["location"] == cluster.inputs["location"]
    assert int(key.inputs["rotationPeriod"].removesuffix("s")) <= 90 * 86400
    [grant] = _own(run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert grant.inputs == {
        "cryptoKeyId": encryption["keyName"],
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": f"serviceAccount:service-{offline.GCP_PROJECT_NUMBER}"
        "@container-engine-robot.iam.gserviceaccount.com",
    }
    assert grant.urn in cluster.dependencies, "the cluster needs the grant to be created"


@pytest.mark.parametrize("tier", TIERS)
def test_control_plane_hardening(tier, gke_run):
    inputs = _cluster(gke_run(tier)).inputs
    project = _config(tier)["platform:cluster"]["gke"]["project"]
    assert inputs["workloadIdentityConfig"] == {"workloadPool": f"{project}.svc.id.goog"}
    assert inputs["enableShieldedNodes"] is True
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert inputs["removeDefaultNodePool"] is True
    assert inputs["initialNodeCount"] == 1
    assert inputs["enableLegacyAbac"] is False
    assert inputs["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert inputs["networkingMode"] == "VPC_NATIVE"
    assert inputs["releaseChannel"]["channel"] in {"RAPID", "REGULAR", "STABLE"}


@pytest.mark.parametrize(("tier", "protected"), [("dev", False), ("staging", True), ("prod", True)])
def test_deletion_protection_and_protect_outside_dev_only(tier, protected, gke_run):
    run = gke_run(tier)
    cluster = _cluster(run)
    assert cluster.inputs["deletionProtection"] is protected
    assert cluster.protect is protected
    for type_ in (KEY, RING):
        assert _own(run, type_)
        assert all(r.protect is protected for r in _own(run, type_)), type_


# --- node pools ----------------------------------------------------------------------------


def _pools(gke_run, tier: str) -> list[tuple[dict, offline.Registration]]:
    run = gke_run(tier)
    by_name = {r.inputs["namePrefix"][:-1]: r for r in run.of_type(NODE_POOL)}
    pools = _config(tier)["platform:nodePools"]
    assert sorted(by_name) == sorted(p["name"] for p in pools)
    return [(p, by_name[p["name"]]) for p in pools]


@pytest.mark.parametrize("tier", TIERS)
def test_each_pool_has_its_own_least_privilege_service_account(tier, gke_run):
    run = gke_run(tier)
    accounts = {r.outputs["email"]: r for r in run.of_type(ACCOUNT)}
    used = []
    for _, pool in _pools(gke_run, tier):
        email = pool.inputs["nodeConfig"]["serviceAccount"]
        assert email in accounts, "nodes must use a dedicated account, never the default"
        assert not email.endswith("-compute@developer.gserviceaccount.com")
        member = accounts[email].outputs["member"]
        roles = {
            r.inputs["role"] for r in run.of_type(PROJECT_ROLE) if r.inputs["member"] == member
        }
        assert roles == set(NODE_ROLES)
        used.append(email)
    assert len(set(used)) == len(used), "pools share a service account"


@pytest.mark.parametrize("tier", TIERS)
def test_nodes_are_hardened(tier, gke_run):
    configs = [pool.inputs["nodeConfig"] for _, pool in _pools(gke_run, tier)]
    # The short-lived default pool is hardened too (orgs may disable the default account).
    configs.append(_cluster(gke_run(tier)).inputs["nodeConfig"])
    for node in configs:
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert node["shieldedInstanceConfig"] == {
            "enableSecureBoot": True,
            "enableIntegrityMonitoring": True,
        }
        assert node["metadata"]["disable-legacy-endpoints"] == "true"
        assert "@" in node["serviceAccount"]
    for _, pool in _pools(gke_run, tier):
        assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}


@pytest.mark.parametrize("tier", TIERS)
def test_pools_follow_their_config_and_the_autoscaler_owns_the_node_count(tier, gke_run):
    zones = _config(tier)["platform:cluster"]["gke"]["zones"]
    for config, pool in _pools(gke_run, tier):
        inputs = pool.inputs
        assert inputs["nodeConfig"]["machineType"] == config["instanceTypes"][0]
        assert inputs["nodeConfig"]["spot"] is (config.get("capacity") == "spot")
        assert inputs["nodeConfig"]["labels"] == config.get("labels", {})
        assert inputs["nodeLocations"] == zones
        scaling = inputs["autoscaling"]
        assert scaling["totalMinNodeCount"] == config["minSize"]
        assert scaling["totalMaxNodeCount"] == config["maxSize"]
        initial = config.get("desiredSize", config["minSize"])  # a pool of minimum 0 starts none
        assert inputs["initialNodeCount"] == math.ceil(initial / len(zones))
        assert inputs["initialNodeCount"] * len(zones) <= config["maxSize"]
        assert {"initialNodeCount", "nodeCount"} <= set(pool.ignore_changes)


def test_taints_use_the_gke_effect_names(gke_run):
    [(_, spot)] = [(c, p) for c, p in _pools(gke_run, "prod") if c["name"] == "spot"]
    assert spot.inputs["nodeConfig"]["taints"] == [
        {"key": "platform.example.com/spot", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    assert spot.inputs["autoscaling"]["locationPolicy"] == "ANY"


@pytest.mark.parametrize("tier", TIERS)
def test_pools_start_after_nat_so_private_nodes_can_pull_images(tier, gke_run):
    run = gke_run(tier)
    [nat] = run.of_type("gcp:compute/routerNat:RouterNat")
    for _, pool in _pools(gke_run, tier):
        assert nat.urn in pool.dependencies


# --- network -------------------------------------------------------------------------------


def test_a_new_network_has_secondary_ranges_private_google_access_and_nat(gke_run):
    run = gke_run("staging")
    gke = stack_config("gke-staging")["platform:cluster"]["gke"]["network"]
    [network] = run.of_type("gcp:compute/network:Network")
    [subnet] = run.of_type("gcp:compute/subnetwork:Subnetwork")
    [nat] = run.of_type("gcp:compute/routerNat:RouterNat")
    assert network.inputs["autoCreateSubnetworks"] is False
    assert subnet.inputs["ipCidrRange"] == gke["nodeCidr"]
    assert subnet.inputs["privateIpGoogleAccess"] is True
    ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]}
    assert ranges == {"pods": gke["podCidr"], "services": gke["serviceCidr"]}
    policy = _cluster(run).inputs["ipAllocationPolicy"]
    assert policy == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.inputs["subnetworks"][0]["name"] == f"{subnet.name}-id"


def test_an_existing_network_is_used_as_given(run_config):
    config = stack_config("gke-staging")
    config["platform:cluster"]["gke"]["network"] = {
        "network": "projects/acme-host/global/networks/shared",
        "subnetwork": "projects/acme-host/regions/europe-west1/subnetworks/gke",
        "podRangeName": "gke-pods",
        "serviceRangeName": "gke-services",
    }
    run = run_config(config)
    assert not [r for r in run.registrations.values() if r.type.startswith("gcp:compute/")]
    inputs = _cluster(run).inputs
    assert inputs["network"] == "projects/acme-host/global/networks/shared"
    assert inputs["subnetwork"].endswith("/subnetworks/gke")
    assert inputs["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "gke-pods",
        "servicesSecondaryRangeName": "gke-services",
    }


# --- contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_kubeconfig_is_exec_based_and_secret(tier, gke_run):
    run = gke_run(tier)
    output = run.outputs["kubeconfig"]
    assert output.secret
    doc = yaml.safe_load(output.value)
    [cluster] = doc["clusters"]
    assert cluster["cluster"]["server"] == run.outputs["endpoint"].value
    assert re.match(
        r"^https://gke-[0-9a-f]+-\d+\.[a-z0-9-]+\.gke\.goog$", run.outputs["endpoint"].value
    )
    [user] = doc["users"]
    assert set(user["user"]) == {"exec"}, "no token, password or client key in the kubeconfig"
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    [provider] = run.of_type("pulumi:providers:kubernetes")
    assert "kubeconfig" in provider.secret_inputs


@pytest.mark.parametrize("tier", TIERS)
def test_every_in_cluster_resource_waits_for_the_node_pools(tier, gke_run):
    run = gke_run(tier)
    pools = {p.urn for p in run.of_type(NODE_POOL)}
    cluster = _cluster(run)
    in_cluster = [
        r
        for r in run.registrations.values()
        if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:")
    ]
    assert in_cluster
    for r in in_cluster:
        assert pools <= set(r.dependencies), r.name
        assert r.deleted_with == cluster.urn, r.name


@pytest.mark.parametrize("tier", TIERS)
def test_database_storage_class_retains_and_expands(tier, gke_run):
    run = gke_run(tier)
    [storage] = run.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    disk = _config(tier)["platform:cluster"]["gke"].get("databaseDiskType", "pd-balanced")
    assert storage.inputs["metadata"]["name"] == "database-retain"
    assert storage.inputs["provisioner"] == "pd.csi.storage.gke.io"
    assert storage.inputs["parameters"] == {"type": disk}
    assert storage.inputs["reclaimPolicy"] == "Retain"
    assert storage.inputs["allowVolumeExpansion"] is True
    assert storage.inputs["volumeBindingMode"] == "WaitForFirstConsumer"


@pytest.mark.parametrize("tier", TIERS)
def test_every_cloud_resource_uses_the_project_provider(tier, gke_run):
    run = gke_run(tier)
    [provider] = run.of_type("pulumi:providers:gcp")
    gke = _config(tier)["platform:cluster"]["gke"]
    assert provider.inputs["project"] == gke["project"]
    assert provider.inputs["region"] == gke["region"]
    unbound = [
        r.name
        for r in run.registrations.values()
        if r.custom and r.type.startswith("gcp:") and r.provider_urn != provider.urn
    ]
    assert unbound == []


# --- workload identity ---------------------------------------------------------------------


def _args(**overrides) -> GkeClusterArgs:
    return GkeClusterArgs(
        project="acme-platform",
        region="europe-west1",
        zones=("europe-west1-b", "europe-west1-c"),
        kubernetes_version="1.35",
        network=GkeNetworkArgs(),
        node_pools=(GkeNodePoolArgs(name="general", machine_type="e2-standard-4"),),
        **overrides,
    )


def _bind(request: WorkloadIdentityRequest, cluster_name: str = "platform-test"):
    seen = {}

    def program():
        cluster = GkeCluster(cluster_name, _args())
        identity = cluster.bind_workload_identity(request, cluster)
        seen["project"] = cluster.project
        seen["cloud"] = cluster.cloud
        return {
            "annotations": identity.service_account_annotations,
            "principal": identity.principal,
        }

    return offline.run("t", config={}, program=program), seen


def test_workload_identity_trust_is_scoped_to_one_namespace_and_service_account():
    request = WorkloadIdentityRequest(
        name="dns",
        namespace="cert-manager",
        service_account="cert-manager",
        gcp_project_roles=("roles/dns.admin",),
    )
    run, seen = _bind(request)
    assert seen == {"project": "acme-platform", "cloud": "gcp"}
    [account] = [a for a in run.of_type(ACCOUNT) if a.name == "platform-test-dns-gsa"]
    [impersonation] = run.of_type(GSA_ROLE)
    assert impersonation.inputs == {
        "serviceAccountId": account.outputs["name"],
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme-platform.svc.id.goog[cert-manager/cert-manager]",
    }
    assert _cluster(run).urn in impersonation.dependencies, "the pool must exist first"
    grants = [
        r for r in run.of_type(PROJECT_ROLE) if r.inputs["member"] == account.outputs["member"]
    ]
    assert [(g.inputs["role"], g.inputs["project"]) for g in grants] == [
        ("roles/dns.admin", "acme-platform")
    ]
    email = account.outputs["email"]
    assert run.outputs["annotations"].value == {"iam.gke.io/gcp-service-account": email}
    assert run.outputs["principal"].value == email


def test_service_account_ids_are_valid_stable_and_distinct():
    valid = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    long_a = account_id("platform-production-europe", "external-secrets-operator")
    long_b = account_id("platform-production-europe", "external-secrets-webhooks")
    for value in (long_a, long_b, account_id("c", "x"), account_id("platform-dev", "dns")):
        assert valid.match(value), value
    assert long_a == account_id("platform-production-europe", "external-secrets-operator")
    assert long_a != long_b
    assert account_id("platform-dev", "dns") == "platform-dev-dns"


def test_node_pool_args_reject_min_above_max():
    with pytest.raises(ValueError, match="min_size is greater than max_size"):
        GkeNodePoolArgs(name="p", machine_type="e2-standard-4", min_size=4, max_size=2)


def test_cluster_args_reject_an_open_authorized_network():
    with pytest.raises(ValueError, match="opens the API endpoint to the whole internet"):
        _args(authorized_networks=("0.0.0.0/0",))


def test_the_component_runs_under_the_mock_runtime():
    # GkeCluster is importable and usable outside the stack wiring.
    def program():
        cluster = GkeCluster("lib", _args(protect=False))
        return {"kubeconfig": cluster.kubeconfig, "name": cluster.cluster_name}

    run = offline.run("t", config={}, program=program)
    assert run.outputs["kubeconfig"].secret
    assert run.outputs["name"].value == "lib"
    assert not [r.name for r in run.registrations.values() if r.protect]


# --- bad configuration ---------------------------------------------------------------------

GKE_POOL = {**POOL, "instanceTypes": ["e2-standard-4"]}
GKE_CASES = {
    "more than one machine type": (
        cloud(GKE, pools=[{**GKE_POOL, "instanceTypes": ["e2-standard-4", "e2-standard-8"]}]),
        "platform:nodePools[0].instanceTypes: a GKE node pool takes exactly one machine type, "
        "but 2 are listed ['e2-standard-4', 'e2-standard-8']; keep one, or make one pool per "
        "machine type",
    ),
    "an EC2 instance type": (
        cloud(GKE, pools=[POOL]),
        "platform:nodePools[0].instanceTypes: 'm7i.large' is an EC2 instance type; GKE takes a "
        "Compute Engine machine type such as 'e2-standard-4'",
    ),
    "initial nodes above max": (
        cloud(GKE, pools=[{**GKE_POOL, "minSize": 1, "maxSize": 1}]),
        "platform:nodePools[0]: GKE starts the same number of nodes in each of the 2 zones, so "
        "this pool starts with 2 nodes, above maxSize (1); raise maxSize to at least 2 or list "
        "fewer zones",
    ),
    "public authorized network in prod": (
        cloud(
            {**GKE, "gke": {**GKE["gke"], "authorizedNetworks": ["81.2.69.0/24"]}},
            "prod",
            pools=[GKE_POOL],
        ),
        "platform:cluster.gke.authorizedNetworks[0]: 81.2.69.0/24 is a public range, which "
        "would open an IP endpoint of a prod cluster to the internet; reach prod through the "
        "DNS-based endpoint, or list only private ranges (VPN, peered networks)",
    ),
    "authorized network open to the internet": (
        cloud(
            {**GKE, "gke": {**GKE["gke"], "authorizedNetworks": ["0.0.0.0/0"]}},
            pools=[GKE_POOL],
        ),
        "platform:cluster.gke.authorizedNetworks[0]: 0.0.0.0/0 opens the API endpoint to the "
        "whole internet",
    ),
    "cluster name too long": (
        cloud({**GKE, "name": "platform-" + "x" * 40}, pools=[GKE_POOL]),
        "platform:cluster.name: GKE cluster names have at most 40 characters",
    ),
    "one zone": (
        cloud({**GKE, "gke": {**GKE["gke"], "zones": ["europe-west1-b"]}}, pools=[GKE_POOL]),
        "platform:cluster.gke.zones: zones lists 1 zone(s); list at least two zones",
    ),
    "zone of another region": (
        cloud(
            {**GKE, "gke": {**GKE["gke"], "zones": ["europe-west1-b", "europe-west4-a"]}},
            pools=[GKE_POOL],
        ),
        "platform:cluster.gke.zones: zones ['europe-west4-a'] are not zones of region europe-west1",
    ),
    "zone of a region with a longer name": (
        cloud(
            {**GKE, "gke": {**GKE["gke"], "zones": ["europe-west1-b", "europe-west10-a"]}},
            pools=[GKE_POOL],
        ),
        "platform:cluster.gke.zones: zones ['europe-west10-a'] are not zones of region "
        "europe-west1",
    ),
    "project name instead of id": (
        cloud({**GKE, "gke": {**GKE["gke"], "project": "Acme Platform"}}, pools=[GKE_POOL]),
        "platform:cluster.gke.project: 'Acme Platform' is not a Google Cloud project id",
    ),
}


@pytest.mark.parametrize("case", sorted(GKE_CASES))
def test_bad_gke_config_is_rejected_with_a_clear_message(case):
    assert_rejected(*GKE_CASES[case])


def test_a_minimal_gke_config_builds(run_config):
    run = run_config(cloud(GKE, pools=[GKE_POOL]))
    assert len(run.of_type(NODE_POOL)) == 1
    assert run.outputs["cloud"].value == "gcp"


def test_dev_tier_builds_the_same_resources_in_preview(gke_run):
    update = gke_run("dev")
    preview = offline.run("gke-dev", config=_dev_config(), project_dir=ROOT, preview=True)
    shape = {
        (r.urn, r.type, r.parent, r.protect, r.provider_urn) for r in preview.registrations.values()
    }
    assert shape == {
        (r.urn, r.type, r.parent, r.protect, r.provider_urn) for r in update.registrations.values()
    }
    assert preview.unknown_invokes == [] and update.unknown_invokes == []
