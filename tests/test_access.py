"""Private access to the cluster API (Tailscale API server proxy, GKE DNS endpoint) and the
namespace baseline (Pod Security labels, default-deny network policies)."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

from kube_platform.components.cluster import ExistingCluster, ExistingClusterArgs
from kube_platform.components.security.baseline import (
    AppNamespace,
    NamespaceBaseline,
    NamespaceBaselineArgs,
)
from kube_platform.components.security.private_access import TailscaleAccess, TailscaleArgs
from kube_platform.stacks import offline
from tests.test_config_errors import EKS, assert_rejected, base, cloud, errors_of

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ENFORCE = "pod-security.kubernetes.io/enforce"


def _tailscale_from_config():
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35"))
        access = TailscaleAccess(
            "ts",
            cluster,
            TailscaleArgs(
                hostname="platform-dev",
                tailnet="tail1234",
                oauth_client_id=pulumi.Output.secret("client-id"),
                oauth_client_secret=pulumi.Output.secret("mock-password-oauth"),
            ),
        )
        return {"kubeconfig": access.kubeconfig}

    return offline.run("t", config={}, program=program)


def _tailscale_release(run):
    [release] = [r for r in run.of_type(RELEASE) if r.inputs["chart"] == "tailscale-operator"]
    return release


def test_operator_runs_the_api_server_proxy_in_auth_mode():
    release = _tailscale_release(_tailscale_from_config())
    values = release.inputs["values"]
    assert release.inputs["version"] == "1.102.3"
    assert values["apiServerProxyConfig"] == {"mode": "true"}
    assert values["operatorConfig"]["hostname"] == "platform-dev"


def test_oauth_credentials_are_a_secret_and_never_helm_values():
    run = _tailscale_from_config()
    release = _tailscale_release(run)
    assert "oauth" not in release.inputs["values"]
    assert "mock-password" not in json.dumps(release.inputs)
    [secret] = run.of_type("kubernetes:core/v1:Secret")
    assert secret.inputs["metadata"] == {"name": "operator-oauth", "namespace": "tailscale"}
    assert set(secret.inputs["stringData"]) == {"client_id", "client_secret"}
    assert any(s == "stringData" or s.startswith("stringData.") for s in secret.secret_inputs)
    assert secret.urn in release.dependencies


def test_tailnet_kubeconfig_reaches_the_proxy_and_is_secret():
    run = _tailscale_from_config()
    output = run.outputs["kubeconfig"]
    assert output.secret
    config = yaml.safe_load(output.value)
    assert config["clusters"][0]["cluster"] == {"server": "https://platform-dev.tail1234.ts.net"}


def test_operator_namespace_is_baseline_not_privileged():
    run = _tailscale_from_config()
    [namespace] = run.of_type(NAMESPACE)
    assert namespace.inputs["metadata"]["labels"][ENFORCE] == "baseline"


def test_prod_reads_oauth_credentials_from_the_cloud_secret_manager(stack_run):
    run = stack_run("prod")
    [oauth] = [
        r
        for r in run.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["metadata"]["namespace"] == "tailscale"
    ]
    assert oauth.inputs["spec"]["target"]["name"] == "operator-oauth"
    assert oauth.inputs["spec"]["dataFrom"] == [
        {"extract": {"key": "platform/prod/tailscale-oauth"}}
    ]
    eso = next(r for r in run.of_type(RELEASE) if r.inputs["chart"] == "external-secrets")
    assert eso.urn in oauth.dependencies
    assert oauth.urn in _tailscale_release(run).dependencies
    [store] = run.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert "tailscale" in store.inputs["spec"]["conditions"][0]["namespaces"]
    assert run.outputs["tailnetKubeconfig"].secret
    assert run.outputs["apiAccess"].value["server"] == "https://platform-prod.tail1234.ts.net"


def test_gke_uses_the_dns_endpoint_and_installs_no_proxy(stack_run):
    run = stack_run("gke-prod")
    assert not [r for r in run.of_type(RELEASE) if r.inputs["chart"] == "tailscale-operator"]
    access = run.outputs["apiAccess"].value
    assert access["path"] == "gke-dns-endpoint"
    assert access["command"].endswith("--dns-endpoint")
    assert access["command"] == (
        "gcloud container clusters get-credentials platform-gke-prod --region europe-west1 "
        "--project acme-platform-prod --dns-endpoint"
    )


# --- the namespace baseline -----------------------------------------------------------------


def _baseline(**app):
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35"))
        NamespaceBaseline(
            "b",
            cluster,
            NamespaceBaselineArgs(namespaces=(AppNamespace(name="apps", **app),)),
        )
        return {}

    run = offline.run("t", config={}, program=program)
    return run, {r.inputs["metadata"]["name"]: r for r in run.of_type(POLICY)}


def test_application_namespaces_are_restricted():
    run, _ = _baseline()
    [namespace] = run.of_type(NAMESPACE)
    assert namespace.inputs["metadata"]["labels"][ENFORCE] == "restricted"


def test_application_namespaces_deny_all_traffic_by_default():
    run, policies = _baseline(allow_same_namespace=False)
    deny = policies["default-deny"].inputs["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert set(policies) == {"default-deny", "allow-dns"}
    [namespace] = run.of_type(NAMESPACE)
    assert all(namespace.urn in p.dependencies for p in policies.values())


def test_dns_egress_to_kube_dns_is_allowed():
    _, policies = _baseline()
    spec = policies["allow-dns"].inputs["spec"]
    assert spec["policyTypes"] == ["Egress"]
    [rule] = spec["egress"]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_ingress_from_listed_namespaces_is_allowed():
    _, policies = _baseline(allow_from_namespaces=("ingress",))
    spec = policies["allow-from-namespaces"].inputs["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    selector = spec["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"][0]
    assert selector["values"] == ["ingress"]


def test_every_namespace_the_platform_creates_enforces_pod_security(stack_run):
    for stack in ("dev", "prod"):
        levels = {
            r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"][ENFORCE]
            for r in stack_run(stack).of_type(NAMESPACE)
        }
        assert levels.get("apps") == "restricted"
        assert levels.get("external-secrets") == "restricted"
        assert levels.get("monitoring") == "restricted"
        privileged = {n for n, level in levels.items() if level != "restricted"}
        # node-exporter reads the node through host namespaces and hostPath volumes, alone in
        # its namespace (docs/observability.md).
        assert privileged <= {
            "tailscale",
            "ingress",
            "cnpg-system",
            "kube-system",
            "node-exporter",
        }, levels


# --- configuration errors -------------------------------------------------------------------

TAILSCALE = {"enabled": True, "tailnet": "tail1234.ts.net"}

CASES = {
    "Tailscale without OAuth credentials": (
        base(access={"tailscale": TAILSCALE}),
        "platform:access.tailscale: Tailscale is enabled without OAuth credentials; set "
        "access.tailscale.oauthClientId and oauthClientSecret (with `pulumi config set "
        "--secret --path`), or oauthSecretKey to read them from the cloud secret manager",
    ),
    "private-only endpoint with no access path": (
        cloud(EKS),
        "platform:cluster.eks.publicAccessCidrs: the API endpoint is private only "
        "(cluster.eks.publicAccessCidrs is empty) and access.tailscale.enabled is false, so "
        "nothing outside the VPC can reach the cluster API; enable access.tailscale, list "
        "the networks that need the endpoint in cluster.eks.publicAccessCidrs, or list a VPN "
        "routed into the VPC in cluster.eks.network.privateAccessCidrs",
    ),
    "plaintext OAuth secret": (
        base(
            access={"tailscale": {**TAILSCALE, "oauthClientId": "id", "oauthClientSecret": "tskey"}}
        ),
        "platform:access.tailscale.oauthClientSecret: this value is stored in plaintext; "
        "store it encrypted with `pulumi config set --secret --path "
        "'platform:access.tailscale.oauthClientSecret' <value>`",
    ),
    "OAuth credentials from two sources": (
        cloud(
            EKS,
            access={
                "tailscale": {
                    **TAILSCALE,
                    "oauthClientId": "id",
                    "oauthClientSecret": {"secure": "v1:AAAA"},
                    "oauthSecretKey": "tailscale-oauth",
                }
            },
        ),
        "platform:access.tailscale.oauthSecretKey: OAuth credentials are given both in config",
    ),
    "OAuth credentials from a store the cluster lacks": (
        base(access={"tailscale": {**TAILSCALE, "oauthSecretKey": "tailscale-oauth"}}),
        "platform:access.tailscale.oauthSecretKey: reads the OAuth credentials from the cloud "
        "secret store, which this stack does not have",
    ),
    "Tailscale without a tailnet": (
        base(
            access={
                "tailscale": {
                    "enabled": True,
                    "oauthClientId": "id",
                    "oauthClientSecret": {"secure": "v1:AAAA"},
                }
            }
        ),
        "platform:access.tailscale.tailnet: required when Tailscale is enabled",
    ),
    "malformed tailnet": (
        base(access={"tailscale": {"tailnet": "my tailnet"}}),
        "platform:access.tailscale.tailnet: 'my tailnet' is not a tailnet DNS name",
    ),
    "namespace listed twice": (
        base(access={"namespaces": [{"name": "apps"}, {"name": "apps"}]}),
        "platform:access.namespaces: namespace 'apps' is listed twice",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_access_config_is_rejected(case):
    assert_rejected(*CASES[case])


def test_a_vpn_routed_into_the_vpc_is_an_access_path(run_config):
    def with_private_access(cidrs):
        network = {
            "vpcCidr": "10.20.0.0/16",
            "privateAccessCidrs": cidrs,
            "transitGatewayId": "tgw-0123456789abcdef0",
        }
        return cloud({**EKS, "eks": {**EKS["eks"], "network": network}})

    run = run_config(with_private_access(["10.20.0.0/16", "10.200.0.0/16"]))
    assert run.of_type("aws:eks/cluster:Cluster") and not _has_tailscale(run)
    # The VPC's own range is not a way in from outside.
    lines = errors_of(with_private_access(["10.20.0.0/16"]))
    assert any("the API endpoint is private only" in line for line in lines), lines


def _has_tailscale(run) -> bool:
    return any(
        r.inputs["chart"] == "tailscale-operator"
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
    )


def test_private_eks_with_tailscale_builds(run_config):
    config = cloud(
        EKS,
        access={
            "tailscale": {
                **TAILSCALE,
                "oauthClientId": "id",
                "oauthClientSecret": {"secure": "v1:AAAA"},
            }
        },
    )
    run = run_config(config)
    assert _tailscale_release(run)
    assert run.outputs["tailnetKubeconfig"].secret
