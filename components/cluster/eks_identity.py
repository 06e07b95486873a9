"""IAM for EKS: trust policies, and binding Kubernetes service accounts to IAM roles.

EKS Pod Identity is the default binding: the role trusts the Pod Identity service, scoped by
the session tags it sets (cluster ARN, namespace, service account) to exactly one service
account of one cluster. IRSA (web identity through the cluster's OIDC provider) is there for
charts that only support it; its trust is scoped by the token's `sub` and `aud` claims.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from kube_platform.components.cluster.base import WorkloadIdentity, WorkloadIdentityRequest

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
STS_AUDIENCE = "sts.amazonaws.com"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
_IAM_ROLE_NAME_MAX = 64


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def managed_policy(region: str, name: str) -> str:
    return f"arn:{partition(region)}:iam::aws:policy/{name}"


def role_name(cluster_name: str, suffix: str) -> str:
    """`<cluster>-<suffix>`, shortened with a stable hash when it exceeds IAM's 64 characters."""
    full = f"{cluster_name}-{suffix}"
    if len(full) <= _IAM_ROLE_NAME_MAX:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: _IAM_ROLE_NAME_MAX - len(digest) - 1]}-{digest}"


def _policy(statement: dict[str, Any]) -> str:
    """A one-statement IAM policy document."""
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def service_trust(service: str) -> str:
    """Trust for an AWS service principal (the EKS control plane, EC2 nodes)."""
    return _policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["sts:AssumeRole", "sts:TagSession"]
            if service.startswith("eks")
            else "sts:AssumeRole",
        }
    )


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def pod_identity_trust(cluster_arn: str, namespace: str, service_account: str) -> str:
    """Trust for EKS Pod Identity, limited to one service account of one cluster."""
    return _policy(
        {
            "Sid": "EksPodIdentity",
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": account_of(cluster_arn),
                    "aws:RequestTag/eks-cluster-arn": cluster_arn,
                    "aws:RequestTag/kubernetes-namespace": namespace,
                    "aws:RequestTag/kubernetes-service-account": service_account,
                }
            },
        }
    )


def irsa_trust(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """Trust for IRSA: web identity tokens of one service account, for STS only. `issuer`
    is the OIDC issuer without `https://`."""
    return _policy(
        {
            "Sid": "EksServiceAccountWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": STS_AUDIENCE,
                }
            },
        }
    )


def bind(
    *,
    resource_name: str,
    cluster_name: str,
    eks_cluster_name: pulumi.Output[str],
    cluster_arn: pulumi.Output[str],
    oidc_provider_arn: pulumi.Output[str],
    oidc_issuer: pulumi.Output[str],
    request: WorkloadIdentityRequest,
    opts: Callable[..., pulumi.ResourceOptions],
) -> WorkloadIdentity:
    """An IAM role for `request`, bound to its service account by Pod Identity or IRSA."""
    ns, sa = request.namespace, request.service_account
    if request.aws_mechanism == "irsa":
        trust: Any = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
            lambda a: irsa_trust(a[0], a[1], ns, sa)
        )
    else:
        trust = cluster_arn.apply(lambda arn: pod_identity_trust(arn, ns, sa))
    role = aws.iam.Role(
        resource_name,
        name=role_name(cluster_name, request.name),
        description=f"{ns}/{sa} on EKS cluster {cluster_name}",
        assume_role_policy=trust,
        opts=opts(),
    )
    ready: list[pulumi.Resource] = []
    if request.aws_policy is not None:
        ready.append(
            aws.iam.RolePolicy(
                resource_name, role=role.name, policy=request.aws_policy, opts=opts()
            )
        )
    if request.aws_mechanism == "irsa":
        return WorkloadIdentity({IRSA_ANNOTATION: role.arn}, role.arn, ready=ready)
    association = aws.eks.PodIdentityAssociation(
        resource_name,
        cluster_name=eks_cluster_name,
        namespace=ns,
        service_account=sa,
        role_arn=role.arn,
        opts=opts(),
    )
    return WorkloadIdentity({}, role.arn, ready=[association, *ready])
