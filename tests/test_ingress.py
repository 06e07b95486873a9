"""Ingress: Gateway API CRDs, Traefik, the platform Gateway and the load balancer per cloud."""

from __future__ import annotations

import pytest

from kube_platform.components import versions
from tests.traffic_runs import (
    CRDS,
    aws_config,
    crd_bundle,
    gateway,
    gcp_config,
    one,
    policy_with,
    release,
    run_on_fake,
    statements_for,
)

STACKS = ["dev", "staging", "prod", "gke-staging", "gke-prod"]
AWS_LB = "service.beta.kubernetes.io/aws-load-balancer"


def _listeners(run):
    return {listener["name"]: listener for listener in gateway(run).inputs["spec"]["listeners"]}


@pytest.mark.parametrize("stack", STACKS)
def test_gateway_redirects_http_and_terminates_https_with_the_platform_certificate(
    stack_run, stack
):
    run = stack_run(stack)
    listeners = _listeners(run)
    http = listeners.pop("http")
    cert = one(run, "kubernetes:cert-manager.io/v1:Certificate", metadata__name="platform-tls")
    gw = gateway(run).inputs["metadata"]
    assert cert.inputs["metadata"]["namespace"] == gw["namespace"]
    # The fixture's application namespace serves the names it lists, and Grafana's namespace
    # its own hostname; each gets an HTTPS listener terminated with the platform certificate.
    domain = cert.inputs["spec"]["dnsNames"][0]
    owners = {
        https["hostname"]: https["allowedRoutes"]["namespaces"]["selector"]["matchLabels"]
        for https in listeners.values()
    }
    assert owners.pop(f"grafana.{domain}") == {
        "kubernetes.io/metadata.name": "monitoring",
        "gateway.kube-platform.io/routes": "allowed",
    }
    # Only that namespace, marked by the platform, may attach; HTTP serves the redirect only.
    assert owners and all(
        labels
        == {"kubernetes.io/metadata.name": "apps", "gateway.kube-platform.io/routes": "allowed"}
        for labels in owners.values()
    )
    assert f"hello.{domain}" in owners
    for https in listeners.values():
        assert https["name"] == https["hostname"].replace("*", "wildcard", 1)
        assert https["protocol"] == "HTTPS" and https["tls"]["mode"] == "Terminate"
        assert https["tls"]["certificateRefs"] == [
            {"group": "", "kind": "Secret", "name": cert.inputs["spec"]["secretName"]}
        ]
        assert https["allowedRoutes"]["namespaces"]["from"] == "Selector"
        # Listener ports are Traefik's entry points (web 8000, websecure 8443).
        assert https["port"] == 8443
    assert http["allowedRoutes"]["namespaces"] == {"from": "Same"}
    assert http["port"] == 8000

    redirect = one(
        run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", metadata__name="https-redirect"
    )
    assert redirect.inputs["metadata"]["namespace"] == gw["namespace"]
    assert redirect.inputs["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": gw["name"],
            "namespace": gw["namespace"],
            "sectionName": "http",
        }
    ]
    (rule,) = redirect.inputs["spec"]["rules"]
    assert rule["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]


def test_each_listed_hostname_gets_a_listener_for_its_namespace_alone(run_config):
    from tests.test_config_errors import base

    config = base(
        ingress={"domain": "apps.example.com"},
        access={
            "namespaces": [
                {"name": "shop", "hostnames": ["shop.apps.example.com", "*.shop.apps.example.com"]},
                {"name": "blog", "hostnames": ["apps.example.com"]},
                {"name": "batch"},
            ]
        },
    )
    run = run_config(config)
    listeners = _listeners(run)
    admitted = {
        name: (
            listener["hostname"],
            listener["allowedRoutes"]["namespaces"]["selector"]["matchLabels"][
                "kubernetes.io/metadata.name"
            ],
        )
        for name, listener in listeners.items()
        if name != "http"
    }
    assert admitted == {
        "shop.apps.example.com": ("shop.apps.example.com", "shop"),
        "wildcard.shop.apps.example.com": ("*.shop.apps.example.com", "shop"),
        "apps.example.com": ("apps.example.com", "blog"),
        # Grafana's, served from the monitoring namespace.
        "grafana.apps.example.com": ("grafana.apps.example.com", "monitoring"),
    }
    # The platform certificate covers every listed name (the private CA has no wildcard limit).
    cert = one(run, "kubernetes:cert-manager.io/v1:Certificate", metadata__name="platform-tls")
    assert cert.inputs["spec"]["dnsNames"] == [
        "apps.example.com",
        "*.apps.example.com",
        "*.shop.apps.example.com",
    ]
    # Every baseline namespace carries the mark; a namespace without hostnames serves nothing.
    for name in ("shop", "blog", "batch"):
        ns = one(run, "kubernetes:core/v1:Namespace", metadata__name=name)
        assert ns.inputs["metadata"]["labels"]["gateway.kube-platform.io/routes"] == "allowed"


def test_without_a_domain_the_gateway_serves_http_to_marked_namespaces_only(run_config):
    from tests.test_config_errors import base

    run = run_config(base())
    (listener,) = gateway(run).inputs["spec"]["listeners"]
    assert listener["protocol"] == "HTTP" and listener["allowedRoutes"]["namespaces"] == {
        "from": "Selector",
        "selector": {"matchLabels": {"gateway.kube-platform.io/routes": "allowed"}},
    }
    assert not run.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    assert not run.of_type("kubernetes:cert-manager.io/v1:Certificate")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_gateway_api_crds_are_pinned_and_everything_using_them_waits_for_them(stack_run, stack):
    run = stack_run(stack)
    crds = crd_bundle(run)
    assert crds.inputs["file"] == versions.GATEWAY_API_CRDS_URL
    assert "/v1.6.1/standard-install.yaml" in crds.inputs["file"]
    gateway_objects = [
        r for r in run.registrations.values() if "gateway.networking.k8s.io" in r.type
    ]
    assert {r.inputs["kind"] for r in gateway_objects} == {"GatewayClass", "Gateway", "HTTPRoute"}
    for r in [*gateway_objects, release(run, "traefik"), release(run, "cert-manager")]:
        assert crds.urn in r.dependencies, r.name


@pytest.mark.parametrize("stack", ["gke-staging", "gke-prod"])
def test_gke_owns_the_gateway_api_crds_and_the_platform_applies_none(stack_run, stack):
    run = stack_run(stack)
    (cluster,) = run.of_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    # Created at the version (or its channel's newer default) whose CRDs carry TLSRoute v1.
    assert cluster.inputs.get("minMasterVersion") in (None, versions.GKE_MIN_GATEWAY_API_VERSION)
    assert run.of_type(CRDS) == []
    gateway_objects = [
        r for r in run.registrations.values() if "gateway.networking.k8s.io" in r.type
    ]
    for r in [*gateway_objects, release(run, "traefik"), release(run, "cert-manager")]:
        assert cluster.urn in r.dependencies, r.name


@pytest.mark.parametrize("stack", STACKS)
def test_traefik_serves_gateway_api_and_ingress_and_ingress_nginx_is_absent(stack_run, stack):
    run = stack_run(stack)
    traefik = release(run, "traefik")
    assert traefik.inputs["version"] == versions.TRAEFIK.version
    values = traefik.inputs["values"]
    assert values["providers"]["kubernetesGateway"]["enabled"] is True
    assert values["providers"]["kubernetesIngress"]["enabled"] is True
    assert values["ingressClass"]["isDefaultClass"] is True
    # The platform owns the GatewayClass and the Gateway.
    assert values["gateway"]["enabled"] is False and values["gatewayClass"]["enabled"] is False
    gateway_class = one(run, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass")
    assert gateway_class.inputs["spec"]["controllerName"] == "traefik.io/gateway-controller"
    assert (
        gateway(run).inputs["spec"]["gatewayClassName"]
        == (gateway_class.inputs["metadata"]["name"])
    )
    charts = {r.inputs["chart"] for r in run.of_type("kubernetes:helm.sh/v3:Release")}
    assert not any("nginx" in c for c in charts)
    # Traefik's own CRDs would never be upgraded by Helm; only standard APIs are served.
    assert values["providers"]["kubernetesCRD"]["enabled"] is False
    assert traefik.inputs["skipCrds"] is True


def test_dev_uses_a_node_port_without_cloud_annotations(stack_run):
    values = release(stack_run("dev"), "traefik").inputs["values"]
    assert values["service"]["spec"]["type"] == "NodePort"
    assert values["service"]["annotations"] == {}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_eks_gets_a_public_nlb_with_ip_targets_through_the_load_balancer_controller(
    stack_run, stack
):
    run = stack_run(stack)
    traefik = release(run, "traefik")
    service = traefik.inputs["values"]["service"]
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["annotations"] == {
        f"{AWS_LB}-type": "external",
        f"{AWS_LB}-nlb-target-type": "ip",
        f"{AWS_LB}-scheme": "internet-facing",
        f"{AWS_LB}-target-group-attributes": "preserve_client_ip.enabled=true",
        # Staging and prod protect stateful resources, the NLB included.
        f"{AWS_LB}-attributes": "deletion_protection.enabled=true",
    }
    namespace = one(run, "kubernetes:core/v1:Namespace", metadata__name="ingress")
    assert namespace.inputs["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == (
        "enabled"
    )
    controller = release(run, "aws-load-balancer-controller")
    assert controller.inputs["version"] == versions.AWS_LOAD_BALANCER_CONTROLLER.version
    assert controller.urn in traefik.dependencies
    # Its CRDs are applied from the chart's tag, so they follow chart upgrades.
    [crds] = [
        r
        for r in run.of_type("kubernetes:yaml/v2:ConfigGroup")
        if r.inputs["files"] == list(versions.AWS_LOAD_BALANCER_CONTROLLER_CRDS_URLS)
    ]
    assert all(f"/v{controller.inputs['version']}/" in url for url in crds.inputs["files"])
    assert controller.inputs["skipCrds"] is True
    assert crds.urn in controller.dependencies
    values = controller.inputs["values"]
    assert values["region"] == "eu-west-1"
    assert values["clusterName"] and values["vpcId"]
    sa = values["serviceAccount"]["name"]
    association = one(
        run,
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        serviceAccount=sa,
        namespace=controller.inputs["namespace"],
    )
    assert association.inputs["roleArn"]


def test_the_load_balancer_controller_policy_is_the_upstream_one_scoped_by_tags():
    run = run_on_fake(aws_config(ingress={"domain": "apps.example.com", "internal": True}), "aws")
    policy = policy_with(run, "elasticloadbalancing:CreateLoadBalancer")
    (create,) = statements_for(policy, "elasticloadbalancing:CreateLoadBalancer")
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    (delete,) = statements_for(policy, "elasticloadbalancing:DeleteLoadBalancer")
    assert delete["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    for action in ("ec2:GetSecurityGroupsForVpc", "elasticloadbalancing:RegisterTargets"):
        assert statements_for(policy, action), action
    annotations = release(run, "traefik").inputs["values"]["service"]["annotations"]
    assert annotations[f"{AWS_LB}-scheme"] == "internal"


@pytest.mark.parametrize("internal", [False, True])
def test_gke_uses_the_native_load_balancer_internal_on_request(internal):
    config = gcp_config(ingress={"domain": "apps.example.com", "internal": internal})
    run = run_on_fake(config, "gcp")
    service = release(run, "traefik").inputs["values"]["service"]
    assert service["spec"]["type"] == "LoadBalancer"
    expected = {"networking.gke.io/load-balancer-type": "Internal"} if internal else {}
    assert service["annotations"] == expected
    assert not [r for r in run.of_type("kubernetes:helm.sh/v3:Release") if "aws" in r.name]


def test_gke_stack_files_use_the_public_native_load_balancer(stack_run):
    values = release(stack_run("gke-prod"), "traefik").inputs["values"]
    assert values["service"]["annotations"] == {}
    assert values["service"]["spec"]["type"] == "LoadBalancer"


@pytest.mark.parametrize("stack", ["prod", "gke-prod"])
def test_prod_ingress_is_highly_available(stack_run, stack):
    values = release(stack_run(stack), "traefik").inputs["values"]
    assert values["deployment"]["replicas"] >= 2
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    zones = [
        c
        for c in values["topologySpreadConstraints"]
        if c["topologyKey"] == "topology.kubernetes.io/zone"
    ]
    assert zones and zones[0]["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "traefik"
    }
    assert values["resources"]["requests"]["cpu"] and values["resources"]["requests"]["memory"]


def test_dev_ingress_runs_one_replica_without_a_disruption_budget(stack_run):
    values = release(stack_run("dev"), "traefik").inputs["values"]
    assert values["deployment"]["replicas"] == 1
    assert "podDisruptionBudget" not in values
