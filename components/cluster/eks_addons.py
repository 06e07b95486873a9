"""EKS managed add-ons, in the order nodes need them.

With `bootstrap_self_managed_addons` off, nothing but these add-ons puts pod networking or
kube-proxy on a node. The VPC CNI's `aws-node` reaches the API server through the `kubernetes`
Service's ClusterIP, which works only once kube-proxy has written its rules on the node; without
both a node never turns Ready and the node group fails its health check. So `vpc-cni`,
`kube-proxy` and `eks-pod-identity-agent` (workload credentials) come before any node: they are
DaemonSets, which an add-on reports ACTIVE with no node at all. CoreDNS and the EBS CSI
controller are Deployments that need nodes to turn ACTIVE, so they come after the node groups.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kube_platform.components import versions as platform_versions
from kube_platform.components.cluster import eks_identity

EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
AFTER_NODES = ("coredns", "aws-ebs-csi-driver")

# Add-on settings the platform sets (each add-on's own configuration schema).
_CONFIGURATION = {
    # Enforce Kubernetes NetworkPolicy with the VPC CNI's eBPF agent.
    "vpc-cni": {"enableNetworkPolicy": "true"},
}


def _addon(
    name: str,
    addon: str,
    version: str,
    cluster_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    **kwargs,
) -> aws.eks.Addon:
    config = _CONFIGURATION.get(addon)
    return aws.eks.Addon(
        f"{name}-{addon}",
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=version,
        configuration_values=json.dumps(config) if config else None,
        # The platform owns these add-ons: its settings win over manual edits.
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=opts,
        **kwargs,
    )


def before_nodes(
    name: str,
    versions: dict[str, str],
    cluster_name: pulumi.Input[str],
    opts: Callable[..., pulumi.ResourceOptions],
) -> list[aws.eks.Addon]:
    return [_addon(name, a, versions[a], cluster_name, opts()) for a in BEFORE_NODES]


def version_problem(kubernetes_version: str) -> str | None:
    """Why a cluster at `kubernetes_version` has no pinned add-on versions, or None."""
    if kubernetes_version in platform_versions.EKS_ADDONS_BY_MINOR:
        return None
    pinned = ", ".join(sorted(platform_versions.EKS_ADDONS_BY_MINOR))
    return (
        f"EKS add-on versions are pinned for Kubernetes {pinned}, not {kubernetes_version}; "
        "pick one of those"
    )


@dataclass
class AfterNodes:
    addons: list[aws.eks.Addon]
    ebs_csi: aws.eks.Addon


def after_nodes(
    name: str,
    versions: dict[str, str],
    *,
    cluster_name: pulumi.Input[str],
    eks_cluster_name: str,
    cluster_arn: pulumi.Output[str],
    region: str,
    node_groups: Sequence[pulumi.Resource],
    opts: Callable[..., pulumi.ResourceOptions],
) -> AfterNodes:
    ebs_role = aws.iam.Role(
        f"{name}-ebs-csi",
        name=eks_identity.role_name(eks_cluster_name, "ebs-csi"),
        description=f"EBS CSI controller of EKS cluster {eks_cluster_name}",
        assume_role_policy=cluster_arn.apply(
            lambda arn: eks_identity.pod_identity_trust(arn, "kube-system", EBS_CSI_SERVICE_ACCOUNT)
        ),
        opts=opts(),
    )
    ebs_policy = aws.iam.RolePolicyAttachment(
        f"{name}-ebs-csi",
        role=ebs_role.name,
        policy_arn=eks_identity.managed_policy(region, "service-role/AmazonEBSCSIDriverPolicy"),
        opts=opts(),
    )
    coredns = _addon(
        name, "coredns", versions["coredns"], cluster_name, opts(depends_on=list(node_groups))
    )
    ebs_csi = _addon(
        name,
        "aws-ebs-csi-driver",
        versions["aws-ebs-csi-driver"],
        cluster_name,
        opts(depends_on=[*node_groups, ebs_policy]),
        pod_identity_associations=[
            aws.eks.AddonPodIdentityAssociationArgs(
                role_arn=ebs_role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT
            )
        ],
    )
    return AfterNodes(addons=[coredns, ebs_csi], ebs_csi=ebs_csi)
