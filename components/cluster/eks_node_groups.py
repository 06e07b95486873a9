"""EKS managed node groups, each through its own launch template.

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

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
)
TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
ROOT_DEVICE = "/dev/xvda"  # AL2023 AMIs boot from this device


class EksNodeGroupArgs(BaseModel):
    """One managed node group."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Node group name, unique in the cluster.")
    instance_types: tuple[str, ...] = Field(
        min_length=1, description="EC2 instance types, all of one architecture."
    )
    spot: bool = Field(False, description="Spot capacity instead of on-demand.")
    min_size: int = Field(1, ge=0, description="Fewest nodes the autoscaler keeps.")
    max_size: int = Field(3, ge=1, description="Most nodes the autoscaler adds.")
    initial_size: int = Field(1, ge=0, description="Nodes at creation; then the autoscaler's.")
    disk_size_gb: int = Field(50, ge=20, description="Encrypted gp3 root volume size in GiB.")
    labels: dict[str, str] = Field({}, description="Kubernetes node labels.")
    taints: tuple[tuple[str, str, str], ...] = Field(
        (), description="(key, value, effect) with Kubernetes effects such as `NoSchedule`."
    )
    max_unavailable: int = Field(1, ge=1, description="Nodes replaced at once on updates.")

    @model_validator(mode="after")
    def _bounds(self) -> EksNodeGroupArgs:
        if not self.min_size <= self.initial_size <= self.max_size:
            raise ValueError("initial_size must lie within min_size..max_size")
        return self


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


def create_node_group(
    name: str,
    spec: EksNodeGroupArgs,
    *,
    cluster_name: str,
    eks_cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    node_role_arn: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    tags: dict[str, str],
    depends_on: Sequence[pulumi.Resource],
    opts: Callable[..., pulumi.ResourceOptions],
) -> aws.eks.NodeGroup:
    resource = f"{name}-{spec.name}"
    node_tags = {**tags, "Name": f"{cluster_name}-{spec.name}"}
    template = aws.ec2.LaunchTemplate(
        resource,
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
    return aws.eks.NodeGroup(
        resource,
        cluster_name=eks_cluster_name,
        # A prefix, not a fixed name: a change that forces a new group (instance types,
        # capacity type) creates the replacement before deleting the old one.
        node_group_name_prefix=f"{spec.name}-",
        version=kubernetes_version,
        node_role_arn=node_role_arn,
        subnet_ids=list(subnet_ids),
        ami_type=aws_instances.ami_type(spec.instance_types),
        capacity_type="SPOT" if spec.spot else "ON_DEMAND",
        instance_types=list(spec.instance_types),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str)
        ),
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            desired_size=spec.initial_size, min_size=spec.min_size, max_size=spec.max_size
        ),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=spec.max_unavailable),
        node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
        labels=spec.labels or None,
        taints=[
            aws.eks.NodeGroupTaintArgs(key=k, value=v or None, effect=TAINT_EFFECTS[e])
            for k, v, e in spec.taints
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
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
