"""Every EKS stack can be deployed: `pulumi up` has a network path to the API endpoint.

A private-only endpoint answers only inside the VPC and networks connected to it (its public
DNS name resolves to private VPC addresses), so a VPC created by the same deployment has nobody
inside it. A network outside the VPC that is admitted on port 443 but has no route into the VPC
gets no reply (replies follow the private subnets' default route, the NAT gateway). The
Tailscale proxy runs in the cluster and `pulumi up` authenticates with `aws eks get-token`
against the endpoint, so it is no path for the deploy that installs it. Paths that work: a
public allow-list (not in prod), a network routed in through a transit or VPN gateway attached
to the VPC, or a runner inside the VPC (a CodeBuild-hosted GitHub Actions runner: webhook on
`WORKFLOW_JOB_QUEUED`, jobs labelled `codebuild-<project>-${{ github.run_id }}-${{
github.run_attempt }}`, the stack exporting the `codebuild-<project>` part the workflows
extend) whose security group is admitted. The runner is only the network path: the deploy job
on it runs as an admin principal it assumes (tests/rules/test_eks_deploy_runner.py).

Sources:
- EKS user guide, "Cluster API server endpoint" (awsdocs/amazon-eks-user-guide
  `latest/ug/clusters/cluster-endpoint.adoc`): with only private access, traffic must come from
  the VPC or a connected network (a transit gateway, with port 443 allowed from it), and the
  endpoint's name resolves to private addresses.
- AWS CodeBuild user guide, "Self-hosted GitHub Actions runners in AWS CodeBuild"
  (action-runner-overview.html, action-runner-questions.html: `FilterGroups: [[{Type: EVENT,
  Pattern: WORKFLOW_JOB_QUEUED}]]`, `runs-on: codebuild-<project>-${{ github.run_id }}-${{
  github.run_attempt }}`) and "GitHub App connections" (connections-github-app.html: the
  project role needs `codeconnections:GetConnectionToken` and `GetConnection`).
- pulumi-aws 7.51.1 `codebuild.Webhook`, "For CodeBuild Runner Project": `build_type="BUILD"`
  and a filter group `{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json

from kube_platform.stacks.offline import Run
from tests.conftest import stack_config
from tests.test_config_errors import errors_of

CLUSTER = "aws:eks/cluster:Cluster"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROUTE = "aws:ec2/route:Route"
PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"


def _private_route_tables(run: Run) -> set[str]:
    private = {
        f"{s.name}-id"
        for s in run.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"].get("kubernetes.io/role/internal-elb") == "1"
    }
    return {
        a.inputs["routeTableId"]
        for a in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a.inputs["subnetId"] in private
    }


def _routing_problems(run: Run, cluster_sg: str) -> tuple[list[str], bool]:
    """Problems with networks admitted from outside a created VPC; whether any is routed."""
    vpcs = run.of_type("aws:ec2/vpc:Vpc")
    if not vpcs:
        return [], False
    vpc = ipaddress.IPv4Network(vpcs[0].inputs["cidrBlock"])
    tables = _private_route_tables(run)
    attached = {
        a.inputs["transitGatewayId"]
        for a in run.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    } | {
        a.inputs["vpnGatewayId"]
        for a in run.of_type("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    }
    problems, routed = [], False
    for rule in run.of_type(INGRESS):
        cidr = rule.inputs.get("cidrIpv4")
        if rule.inputs["securityGroupId"] != cluster_sg or cidr is None:
            continue
        if ipaddress.IPv4Network(cidr).subnet_of(vpc):
            continue
        through = {
            r.inputs["routeTableId"]: r.inputs.get("transitGatewayId") or r.inputs.get("gatewayId")
            for r in run.of_type(ROUTE)
            if r.inputs.get("destinationCidrBlock") == cidr
        }
        if set(through) != tables or not set(through.values()) <= attached:
            problems.append(f"{cidr} is admitted to the API but replies to it leave through NAT")
        else:
            routed = True
    return problems, routed


def _runner_problems(run: Run, cluster_sg: str, subnets: list[str]) -> list[str]:
    project = run.of_type(PROJECT)[0]
    name = project.inputs["name"]
    problems = []
    if not set(project.inputs["vpcConfig"]["subnets"]) <= set(subnets):
        problems.append("the runner is not in the cluster's private subnets")
    groups = set(project.inputs["vpcConfig"]["securityGroupIds"])
    if not any(
        r.inputs["securityGroupId"] == cluster_sg
        and r.inputs.get("referencedSecurityGroupId") in groups
        and (r.inputs["fromPort"], r.inputs["toPort"]) == (443, 443)
        for r in run.of_type(INGRESS)
    ):
        problems.append("the runner's security group is not admitted to the API endpoint")
    filters = [
        f
        for w in run.of_type(WEBHOOK)
        if w.inputs["projectName"] == name
        for group in w.inputs["filterGroups"]
        for f in group["filters"]
    ]
    if {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"} not in filters:
        problems.append("no webhook starts the runner for queued workflow jobs")
    connection = project.inputs["source"]["auth"]["resource"]
    policies = [
        json.loads(p.inputs["policy"]) for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
    ]
    if not any(
        s.get("Resource") == connection and "GetConnectionToken" in " ".join(s["Action"])
        for p in policies
        for s in p["Statement"]
    ):
        problems.append("the runner's role may not use the GitHub connection")
    # The workflows append `-${{ github.run_id }}-${{ github.run_attempt }}` to the label.
    label = f"codebuild-{name}"
    if run.outputs.get("deployRunnerLabel") is None or (
        run.outputs["deployRunnerLabel"].value != label
    ):
        problems.append(f"the stack does not export the runner's label {label}")
    return problems


def first_deploy_problems(run: Run) -> list[str]:
    cluster = run.of_type(CLUSTER)[0]
    cluster_sg = cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]
    subnets = cluster.inputs["vpcConfig"]["subnetIds"]
    problems, routed = _routing_problems(run, cluster_sg)
    paths = ["public endpoint"] if cluster.inputs["vpcConfig"]["endpointPublicAccess"] else []
    if routed:
        paths.append("routed network")
    if run.of_type(PROJECT):
        runner = _runner_problems(run, cluster_sg, subnets)
        problems += runner
        paths += [] if runner else ["deploy runner"]
    if not run.of_type("aws:ec2/vpc:Vpc") and any(
        "cidrIpv4" in r.inputs for r in run.of_type(INGRESS)
    ):
        paths.append("a network the existing VPC admits")
    if not paths:
        problems.append("nothing outside the cluster's own VPC can reach the API endpoint")
    return problems


def test_every_eks_stack_has_a_working_path_for_pulumi_up(every_stack: Run):
    if not every_stack.of_type(CLUSTER):
        return
    assert first_deploy_problems(every_stack) == []


def test_the_rule_catches_an_office_network_without_a_route(stack_run):
    """Before this rule, prod admitted 10.200.0.0/16 on the API port but routed nothing there,
    had no deploy runner and no public endpoint."""
    run = stack_run("prod")
    kept = {
        urn: r
        for urn, r in run.registrations.items()
        if r.type not in (ROUTE, PROJECT) or r.inputs.get("natGatewayId")
    }
    problems = first_deploy_problems(dataclasses.replace(run, registrations=kept))
    assert problems == [
        "10.200.0.0/16 is admitted to the API but replies to it leave through NAT",
        "nothing outside the cluster's own VPC can reach the API endpoint",
    ]


def test_a_stack_without_a_path_is_rejected_before_anything_exists():
    config = stack_config("prod")
    eks = config["platform:cluster"]["eks"]
    del eks["deployRunner"], eks["network"]["transitGatewayId"]
    lines = errors_of(config)
    assert lines == [
        "Pulumi.test.yaml: platform:cluster.eks.network.privateAccessCidrs[1]: 10.200.0.0/16 "
        "lies outside the VPC (10.10.0.0/16) and nothing routes it there, so replies to it "
        "would leave through the NAT gateway; set cluster.eks.network.transitGatewayId or "
        "vpnGatewayId to the gateway that carries it, or remove it",
        "Pulumi.test.yaml: platform:cluster.eks: the API endpoint is private and the VPC this "
        "stack creates has nothing inside it, so no `pulumi up` could reach it to install what "
        "runs in the cluster. Add deployRunner (a runner inside the VPC; deploy once with "
        "platform:bootstrapPhase cloud, then from the runner), route your network in with "
        "network.privateAccessCidrs and network.transitGatewayId or vpnGatewayId. The "
        "Tailscale proxy does not count: it runs inside the cluster, so it cannot carry the "
        "deploy that installs it.",
    ]
