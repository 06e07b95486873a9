"""cert-manager, its issuers and solvers, the private CA and the platform certificate."""

from __future__ import annotations

import pytest

from kube_platform.components import versions
from kube_platform.components.traffic.certificates import ACME_SERVERS
from tests.test_config_errors import base
from tests.traffic_runs import (
    aws_config,
    challenge_findings,
    gcp_config,
    issuer,
    one,
    pick_solver,
    platform_certificate,
    policy_with,
    release,
    run_on_fake,
)

STACKS = ["dev", "staging", "prod", "gke-staging", "gke-prod"]
GATEWAY_PARENT = {
    "group": "gateway.networking.k8s.io",
    "kind": "Gateway",
    "name": "platform",
    "namespace": "ingress",
    "sectionName": "http",
}
# HTTP-01 solves only the platform's own certificates, issued next to the Gateway.
HTTP01 = {
    "selector": {"matchLabels": {"acme.kube-platform.io/http01": "gateway"}},
    "http01": {"gatewayHTTPRoute": {"parentRefs": [GATEWAY_PARENT]}},
}


@pytest.mark.parametrize("stack", STACKS)
def test_cert_manager_owns_its_crds_and_serves_gateway_api(stack_run, stack):
    chart = release(stack_run(stack), "cert-manager")
    assert chart.inputs["version"] == versions.CERT_MANAGER.version
    values = chart.inputs["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    assert "installCRDs" not in values
    assert values["config"]["kind"] == "ControllerConfiguration"
    assert values["config"]["gatewayAPI"] == {"enabled": True}


@pytest.mark.parametrize("stack", STACKS)
def test_the_platform_certificate_waits_for_the_gateway_namespace(stack_run, stack):
    run = stack_run(stack)
    cert = platform_certificate(run)
    namespace = one(
        run, "kubernetes:core/v1:Namespace", metadata__name=cert.inputs["metadata"]["namespace"]
    )
    assert namespace.urn in cert.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_every_cert_manager_resource_waits_for_the_release(stack_run, stack):
    run = stack_run(stack)
    chart = release(run, "cert-manager")
    resources = [r for r in run.registrations.values() if ":cert-manager.io/" in r.type]
    assert len(resources) >= 2
    assert [r.name for r in resources if chart.urn not in r.dependencies] == []


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", "private-ca"),
        ("staging", "letsencrypt-staging"),
        ("gke-staging", "letsencrypt-staging"),
        ("prod", "letsencrypt"),
        ("gke-prod", "letsencrypt"),
    ],
)
def test_the_platform_certificate_comes_from_the_tier_issuer(stack_run, stack, expected):
    run = stack_run(stack)
    cert = platform_certificate(run)
    assert cert.inputs["spec"]["issuerRef"] == {
        "group": "cert-manager.io",
        "kind": "ClusterIssuer",
        "name": expected,
    }
    if expected != "private-ca":
        acme = issuer(run, expected).inputs["spec"]["acme"]
        assert acme["server"] == ACME_SERVERS[expected]
        assert acme["email"] == cert_email(stack)
        assert acme["privateKeySecretRef"] == {"name": f"{expected}-account-key"}


def cert_email(stack: str) -> str:
    return "platform-team@example.net" if stack.startswith("gke") else "platform-team@example.com"


@pytest.mark.parametrize("stack", ["staging", "prod", "gke-staging", "gke-prod"])
def test_acme_servers_are_the_real_ones(stack_run, stack):
    run = stack_run(stack)
    assert issuer(run, "letsencrypt").inputs["spec"]["acme"]["server"] == (
        "https://acme-v02.api.letsencrypt.org/directory"
    )
    assert issuer(run, "letsencrypt-staging").inputs["spec"]["acme"]["server"] == (
        "https://acme-staging-v02.api.letsencrypt.org/directory"
    )


def test_eks_issuers_solve_dns01_in_route53_and_http01_through_the_gateway(stack_run):
    run = stack_run("staging")
    for name in ("letsencrypt", "letsencrypt-staging"):
        dns01, http01 = issuer(run, name).inputs["spec"]["acme"]["solvers"]
        assert dns01 == {
            "selector": {"dnsZones": ["staging.apps.example.com"]},
            # Ambient credentials from Pod Identity: no key references.
            "dns01": {"route53": {"region": "eu-west-1", "hostedZoneID": "Z0STAGING0EXAMPLE"}},
        }
        assert http01 == HTTP01


def test_gke_issuers_solve_dns01_in_cloud_dns(stack_run):
    run = stack_run("gke-staging")
    dns01, http01 = issuer(run, "letsencrypt").inputs["spec"]["acme"]["solvers"]
    assert dns01 == {
        "selector": {"dnsZones": ["staging.apps.example.net"]},
        "dns01": {
            "cloudDNS": {"project": "acme-platform-staging", "hostedZoneName": "staging-apps"}
        },
    }
    assert http01 == HTTP01


def test_route53_dns01_identity_may_change_only_the_hosted_zone(stack_run):
    run = stack_run("staging")
    association = one(
        run,
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        namespace="cert-manager",
        serviceAccount="cert-manager",
    )
    assert association.inputs["roleArn"]
    policy = policy_with(run, "route53:GetChange")
    by_action = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
    assert by_action == {
        "route53:ChangeResourceRecordSets": "arn:aws:route53:::hostedzone/Z0STAGING0EXAMPLE",
        "route53:ListResourceRecordSets": "arn:aws:route53:::hostedzone/Z0STAGING0EXAMPLE",
        "route53:GetChange": "arn:aws:route53:::change/*",
        "route53:ListHostedZonesByName": "*",
    }


def test_cloud_dns_dns01_identity_is_admin_of_the_managed_zone_only():
    run = run_on_fake(gcp_config(), "gcp")
    values = release(run, "cert-manager").inputs["values"]
    account = values["serviceAccount"]["annotations"]["iam.gke.io/gcp-service-account"]
    grant = one(
        run,
        "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
        member=f"serviceAccount:{account}",
    )
    assert grant.inputs["role"] == "roles/dns.admin"
    assert (grant.inputs["project"], grant.inputs["managedZone"]) == ("acme-platform", "example")
    # No project-wide DNS rights for cert-manager.
    assert [r for r in run.registrations.values() if r.type.startswith("gcp:projects/")] == []


@pytest.mark.parametrize("stack", ["staging", "gke-prod"])
def test_wildcards_with_dns01(stack_run, stack):
    spec = platform_certificate(stack_run(stack)).inputs["spec"]
    domain = spec["dnsNames"][0]
    # The domain and its wildcard (which covers Grafana's and the fixture's `hello` name),
    # and the fixture's nested wildcard, which the first one does not.
    assert spec["dnsNames"] == [domain, f"*.{domain}", f"*.shop.{domain}"]
    assert spec["privateKey"]["rotationPolicy"] == "Always"


def test_without_dns01_let_s_encrypt_certifies_the_apex_only_through_http01():
    config = aws_config(dns={})
    run = run_on_fake(config, "aws")
    assert platform_certificate(run).inputs["spec"]["dnsNames"] == [
        "apps.example.com",
        "grafana.apps.example.com",
    ]
    (solver,) = issuer(run, "letsencrypt").inputs["spec"]["acme"]["solvers"]
    assert solver == HTTP01
    assert (
        platform_certificate(run).inputs["metadata"]["labels"]
        == (HTTP01["selector"]["matchLabels"])
    )


def test_the_dev_private_ca_is_generated_in_the_cluster_and_certifies_the_domain_only(stack_run):
    run = stack_run("dev")
    # No key material in Pulumi: cert-manager generates the root from a self-signed Issuer.
    assert [r.name for r in run.registrations.values() if r.type.startswith("tls:")] == []
    assert "privateCaCertificate" not in run.outputs
    ca = issuer(run, "private-ca").inputs["spec"]["ca"]
    root = one(run, "kubernetes:cert-manager.io/v1:Certificate", metadata__name=ca["secretName"])
    spec = root.inputs["spec"]
    assert root.inputs["metadata"]["namespace"] == "cert-manager"
    assert spec["isCA"] is True and spec["secretName"] == ca["secretName"]
    assert spec["nameConstraints"] == {
        "critical": True,
        "permitted": {"dnsDomains": ["dev.platform.internal"]},
    }
    # A year, renewed a month ahead; not ten years.
    assert (spec["duration"], spec["renewBefore"]) == ("8760h", "720h")
    root_issuer = one(
        run, "kubernetes:cert-manager.io/v1:Issuer", metadata__name=spec["issuerRef"]["name"]
    )
    assert root_issuer.inputs["metadata"]["namespace"] == "cert-manager"
    assert root_issuer.inputs["spec"] == {"selfSigned": {}}
    assert platform_certificate(run).inputs["spec"]["dnsNames"] == [
        "dev.platform.internal",
        "*.dev.platform.internal",
    ]


def test_an_app_namespace_certificate_is_issued_through_dns01_in_its_own_namespace(stack_run):
    """An app's own Certificate (or one cert-manager makes for an Ingress annotated with the
    issuer) lives in the app's namespace: DNS-01 proves it, no route is needed."""
    run = stack_run("staging")
    solvers = issuer(run, "letsencrypt").inputs["spec"]["acme"]["solvers"]
    name = "api.staging.apps.example.com"
    assert pick_solver(solvers, name, labels={}) == solvers[0]
    assert "route53" in solvers[0]["dns01"]
    assert challenge_findings(run, "apps", [name], labels={}) == []


def test_without_a_zone_http01_solves_only_the_platform_certificate():
    run = run_on_fake(aws_config(dns={}), "aws")
    (solver,) = issuer(run, "letsencrypt").inputs["spec"]["acme"]["solvers"]
    cert = platform_certificate(run).inputs
    labels = cert["metadata"]["labels"]
    assert pick_solver([solver], "apps.example.com", labels) == solver
    # ...whose challenge route the HTTP listener admits (its namespace is the Gateway's)...
    assert cert["metadata"]["namespace"] == "ingress"
    assert challenge_findings(run, "ingress", cert["spec"]["dnsNames"], labels) == []
    # ...while an app's certificate gets no solver: cert-manager reports it at once instead of
    # creating a route in the app namespace that would never attach.
    assert pick_solver([solver], "apps.example.com", labels={}) is None


def test_dev_has_only_the_private_ca_without_an_email(stack_run):
    issuers = stack_run("dev").of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    assert [r.inputs["metadata"]["name"] for r in issuers] == ["private-ca"]


@pytest.mark.parametrize("stack", ["prod", "gke-prod"])
def test_prod_cert_manager_is_highly_available(stack_run, stack):
    values = release(stack_run(stack), "cert-manager").inputs["values"]
    for component in (values, values["webhook"], values["cainjector"]):
        assert component["replicaCount"] >= 2
        assert component["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
        keys = {c["topologyKey"] for c in component["topologySpreadConstraints"]}
        assert "topology.kubernetes.io/zone" in keys
        assert component["resources"]["requests"]


def test_an_existing_cluster_uses_route53_credentials_from_a_secret(run_config):
    config = base(
        ingress={"domain": "apps.example.com"},
        certificates={"acmeEmail": "ops@example.com", "issuer": "letsencrypt"},
        dns={
            "zone": "example.com",
            "route53": {
                "hostedZoneId": "Z0123456789ABC",
                "accessKeyId": "AKIAEXAMPLE",
                "secretAccessKey": {"secure": "v1:AAAA"},
            },
        },
    )
    run = run_config(config)
    secret = one(run, "kubernetes:core/v1:Secret", metadata__name="dns01-credentials")
    assert secret.inputs["metadata"]["namespace"] == "cert-manager"
    assert "stringData" in secret.secret_inputs
    dns01 = issuer(run, "letsencrypt").inputs["spec"]["acme"]["solvers"][0]["dns01"]
    assert dns01 == {
        "route53": {
            "region": "us-east-1",
            "hostedZoneID": "Z0123456789ABC",
            "accessKeyID": "AKIAEXAMPLE",
            "secretAccessKeySecretRef": {"name": "dns01-credentials", "key": "secret-access-key"},
        }
    }
    assert platform_certificate(run).inputs["spec"]["dnsNames"] == [
        "apps.example.com",
        "*.apps.example.com",
    ]
