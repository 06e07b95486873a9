"""An EKS cluster behind the cluster contract, secure by default.

Private API endpoint (public only with an explicit allow-list), Secrets encrypted with a
customer-managed KMS key, control-plane audit logs with retention, access entries instead of
aws-auth, managed add-ons in the order nodes need them, node groups through hardened launch
templates, cluster-autoscaler, and Pod Identity (or IRSA) for workloads.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import (
    aws_network,
    eks_addons,
    eks_autoscaler,
    eks_control_plane,
    eks_identity,
    eks_node_groups,
)
from kube_platform.components.cluster.base import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.cluster.cloud_access import exec_kubeconfig, storage_class
from kube_platform.components.cluster.eks_node_groups import EksNodeGroupArgs
from kube_platform.components.kubernetes.resources import Resources

DEFAULT_STORAGE_CLASS = "gp3"
DATABASE_STORAGE_CLASS = "gp3-retain"


class EksClusterArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    cluster_name: str = Field(description="EKS cluster name; also names its AWS resources.")
    region: str = Field(description="AWS region.")
    zones: tuple[str, ...] = Field(min_length=2, description="Availability zones.")
    kubernetes_version: str = Field(
        versions.KUBERNETES_DEFAULT, description="Kubernetes minor version."
    )
    vpc_cidr: str = Field("10.0.0.0/16", description="CIDR of a created VPC.")
    service_cidr: str = Field("172.20.0.0/16", description="Kubernetes Service CIDR.")
    vpc_id: str | None = Field(None, description="Existing VPC id; no VPC is created.")
    private_subnet_ids: tuple[str, ...] = Field((), description="Existing private subnets.")
    public_subnet_ids: tuple[str, ...] = Field((), description="Existing public subnets.")
    nat_per_zone: bool = Field(True, description="A NAT gateway per zone instead of one.")
    public_access_cidrs: tuple[str, ...] = Field(
        (), description="CIDRs allowed on the public endpoint; empty keeps it off."
    )
    private_access_cidrs: tuple[str, ...] | None = Field(
        None,
        description="CIDRs allowed on the private endpoint (443). None: the created VPC's CIDR.",
    )
    admin_principals: tuple[str, ...] = Field(
        (), description="IAM principal ARNs with cluster admin (access entries)."
    )
    bootstrap_creator_admin: bool = Field(
        False, description="Whether the creating identity keeps implicit cluster admin."
    )
    log_retention_days: int = Field(90, description="Control-plane log retention in days.")
    kms_deletion_window_days: int = Field(
        30, ge=7, le=30, description="Waiting period before the Secrets key is deleted."
    )
    protect: bool = Field(True, description="Deletion protection and Pulumi `protect`.")
    node_groups: tuple[EksNodeGroupArgs, ...] = Field(
        min_length=1, description="Managed node groups."
    )
    autoscaler_replicas: int = Field(1, ge=1, description="cluster-autoscaler replicas.")
    autoscaler_resources: Resources = Field(
        eks_autoscaler.DEFAULT_RESOURCES, description="cluster-autoscaler requests."
    )
    tags: dict[str, str] = Field({}, description="Tags on every AWS resource that takes them.")

    @field_validator("public_access_cidrs")
    @classmethod
    def _no_open_endpoint(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(c.endswith("/0") for c in value):
            raise ValueError("a public access CIDR of /0 opens the API to the internet")
        return value

    @model_validator(mode="after")
    def _network_source(self) -> EksClusterArgs:
        if self.vpc_id and len(self.private_subnet_ids) < 2:
            raise ValueError("an existing VPC needs at least two private subnet ids")
        return self


class EksCluster(Cluster):
    """The cluster contract over a new EKS cluster."""

    cloud = "aws"

    vpc_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    """The OIDC issuer without `https://`, as IAM condition keys use it."""
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:EksCluster", name, None, opts)
        self.region = args.region
        self.zones = list(args.zones)
        self.kubernetes_version = args.kubernetes_version
        self._eks_name = args.cluster_name
        self.cloud_provider = aws.Provider(
            f"{name}-aws",
            region=args.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=args.tags) if args.tags else None,
            opts=pulumi.ResourceOptions(parent=self),
        )

        def opts_(**kwargs: Any) -> pulumi.ResourceOptions:
            return self.cloud_opts(self, **kwargs)

        network = self._network(name, args, opts_)
        self.vpc_id = network.vpc_id

        private_access = (
            args.private_access_cidrs
            if args.private_access_cidrs is not None
            else tuple(c for c in [network.vpc_cidr] if c)
        )
        control = eks_control_plane.create_control_plane(
            name,
            args,
            private_access_cidrs=private_access,
            subnet_ids=network.private_subnet_ids,
            opts=opts_,
        )
        eks = control.cluster
        self.eks_cluster = eks
        self.deletion_anchor = eks
        self.arn = eks.arn
        self.cluster_name = eks.name
        self.endpoint = eks.endpoint
        issuer_url = eks.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_issuer = issuer_url.apply(lambda url: url.removeprefix("https://"))
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer_url,
            client_id_lists=[eks_identity.STS_AUDIENCE],
            opts=opts_(),
        )
        self.oidc_provider_arn = oidc.arn

        addon_versions = versions.eks_addons(args.kubernetes_version)
        early = eks_addons.before_nodes(name, addon_versions, eks.name, opts_)
        role, role_policies = eks_node_groups.node_role(name, args.cluster_name, args.region, opts_)
        node_groups = [
            eks_node_groups.create_node_group(
                name,
                group,
                cluster_name=args.cluster_name,
                eks_cluster_name=eks.name,
                kubernetes_version=args.kubernetes_version,
                node_role_arn=role.arn,
                subnet_ids=network.private_subnet_ids,
                tags=args.tags,
                depends_on=[*early, *role_policies, *network.egress],
                opts=opts_,
            )
            for group in args.node_groups
        ]
        late = eks_addons.after_nodes(
            name,
            addon_versions,
            cluster_name=eks.name,
            eks_cluster_name=args.cluster_name,
            cluster_arn=eks.arn,
            region=args.region,
            node_groups=node_groups,
            opts=opts_,
        )
        self.node_groups = node_groups
        self.workload_dependencies = [
            *node_groups,
            *early,
            *late.addons,
            *control.admin_access,
        ]

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(eks.name, eks.endpoint, eks.certificate_authority.data).apply(
                lambda a: aws_kubeconfig(a[0], a[1], a[2], args.region)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self._storage_classes(name)
        self.database_storage_class = DATABASE_STORAGE_CLASS
        eks_autoscaler.install_autoscaler(
            self,
            name,
            args.cluster_name,
            args.region,
            args.autoscaler_replicas,
            args.kubernetes_version,
            args.autoscaler_resources,
        )

        self.register_outputs(
            {
                "name": self.cluster_name,
                "arn": self.arn,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "vpcId": self.vpc_id,
                "oidcIssuer": self.oidc_issuer,
                "oidcProviderArn": self.oidc_provider_arn,
            }
        )

    @staticmethod
    def _network(name: str, args: EksClusterArgs, opts_) -> aws_network.Network:
        if args.vpc_id:
            return aws_network.existing_network(
                args.vpc_id, args.private_subnet_ids, args.public_subnet_ids
            )
        return aws_network.create_network(
            name,
            cluster_name=args.cluster_name,
            vpc_cidr=args.vpc_cidr,
            zones=args.zones,
            nat_per_zone=args.nat_per_zone,
            tags=args.tags,
            opts=opts_,
        )

    def _storage_classes(self, name: str) -> None:
        """Encrypted gp3 volumes: the default class, and one that keeps volumes (databases)."""
        for class_name, reclaim, default in (
            (DEFAULT_STORAGE_CLASS, "Delete", True),
            (DATABASE_STORAGE_CLASS, "Retain", False),
        ):
            storage_class(
                self,
                f"{name}-{class_name}",
                name=class_name,
                annotations={"storageclass.kubernetes.io/is-default-class": str(default).lower()},
                provisioner="ebs.csi.aws.com",
                parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
                reclaim_policy=reclaim,
            )

    def bind_workload_identity(
        self, request: WorkloadIdentityRequest, parent: pulumi.Resource
    ) -> WorkloadIdentity:
        return eks_identity.bind(
            resource_name=f"{self._name}-{request.name}-identity",
            cluster_name=self._eks_name,
            eks_cluster_name=self.cluster_name,
            cluster_arn=self.arn,
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer=self.oidc_issuer,
            request=request,
            opts=lambda **kwargs: self.cloud_opts(parent, **kwargs),
        )


def aws_kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that fetches a short-lived token with the AWS CLI on every use."""
    return exec_kubeconfig(
        cluster_name,
        {"server": endpoint, "certificate-authority-data": ca_data},
        {
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                cluster_name,
                "--region",
                region,
                "--output",
                "json",
            ],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
        },
    )
