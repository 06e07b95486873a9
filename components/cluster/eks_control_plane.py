"""The EKS control plane: its IAM role, Secrets encryption key, audit logs, the cluster itself,
and who may administer it (access entries in API authentication mode)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from kube_platform.components.cluster import eks_identity

if TYPE_CHECKING:
    from kube_platform.components.cluster.eks import EksClusterArgs

LOG_TYPES = ["api", "audit", "authenticator"]
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


@dataclass
class ControlPlane:
    cluster: aws.eks.Cluster
    key: aws.kms.Key
    # Access entries with their policies; nothing may talk to the API before they exist.
    admin_access: list[pulumi.Resource]


def create_control_plane(
    name: str,
    args: EksClusterArgs,
    *,
    private_access_cidrs: Sequence[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    opts: Callable[..., pulumi.ResourceOptions],
) -> ControlPlane:
    """`private_access_cidrs` may reach the private endpoint: the configured networks, or the
    created VPC's CIDR."""
    role = aws.iam.Role(
        f"{name}-cluster-role",
        name=eks_identity.role_name(args.cluster_name, "cluster"),
        assume_role_policy=eks_identity.service_trust("eks.amazonaws.com"),
        tags=args.tags,
        opts=opts(),
    )
    role_policy = aws.iam.RolePolicyAttachment(
        f"{name}-cluster-role-policy",
        role=role.name,
        policy_arn=eks_identity.managed_policy(args.region, "AmazonEKSClusterPolicy"),
        opts=opts(),
    )

    key = aws.kms.Key(
        f"{name}-secrets-key",
        description=f"Envelope encryption of Kubernetes Secrets in EKS cluster {args.cluster_name}",
        enable_key_rotation=True,
        deletion_window_in_days=args.kms_deletion_window_days,
        tags=args.tags,
        opts=opts(protect=args.protect),
    )
    aws.kms.Alias(
        f"{name}-secrets-key",
        name=f"alias/eks/{args.cluster_name}-secrets",
        target_key_id=key.key_id,
        opts=opts(),
    )

    # EKS writes to this exact group; creating it first gives it a retention period instead
    # of the never-expiring group EKS would create itself.
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/eks/{args.cluster_name}/cluster",
        retention_in_days=args.log_retention_days,
        tags=args.tags,
        opts=opts(),
    )

    public = list(args.public_access_cidrs)
    cluster = aws.eks.Cluster(
        f"{name}-eks",
        name=args.cluster_name,
        version=args.kubernetes_version,
        role_arn=role.arn,
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=list(subnet_ids),
            endpoint_private_access=True,
            endpoint_public_access=bool(public),
            public_access_cidrs=public or None,
        ),
        kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
            service_ipv4_cidr=args.service_cidr, ip_family="ipv4"
        ),
        encryption_config=aws.eks.ClusterEncryptionConfigArgs(
            provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            resources=["secrets"],
        ),
        enabled_cluster_log_types=LOG_TYPES,
        access_config=aws.eks.ClusterAccessConfigArgs(
            authentication_mode="API",
            # Never: EKS would create an access entry for the creating identity, and the
            # access entry of the same principal in `admin_principals` then fails with 409.
            bootstrap_cluster_creator_admin_permissions=False,
        ),
        # The platform installs vpc-cni, kube-proxy and CoreDNS as managed add-ons itself.
        bootstrap_self_managed_addons=False,
        # Without it EKS defaults to EXTENDED: a version past standard support stays, at an
        # extra charge per cluster hour.
        upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.support_type),
        deletion_protection=args.protect,
        tags=args.tags,
        opts=opts(
            protect=args.protect,
            depends_on=[log_group, role_policy],
            # The flag only acts at creation and changing it replaces the cluster: a cluster
            # created with creator admin keeps its creator's access entry instead.
            ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"],
        ),
    )

    # The private endpoint answers only inside the VPC; these networks may reach it.
    security_group_id = cluster.vpc_config.cluster_security_group_id
    for cidr in private_access_cidrs:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-api-from-{cidr.replace('/', '-')}",
            security_group_id=security_group_id,
            description="Kubernetes API over the private endpoint",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=cidr,
            opts=opts(),
        )

    admin_access = [
        grant_admin(name, _principal_slug(p), cluster.name, p, args.region, opts)
        for p in args.admin_principals
    ]
    return ControlPlane(cluster=cluster, key=key, admin_access=admin_access)


def grant_admin(
    name: str,
    slug: str,
    cluster_name: pulumi.Input[str],
    principal_arn: pulumi.Input[str],
    region: str,
    opts: Callable[..., pulumi.ResourceOptions],
) -> pulumi.Resource:
    """An access entry with cluster admin for `principal_arn`; returns the policy association,
    which exists only once the entry does."""
    entry = aws.eks.AccessEntry(
        f"{name}-admin-{slug}",
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        type="STANDARD",
        opts=opts(),
    )
    return aws.eks.AccessPolicyAssociation(
        f"{name}-admin-{slug}",
        cluster_name=cluster_name,
        principal_arn=entry.principal_arn,
        policy_arn=f"arn:{eks_identity.partition(region)}:eks::aws:"
        f"cluster-access-policy/{ADMIN_POLICY}",
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        opts=opts(),
    )


def _principal_slug(arn: str) -> str:
    """`role-<name>` / `user-<name>` from an IAM ARN: stable when the list is reordered."""
    kind, _, path = arn.split(":", 5)[5].partition("/")
    return f"{kind}-{re.sub(r'[^A-Za-z0-9-]+', '-', path.rsplit('/', 1)[-1])}"
