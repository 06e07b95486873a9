"""external-dns: zone, owner, sources, policy per tier and identity per cloud."""

from __future__ import annotations

import json
import re

import pytest

from kube_platform.components import versions
from tests.test_config_errors import base
from tests.traffic_runs import aws_config, one, policy_with, release, run_on_fake

CLOUD_STACKS = ["staging", "prod", "gke-staging", "gke-prod"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_external_dns_publishes_gateway_routes_and_ingresses_into_the_zone(stack_run, stack):
    run = stack_run(stack)
    chart = release(run, "external-dns")
    assert chart.inputs["version"] == versions.EXTERNAL_DNS.version
    values = chart.inputs["values"]
    zone = run.outputs["dnsZone"].value
    assert values["domainFilters"] == [zone]
    assert {"gateway-httproute", "ingress"} <= set(values["sources"])
    assert values["registry"] == "txt"
    assert values["txtOwnerId"] == f"platform-{stack}"
    assert values["provider"]["name"] == ("google" if stack.startswith("gke") else "aws")


@pytest.mark.parametrize(
    ("stack", "policy"),
    [
        ("staging", "sync"),
        ("gke-staging", "sync"),
        ("prod", "upsert-only"),
        ("gke-prod", "upsert-only"),
    ],
)
def test_prod_never_deletes_records(stack_run, stack, policy):
    assert release(stack_run(stack), "external-dns").inputs["values"]["policy"] == policy


def test_owner_ids_differ_between_stacks_sharing_a_zone(stack_run):
    owners = {
        release(stack_run(s), "external-dns").inputs["values"]["txtOwnerId"] for s in CLOUD_STACKS
    }
    assert len(owners) == len(CLOUD_STACKS)


def test_route53_identity_writes_only_the_hosted_zone(stack_run):
    run = stack_run("prod")
    values = release(run, "external-dns").inputs["values"]
    assert "--zone-id-filter=Z0PROD0EXAMPLE" in values["extraArgs"]
    one(
        run,
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        namespace="external-dns",
        serviceAccount=values["serviceAccount"]["name"],
    )
    policy = policy_with(run, 'route53:ListHostedZones"')
    (write,) = [s for s in policy["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert write["Resource"] == "arn:aws:route53:::hostedzone/Z0PROD0EXAMPLE"


@pytest.mark.parametrize(
    ("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_iam_arns_use_the_partition_of_the_cluster_region(region, partition):
    run = run_on_fake(aws_config(), "aws", region=region)
    documents = [
        json.dumps(policy_with(run, action))
        for action in (
            "route53:GetChange",  # cert-manager DNS-01
            'route53:ListHostedZones"',  # external-dns
            "elasticloadbalancing:CreateLoadBalancer",  # AWS Load Balancer Controller
        )
    ]
    for document in documents:
        arns = re.findall(r'"(arn:[^"]*)"', document)
        assert arns and all(arn.startswith(f"arn:{partition}:") for arn in arns), arns
    route53 = json.loads(documents[0])["Statement"][0]["Resource"]
    assert route53 == f"arn:{partition}:route53:::hostedzone/Z0123456789ABC"


def test_cloud_dns_identity_reads_the_project_and_writes_only_the_zone(stack_run):
    run = stack_run("gke-staging")
    values = release(run, "external-dns").inputs["values"]
    assert "--google-project=acme-platform-staging" in values["extraArgs"]
    account = values["serviceAccount"]["annotations"]["iam.gke.io/gcp-service-account"]
    member = f"serviceAccount:{account}"
    project_roles = {
        r.inputs["role"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == member
    }
    assert project_roles == {"roles/dns.reader"}
    grant = one(run, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", member=member)
    assert (grant.inputs["managedZone"], grant.inputs["role"]) == (
        "staging-apps",
        "roles/dns.admin",
    )


def test_cert_manager_has_no_project_wide_dns_rights_on_gke(stack_run):
    run = stack_run("gke-staging")
    values = release(run, "cert-manager").inputs["values"]
    account = values["serviceAccount"]["annotations"]["iam.gke.io/gcp-service-account"]
    member = f"serviceAccount:{account}"
    assert [
        r for r in run.of_type("gcp:projects/iAMMember:IAMMember") if r.inputs["member"] == member
    ] == []
    one(run, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", member=member)


def test_external_dns_is_off_on_dev(stack_run):
    assert not [
        r
        for r in stack_run("dev").of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "external-dns"
    ]


def test_external_dns_can_be_turned_off():
    config = aws_config(
        dns={
            "zone": "example.com",
            "route53": {"hostedZoneId": "Z0123456789ABC"},
            "externalDns": False,
        }
    )
    run = run_on_fake(config, "aws")
    charts = {r.inputs["chart"] for r in run.of_type("kubernetes:helm.sh/v3:Release")}
    assert "cert-manager" in charts and "external-dns" not in charts


def test_an_existing_cluster_reads_a_cloud_dns_key_from_a_secret(run_config):
    config = base(
        ingress={"domain": "apps.example.com"},
        dns={
            "zone": "example.com",
            "cloudDns": {
                "managedZone": "example",
                "project": "acme-dns",
                "serviceAccountKey": {"secure": "v1:AAAA"},
            },
        },
    )
    run = run_config(config)
    secret = one(run, "kubernetes:core/v1:Secret", metadata__name="external-dns-credentials")
    assert secret.inputs["metadata"]["namespace"] == "external-dns"
    assert "stringData" in secret.secret_inputs
    chart = release(run, "external-dns")
    values = chart.inputs["values"]
    assert values["extraVolumes"] == [
        {"name": "google-credentials", "secret": {"secretName": "external-dns-credentials"}}
    ]
    assert {
        "name": "GOOGLE_APPLICATION_CREDENTIALS",
        "value": "/etc/external-dns/google/credentials.json",
    } in values["env"]
    assert not [s for s in chart.secret_inputs if s.startswith("values")]
    # The dev tier still issues the platform certificate from the private CA.
    one(run, "kubernetes:cert-manager.io/v1:ClusterIssuer", metadata__name="private-ca")
