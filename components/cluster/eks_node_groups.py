"""EKS managed node groups: one per pool and zone, each pool through its own launch template.

A pool gets a node group in every zone, not one group across the zones: cluster-autoscaler
cannot choose the zone an Auto Scaling group launches into, so a pod pinned to a zone by its
volume (a Postgres instance on EBS) could stay Pending behind a multi-zone group. Per-zone
groups of a pool are alike but for their zone, and `--balance-similar-node-groups` spreads
scale-ups across them. A pool's sizes are totals, split across its zones.

The launch template carries what the node group API cannot: IMDSv2 with a hop limit of 1 (pods
cannot reach the node's instance credentials), an encrypted gp3 root volume, and no SSH key.
The desired size is set once; afterwards cluster-autoscaler owns it, so `pulumi up` never
scales a group back to its initial size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.cluster import aws_instances, eks_identity
from kube_platform.components.cluster.pools import (
    DiskSizeGb,
    MaxNodes,
    NodeCount,
    NodePoolName,
    Taint,
)

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
)
ROOT_DEVICE = "/dev/xvda"  # AL2023 AMIs boot from this device


class EksNodeGroupArgs(BaseModel):
    """One pool of nodes: a managed node group per zone of the cluster, all from one launch
    template. Sizes are totals across the zones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: NodePoolName = Field(description="Pool name, unique in the cluster.")
    instance_types: tuple[str, ...] = Field(
        min_length=1, description="EC2 instance types, all of one architecture and accelerator."
    )
    ami_type: aws_instances.AmiType | None = Field(
        None,
        description="AL2023 AMI type; None picks it from the instance types (standard, NVIDIA "
        "or Neuron; x86_64 or arm64).",
    )
    spot: bool = Field(False, description="Spot capacity instead of on-demand.")
    min_size: NodeCount = Field(1, description="Fewest nodes the autoscaler keeps (all zones).")
    max_size: MaxNodes = Field(3, description="Most nodes the autoscaler adds (all zones).")
    initial_size: NodeCount = Field(
        1, description="Nodes at creation (all zones); then the autoscaler's."
    )
    disk_size_gb: DiskSizeGb = Field(50, description="Encrypted gp3 root volume size in GiB.")
    labels: dict[str, str] = Field({}, description="Kubernetes node labels.")
    taints: tuple[Taint, ...] = Field((), description="Kubernetes node taints.")
    max_unavailable: int = Field(1, ge=1, description="Nodes replaced at once on updates.")

    @model_validator(mode="after")
    def _bounds(self) -> EksNodeGroupArgs:
        if not self.min_size <= self.initial_size <= self.max_size:
            raise ValueError("initial_size must lie within min_size..max_size")
        problem = aws_instances.image_problem(self.instance_types, self.ami_type)
        if problem is not None:
            raise ValueError(problem)
        return self


def zones_size_problem(max_size: int, zones: int) -> str | None:
    """Why a pool of at most `max_size` nodes cannot have a node group in each of `zones`
    zones, or None."""
    if max_size >= zones:
        return None
    return (
        "EKS runs a node group per zone for each pool, and each needs room for a node; raise "
        f"the pool's maximum size to at least {zones} (the number of zones)"
    )


def zone_share(total: int, zones: int, index: int) -> int:
    """The part of `total` nodes that zone number `index` of `zones` gets: an even split, the
    first zones taking the remainder. Shares keep min <= desired <= max in every zone."""
    return total // zones + (1 if index < total % zones else 0)


def node_role(
    name: str, cluster_name: str, region: str, opts: Callable[..., pulumi.ResourceOptions]
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    role = aws.iam.Role(
        f"{name}-node-role",
        name=eks_identity.role_name(cluster_name, "node"),
        assume_role_policy=eks_identity.service_trust("ec2.amazonaws.com"),
        opts=opts(),
    )
    attachments: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}",
            role=role.name,
            policy_arn=eks_identity.managed_policy(region, policy),
            opts=opts(),
        )
        for policy in NODE_POLICIES
    ]
    return role, attachments


def create_node_groups(
    name: str,
    spec: EksNodeGroupArgs,
    *,
    cluster_name: str,
    eks_cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    node_role_arn: pulumi.Input[str],
    zone_subnets: Sequence[tuple[str, pulumi.Input[str]]],
    region: str,
    tags: dict[str, str],
    depends_on: Sequence[pulumi.Resource],
    opts: Callable[..., pulumi.ResourceOptions],
) -> list[aws.eks.NodeGroup]:
    """The pool's launch template and one node group per (zone, private subnet)."""
    template = _launch_template(name, spec, cluster_name, tags, opts)
    zones = len(zone_subnets)
    return [
        aws.eks.NodeGroup(
            f"{name}-{spec.name}-{zone}",
            cluster_name=eks_cluster_name,
            # A prefix, not a fixed name: a change that forces a new group (instance types,
            # capacity type) creates the replacement before deleting the old one.
            node_group_name_prefix=f"{spec.name}-{zone.removeprefix(region) or zone}-",
            version=kubernetes_version,
            node_role_arn=node_role_arn,
            subnet_ids=[subnet_id],
            ami_type=aws_instances.ami_type(spec.instance_types, spec.ami_type),
            capacity_type="SPOT" if spec.spot else "ON_DEMAND",
            instance_types=list(spec.instance_types),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=zone_share(spec.initial_size, zones, i),
                min_size=zone_share(spec.min_size, zones, i),
                max_size=zone_share(spec.max_size, zones, i),
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=spec.max_unavailable),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=spec.labels or None,
            taints=[
                aws.eks.NodeGroupTaintArgs(
                    key=taint.key, value=taint.value or None, effect=taint.cloud_effect
                )
                for taint in spec.taints
            ]
            or None,
            # EKS tags the groups' Auto Scaling groups for cluster-autoscaler discovery as well.
            tags={
                **tags,
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
            },
            opts=opts(
                depends_on=list(depends_on),
                # The autoscaler owns the desired size after creation. Pulumi still sends the
                # whole scaling config on other changes, with the desired size from state, so
                # the project refreshes state before every update (Pulumi.yaml).
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
        for i, (zone, subnet_id) in enumerate(zone_subnets)
    ]


def _launch_template(
    name: str,
    spec: EksNodeGroupArgs,
    cluster_name: str,
    tags: dict[str, str],
    opts: Callable[..., pulumi.ResourceOptions],
) -> aws.ec2.LaunchTemplate:
    node_tags = {**tags, "Name": f"{cluster_name}-{spec.name}"}
    return aws.ec2.LaunchTemplate(
        f"{name}-{spec.name}",
        name=f"{cluster_name}-{spec.name}",
        description=f"Nodes of pool {spec.name} in EKS cluster {cluster_name}",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=1,
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=spec.disk_size_gb,
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=node_tags)
            for kind in ("instance", "volume")
        ],
        update_default_version=True,
        tags=tags,
        opts=opts(),
    )
