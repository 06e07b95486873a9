"""How the ingress controller's Service becomes a load balancer on each cluster kind.

EKS: the AWS Load Balancer Controller provisions a Network Load Balancer with IP targets (pods
registered directly, no node hop) that keeps the client's address, and holds a rollout until
new pods are healthy targets. GKE: the built-in service controller, internal on request.
Existing clusters: whatever `LoadBalancer` means there (MetalLB, a cloud), or a NodePort.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.kubernetes.scheduling import spread_constraints
from kube_platform.components.observability import scrapes

AWS_LBC_NAMESPACE = "kube-system"
AWS_LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"

_ELB = "elasticloadbalancing"
_CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def _allow(actions: list[str], resource: Any = "*", condition: dict | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _owned(tag_kind: str, value: str) -> dict[str, dict[str, str]]:
    """Condition: the request or resource carries (or lacks) the controller's cluster tag."""
    return {f"aws:{tag_kind}/{_CLUSTER_TAG}": value}


def aws_load_balancer_controller_policy(region: str) -> str:
    """The controller's IAM policy (the upstream `iam_policy.json` for the pinned release):
    read-only discovery everywhere; create, modify and delete only resources it tagged. ARNs
    use the partition of `region`."""
    elb_arn = f"arn:{partition(region)}:{_ELB}:*:*"
    lb_arns = [
        f"{elb_arn}:targetgroup/*/*",
        f"{elb_arn}:loadbalancer/net/*/*",
        f"{elb_arn}:loadbalancer/app/*/*",
    ]
    describe = [
        *(
            f"ec2:{a}"
            for a in (
                "DescribeAccountAttributes",
                "DescribeAddresses",
                "DescribeAvailabilityZones",
                "DescribeInternetGateways",
                "DescribeVpcs",
                "DescribeVpcPeeringConnections",
                "DescribeSubnets",
                "DescribeSecurityGroups",
                "DescribeInstances",
                "DescribeNetworkInterfaces",
                "DescribeTags",
                "GetCoipPoolUsage",
                "DescribeCoipPools",
                "GetSecurityGroupsForVpc",
                "DescribeIpamPools",
                "DescribeRouteTables",
            )
        ),
        *(
            f"{_ELB}:{a}"
            for a in (
                "DescribeLoadBalancers",
                "DescribeLoadBalancerAttributes",
                "DescribeListeners",
                "DescribeListenerCertificates",
                "DescribeSSLPolicies",
                "DescribeRules",
                "DescribeTargetGroups",
                "DescribeTargetGroupAttributes",
                "DescribeTargetHealth",
                "DescribeTags",
                "DescribeTrustStores",
                "DescribeListenerAttributes",
                "DescribeCapacityReservation",
            )
        ),
    ]
    integrations = [
        "cognito-idp:DescribeUserPoolClient",
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "iam:ListServerCertificates",
        "iam:GetServerCertificate",
        "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource",
        "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "shield:GetSubscriptionState",
        "shield:DescribeProtection",
        "shield:CreateProtection",
        "shield:DeleteProtection",
    ]
    security_group = f"arn:{partition(region)}:ec2:*:*:security-group/*"
    statements = [
        _allow(
            ["iam:CreateServiceLinkedRole"],
            condition={"StringEquals": {"iam:AWSServiceName": f"{_ELB}.amazonaws.com"}},
        ),
        _allow(describe),
        _allow(integrations),
        _allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]),
        _allow(["ec2:CreateSecurityGroup"]),
        _allow(
            ["ec2:CreateTags"],
            security_group,
            {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                "Null": _owned("RequestTag", "false"),
            },
        ),
        _allow(
            ["ec2:CreateTags", "ec2:DeleteTags"],
            security_group,
            {"Null": {**_owned("RequestTag", "true"), **_owned("ResourceTag", "false")}},
        ),
        _allow(
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            condition={"Null": _owned("ResourceTag", "false")},
        ),
        _allow(
            [f"{_ELB}:CreateLoadBalancer", f"{_ELB}:CreateTargetGroup"],
            condition={"Null": _owned("RequestTag", "false")},
        ),
        _allow(
            [
                f"{_ELB}:CreateListener",
                f"{_ELB}:DeleteListener",
                f"{_ELB}:CreateRule",
                f"{_ELB}:DeleteRule",
            ]
        ),
        _allow(
            [f"{_ELB}:AddTags", f"{_ELB}:RemoveTags"],
            lb_arns,
            {"Null": {**_owned("RequestTag", "true"), **_owned("ResourceTag", "false")}},
        ),
        _allow(
            [f"{_ELB}:AddTags", f"{_ELB}:RemoveTags"],
            [
                f"{elb_arn}:listener/net/*/*/*",
                f"{elb_arn}:listener/app/*/*/*",
                f"{elb_arn}:listener-rule/net/*/*/*",
                f"{elb_arn}:listener-rule/app/*/*/*",
            ],
        ),
        _allow(
            [
                f"{_ELB}:{a}"
                for a in (
                    "ModifyLoadBalancerAttributes",
                    "SetIpAddressType",
                    "SetSecurityGroups",
                    "SetSubnets",
                    "DeleteLoadBalancer",
                    "ModifyTargetGroup",
                    "ModifyTargetGroupAttributes",
                    "DeleteTargetGroup",
                    "ModifyListenerAttributes",
                    "ModifyCapacityReservation",
                    "ModifyIpPools",
                )
            ],
            condition={"Null": _owned("ResourceTag", "false")},
        ),
        _allow(
            [f"{_ELB}:AddTags"],
            lb_arns,
            {
                "StringEquals": {
                    f"{_ELB}:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
                },
                "Null": _owned("RequestTag", "false"),
            },
        ),
        _allow(
            [f"{_ELB}:RegisterTargets", f"{_ELB}:DeregisterTargets"],
            f"{elb_arn}:targetgroup/*/*",
        ),
        _allow(
            [
                f"{_ELB}:SetWebAcl",
                f"{_ELB}:ModifyListener",
                f"{_ELB}:AddListenerCertificates",
                f"{_ELB}:RemoveListenerCertificates",
                f"{_ELB}:ModifyRule",
                f"{_ELB}:SetRulePriorities",
            ]
        ),
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def aws_load_balancer_controller(
    cluster: Cluster,
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    high_availability: bool,
    parent: pulumi.Resource,
    resources: Resources,
    monitoring_crds: pulumi.Resource | None = None,
) -> k8s.helm.v3.Release:
    """The AWS Load Balancer Controller, acting through EKS Pod Identity. With
    `monitoring_crds` its chart's ServiceMonitor is on and the release waits for them."""
    identity = cluster.bind_workload_identity(
        WorkloadIdentityRequest(
            name="aws-load-balancer-controller",
            namespace=AWS_LBC_NAMESPACE,
            service_account=AWS_LBC_SERVICE_ACCOUNT,
            aws_policy=aws_load_balancer_controller_policy(cluster.region),
        ),
        parent,
    )
    selector = {"app.kubernetes.io/name": "aws-load-balancer-controller"}
    values: dict[str, Any] = {
        "clusterName": cluster.cluster_name,
        "region": cluster.region,
        "vpcId": vpc_id,
        "serviceAccount": {
            "create": True,
            "name": AWS_LBC_SERVICE_ACCOUNT,
            "annotations": identity.service_account_annotations,
        },
        # Pods are registered as NLB targets directly (VPC CNI gives them VPC addresses).
        "defaultTargetType": "ip",
        "resources": resources.values(),
        # Two replicas always: its webhooks fail closed, so one pod down blocks Services.
        "replicaCount": 2,
        "podDisruptionBudget": {"maxUnavailable": 1},
    }
    if high_availability:
        values["topologySpreadConstraints"] = spread_constraints(selector)
    monitoring = [monitoring_crds] if monitoring_crds is not None else []
    if monitoring:
        values |= scrapes.aws_load_balancer_controller_values()
    # Helm installs crds/ once and never upgrades it; applied here, the CRDs follow the chart.
    crds = k8s.yaml.v2.ConfigGroup(
        f"{name}-aws-load-balancer-controller-crds",
        files=list(versions.AWS_LOAD_BALANCER_CONTROLLER_CRDS_URLS),
        opts=cluster.child_opts(parent),
    )
    return helm_release(
        cluster,
        f"{name}-aws-load-balancer-controller",
        versions.AWS_LOAD_BALANCER_CONTROLLER,
        namespace=AWS_LBC_NAMESPACE,
        values=values,
        skip_crds=True,
        parent=parent,
        depends_on=[crds, *identity.ready, *monitoring],
    )


# The load balancer controller injects readiness gates into pods of namespaces with this label:
# a pod counts as ready only once it is a healthy NLB target, so a rollout or a drain never
# leaves the target group without healthy targets (LBC docs, deploy/pod_readiness_gate.md).
READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"


def service_annotations(
    cloud: str, internal: bool, *, deletion_protection: bool = False
) -> dict[str, str]:
    """Annotations that make the ingress Service the right load balancer on `cloud`."""
    if cloud == "aws":
        prefix = "service.beta.kubernetes.io/aws-load-balancer"
        protection = "true" if deletion_protection else "false"
        return {
            # "external" hands the Service to the AWS Load Balancer Controller (an NLB).
            f"{prefix}-type": "external",
            f"{prefix}-nlb-target-type": "ip",
            f"{prefix}-scheme": "internal" if internal else "internet-facing",
            # IP targets see the NLB's address unless client IP preservation is on; with it
            # Traefik sees (and forwards) the client's own address, which no pod can forge
            # the way it could a proxy-protocol header.
            f"{prefix}-target-group-attributes": "preserve_client_ip.enabled=true",
            # Always explicit: the controller only changes attributes the annotation names,
            # so turning protection off must say `false`.
            f"{prefix}-attributes": f"deletion_protection.enabled={protection}",
        }
    if cloud == "gcp" and internal:
        return {"networking.gke.io/load-balancer-type": "Internal"}
    return {}


def namespace_labels(cloud: str) -> dict[str, str]:
    """Labels of the ingress namespace: readiness gates for NLB targets on EKS."""
    return {READINESS_GATE_LABEL: "enabled"} if cloud == "aws" else {}
