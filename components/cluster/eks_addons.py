"""EKS managed add-ons, in the order nodes need them.

`vpc-cni` (pod networking) and `eks-pod-identity-agent` (workload credentials) must exist before
any node joins, or the first pods start without networking or credentials. CoreDNS, kube-proxy
and the EBS CSI driver run as pods on nodes and come after the node groups.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kube_platform.components.cluster import eks_identity

EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
BEFORE_NODES = ("vpc-cni", "eks-pod-identity-agent")
AFTER_NODES = ("coredns", "kube-proxy", "aws-ebs-csi-driver")

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
    after = opts(depends_on=list(node_groups))
    coredns = _addon(name, "coredns", versions["coredns"], cluster_name, after)
    kube_proxy = _addon(name, "kube-proxy", versions["kube-proxy"], cluster_name, after)
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
    return AfterNodes(addons=[coredns, kube_proxy, ebs_csi], ebs_csi=ebs_csi)
