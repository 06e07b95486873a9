"""An EKS stack does not pay for what it does not choose: NAT processing of S3 traffic, and
extended Kubernetes support.

Private subnets reach the internet through NAT gateways, which charge per GB processed; backups
to S3 and container image layers (ECR serves them from S3) cross them unless a gateway endpoint
for S3 is on the private route tables (gateway endpoints cost nothing). An EKS cluster without
an upgrade policy gets `EXTENDED` support: when its version leaves standard support it stays,
charged extra per cluster hour, instead of being upgraded.

Sources:
- AWS Prescriptive Guidance, AWS Startup Security Baseline WKLD.12 ("Use VPC endpoints to access
  supported services"): S3 gateway endpoints "come at no additional charge"; and the Amazon
  ECR user guide, "Amazon ECR interface VPC endpoints" (vpc-endpoints.html): ECR keeps image
  layers in Amazon S3, reached through an S3 gateway endpoint.
- EKS user guide, "View current cluster upgrade policy" (awsdocs/amazon-eks-user-guide
  `latest/ug/clusters/view-upgrade-policy.adoc`): "Extended support is enabled by default for
  new clusters"; `EXTENDED` incurs extended support charges, `STANDARD` does not.
"""

from __future__ import annotations

import copy

from kube_platform.stacks.offline import Run

CLUSTER = "aws:eks/cluster:Cluster"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def cost_problems(run: Run, region: str) -> list[str]:
    problems = []
    cluster = run.of_type(CLUSTER)[0]
    if not (cluster.inputs.get("upgradePolicy") or {}).get("supportType"):
        problems.append("the cluster takes the API's default support type, EXTENDED")
    if run.of_type("aws:ec2/vpc:Vpc"):
        private_tables = {
            a.inputs["routeTableId"]
            for a in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if "-private-" in a.name
        }
        s3 = [
            e
            for e in run.of_type(ENDPOINT)
            if e.inputs["serviceName"] == f"com.amazonaws.{region}.s3"
            and e.inputs["vpcEndpointType"] == "Gateway"
        ]
        if not s3 or not private_tables <= set(s3[0].inputs["routeTableIds"]):
            problems.append("S3 traffic from the private subnets goes through NAT")
    return problems


def test_no_eks_stack_pays_for_nat_processing_of_s3_or_extended_support(every_stack: Run):
    clusters = every_stack.of_type(CLUSTER)
    if not clusters:
        return
    region = every_stack.of_type("pulumi:providers:aws")[0].inputs["region"]
    assert cost_problems(every_stack, region) == []


def test_the_rule_catches_the_defaults(stack_run):
    """Before this rule, no S3 endpoint and no upgrade policy."""
    run = copy.deepcopy(stack_run("staging"))
    del run.of_type(CLUSTER)[0].inputs["upgradePolicy"]
    run.registrations = {u: r for u, r in run.registrations.items() if r.type != ENDPOINT}
    assert cost_problems(run, "eu-west-1") == [
        "the cluster takes the API's default support type, EXTENDED",
        "S3 traffic from the private subnets goes through NAT",
    ]
