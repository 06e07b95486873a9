"""Identities for CI: GitHub Actions assume them by OIDC in the cluster's cloud account."""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.ci import (
    GithubActionsAwsIdentity,
    GithubActionsAwsIdentityArgs,
    GithubActionsGcpIdentity,
    GithubActionsGcpIdentityArgs,
)
from kube_platform.components.cluster import Cluster
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.stacks.config import StackConfig


def build(cfg: StackConfig, cluster: Cluster, stack: str) -> dict[str, Any]:
    """The CI identities and the stack outputs the workflows' variables are set from."""
    ci = cfg.ci
    if ci is None or cluster.cloud_provider is None:
        return {}
    opts = pulumi.ResourceOptions(providers=[cluster.cloud_provider])
    name = f"{cfg.cluster_name(stack)}-ci"
    if cfg.cluster.eks is not None:
        aws = GithubActionsAwsIdentity(
            name,
            GithubActionsAwsIdentityArgs(
                github=ci.github(),
                partition=partition(cfg.cluster.eks.region),
                deploy_role_name=ci.deploy_role_name,
                preview_role_name=ci.preview_role_name,
                oidc_provider_arn=ci.aws.oidc_provider_arn,
                deploy_policy_arns=tuple(ci.aws.deploy_policy_arns),
                secrets_key_arn=ci.secrets_key,
            ),
            opts=opts,
        )
        region = cfg.cluster.eks.region
        return {
            "ciDeployRole": aws.deploy_role_arn,
            "ciPreview": {
                "stack": stack,
                "aws-role-arn": aws.preview_role_arn,
                "aws-region": region,
            },
        }
    gke = cfg.cluster.gke
    assert gke is not None  # problems() rejects ci on an existing cluster
    gcp = GithubActionsGcpIdentity(
        name,
        GithubActionsGcpIdentityArgs(
            github=ci.github(),
            project=gke.project,
            pool_id=f"github-{ci.name_stem}"[:32].rstrip("-"),
            account_prefix=f"{ci.name_stem}-ci",
            deploy_roles=tuple(ci.gcp.deploy_roles),
            state_bucket=ci.state_bucket,
            secrets_key=ci.secrets_key,
            enable_services=ci.gcp.enable_services and gke.enable_services,
        ),
        opts=opts,
    )
    return {
        "ciWorkloadIdentityProvider": gcp.workload_identity_provider,
        "ciDeployServiceAccount": gcp.deploy_service_account,
        "ciPreview": {
            "stack": stack,
            "gcp-workload-identity-provider": gcp.workload_identity_provider,
            "gcp-service-account": gcp.preview_service_account,
        },
    }
