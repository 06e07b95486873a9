"""An EKS cluster behind the cluster contract, secure by default.

Private API endpoint (public only with an explicit allow-list), Secrets encrypted with a
customer-managed KMS key, control-plane audit logs with retention, access entries instead of
aws-auth, managed add-ons in the order nodes need them, a node group per pool and zone through
hardened launch templates, cluster-autoscaler, and Pod Identity (or IRSA) for workloads.

With `in_cluster` off only cloud resources are built (the first phase of a deployment that
cannot reach a private endpoint yet); an optional deploy runner inside the VPC then gives the
full deployment a network path to the endpoint (it runs as an admin principal, never as the
runner's own role).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

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
    eks_deploy_runner,
    eks_deployer,
    eks_identity,
    eks_node_groups,
)
from kube_platform.components.cluster.base import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.cluster.cloud_access import exec_kubeconfig, storage_class
from kube_platform.components.cluster.eks_deploy_runner import EksDeployRunnerArgs
from kube_platform.components.cluster.eks_node_groups import EksNodeGroupArgs
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.validation import (
    AwsRegion,
    Cidr,
    EndpointCidr,
    IamPrincipalArn,
    KubernetesVersion,
    LogRetentionDays,
    Replicas,
    TransitGatewayId,
    VpnGatewayId,
    matching,
    zones_problem,
)

EksSupportType = Literal["STANDARD", "EXTENDED"]
"""What EKS does at the end of a version's standard support: upgrade, or extended support."""
DEFAULT_STORAGE_CLASS = "gp3"
DATABASE_STORAGE_CLASS = "gp3-retain"


_EKS_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
EksClusterName = matching(
    _EKS_CLUSTER_NAME,
    "is not an EKS cluster name; use at most 100 letters, digits, hyphens and underscores, "
    "starting with a letter or digit",
)


class EksClusterArgs(BaseModel):
    """What to build: the network (a created VPC or an existing one), the control plane and
    who may administer it, the node pools, and the deploy runner. Defaults are the secure
    choice: a private endpoint, a NAT gateway per zone, protection on."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    cluster_name: EksClusterName = Field(
        description="EKS cluster name; also names its AWS resources."
    )
    region: AwsRegion = Field(description="AWS region, e.g. `eu-west-1`.")
    zones: tuple[str, ...] = Field(
        description=f"Availability zones of `region`, two to {aws_network.MAX_ZONES}."
    )
    kubernetes_version: KubernetesVersion = Field(
        versions.KUBERNETES_DEFAULT,
        description="Kubernetes minor version; one with pinned add-on versions.",
    )
    vpc_cidr: Cidr = Field(
        "10.0.0.0/16",
        description=f"CIDR of a created VPC, a /{aws_network.LARGEST_VPC_PREFIX} to "
        f"/{aws_network.SMALLEST_VPC_PREFIX}.",
    )
    service_cidr: Cidr = Field("172.20.0.0/16", description="Kubernetes Service CIDR.")
    vpc_id: str | None = Field(None, description="Existing VPC id; no VPC is created.")
    private_subnet_ids: tuple[str, ...] = Field(
        (), description="Existing private subnets, one per zone in the order of `zones`."
    )
    public_subnet_ids: tuple[str, ...] = Field((), description="Existing public subnets.")
    nat_per_zone: bool = Field(True, description="A NAT gateway per zone instead of one.")
    public_access_cidrs: tuple[EndpointCidr, ...] = Field(
        (), description="CIDRs allowed on the public endpoint; empty keeps it off."
    )
    private_access_cidrs: tuple[Cidr, ...] | None = Field(
        None,
        description="CIDRs allowed on the private endpoint (443). None: the created VPC's CIDR. "
        "Those outside a created VPC are routed through the transit or VPN gateway.",
    )
    transit_gateway_id: TransitGatewayId | None = Field(
        None, description="Transit gateway that carries the networks outside a created VPC."
    )
    vpn_gateway_id: VpnGatewayId | None = Field(
        None, description="Virtual private gateway that carries them instead."
    )
    admin_principals: tuple[IamPrincipalArn, ...] = Field(
        (),
        description="IAM role or user ARNs with cluster admin (access entries). The creator of "
        "the cluster gets none implicitly, so list the identity that deploys.",
    )
    support_type: EksSupportType = Field(
        "STANDARD",
        description="At the end of standard support: upgrade (STANDARD) or stay on extended "
        "support at an extra charge (EXTENDED).",
    )
    deploy_runner: EksDeployRunnerArgs | None = Field(
        None, description="A CodeBuild-hosted GitHub Actions runner in the private subnets."
    )
    in_cluster: bool = Field(
        True,
        description="Install what runs in the cluster (StorageClasses, cluster-autoscaler) "
        "through the Kubernetes API; off, only cloud resources are built and the cluster has "
        "no Kubernetes provider.",
    )
    log_retention_days: LogRetentionDays = Field(
        90, description="Control-plane log retention in days, a period CloudWatch accepts."
    )
    kms_deletion_window_days: int = Field(
        30, ge=7, le=30, description="Waiting period before the Secrets key is deleted."
    )
    protect: bool = Field(True, description="Deletion protection and Pulumi `protect`.")
    node_groups: tuple[EksNodeGroupArgs, ...] = Field(
        min_length=1, description="Node pools: a managed node group per pool and zone."
    )
    autoscaler_replicas: Replicas = Field(1, description="cluster-autoscaler replicas.")
    autoscaler_resources: Resources = Field(
        eks_autoscaler.DEFAULT_RESOURCES, description="cluster-autoscaler requests."
    )
    tags: dict[str, str] = Field({}, description="Tags on every AWS resource that takes them.")

    @field_validator("kubernetes_version")
    @classmethod
    def _pinned_addons(cls, value: str) -> str:
        problem = eks_addons.version_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        problem = aws_network.vpc_size_problem(ipaddress.IPv4Network(value))
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _zones_of_region(self) -> EksClusterArgs:
        problem = zones_problem("aws", self.region, self.zones, maximum=aws_network.MAX_ZONES)
        if problem is not None:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _network_source(self) -> EksClusterArgs:
        if self.vpc_id and len(self.private_subnet_ids) != len(self.zones):
            raise ValueError("an existing VPC needs one private subnet id per zone")
        if self.vpc_id and (self.transit_gateway_id or self.vpn_gateway_id):
            raise ValueError("routes to other networks are set up only in a created VPC")
        if self.transit_gateway_id and self.vpn_gateway_id:
            raise ValueError("set transit_gateway_id or vpn_gateway_id, not both")
        if self.routed_cidrs and not (self.transit_gateway_id or self.vpn_gateway_id):
            raise ValueError(
                f"private access CIDRs {list(self.routed_cidrs)} lie outside the VPC and "
                "nothing routes them there; give a transit or VPN gateway"
            )
        for group in self.node_groups:
            problem = eks_node_groups.zones_size_problem(group.max_size, len(self.zones))
            if problem is not None:
                raise ValueError(f"node group {group.name}: {problem}")
        return self

    @property
    def routed_cidrs(self) -> tuple[str, ...]:
        """Private access CIDRs outside a created VPC, which need a route into it."""
        if self.vpc_id or not self.private_access_cidrs:
            return ()
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        return tuple(
            c for c in self.private_access_cidrs if not ipaddress.IPv4Network(c).subnet_of(vpc)
        )


class EksCluster(Cluster):
    """A new EKS cluster behind the `Cluster` contract, with its VPC, node groups, add-ons,
    cluster-autoscaler and (optionally) a deploy runner inside the VPC.

    Outputs: the contract's `provider`, `kubeconfig` (secret, `aws eks get-token`),
    `cluster_name`, `endpoint`, `zones`, `region`, `kubernetes_version`, `cloud_provider`
    (the `aws.Provider` of the cluster's region) and `database_storage_class` (`gp3-retain`),
    and:

    - `arn`: the cluster's ARN.
    - `vpc_id`: the VPC the cluster runs in (created or given).
    - `oidc_issuer`: the cluster's OIDC issuer without `https://`, as IAM conditions use it.
    - `oidc_provider_arn`: the IAM OIDC provider for IRSA.
    - `node_groups`: the managed node groups, one per pool and zone.
    - `deploy_runner_label`: the `runs-on` label of jobs on the deploy runner, or None.

    `bind_workload_identity` gives a Kubernetes service account an IAM role through EKS Pod
    Identity (or IRSA where a chart needs it).
    """

    cloud = "aws"

    vpc_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    """The OIDC issuer without `https://`, as IAM condition keys use it."""
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Build the cluster `name` (the prefix of every child's name) from `args`.

        With `args.in_cluster` on, the deploying identity must be one of
        `args.admin_principals`: it is checked before anything is created. `opts` applies to
        the component itself (e.g. `protect`, `aliases`).
        """
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

        if args.in_cluster:
            # Before anything exists: whoever deploys must be able to reach the API later. The
            # cloud phase installs nothing in the cluster, so any identity may run it.
            eks_deployer.verify_deployer(self.cloud_provider, args.admin_principals)

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
        zone_subnets = list(zip(args.zones, network.private_subnet_ids, strict=True))
        node_groups = [
            group
            for pool in args.node_groups
            for group in eks_node_groups.create_node_groups(
                name,
                pool,
                cluster_name=args.cluster_name,
                eks_cluster_name=eks.name,
                kubernetes_version=args.kubernetes_version,
                node_role_arn=role.arn,
                zone_subnets=zone_subnets,
                region=args.region,
                tags=args.tags,
                depends_on=[*early, *role_policies, *network.egress],
                opts=opts_,
            )
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
        self.deploy_runner_label: str | None = None
        if args.deploy_runner is not None:
            runner = eks_deploy_runner.create_deploy_runner(
                name,
                args.deploy_runner,
                cluster_name=args.cluster_name,
                region=args.region,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                cluster_security_group_id=eks.vpc_config.cluster_security_group_id,
                log_retention_days=args.log_retention_days,
                tags=args.tags,
                opts=opts_,
            )
            self.deploy_runner_label = runner.label
        self.workload_dependencies = [*node_groups, *early, *late.addons, *control.admin_access]

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(eks.name, eks.endpoint, eks.certificate_authority.data).apply(
                lambda a: aws_kubeconfig(a[0], a[1], a[2], args.region)
            )
        )
        self.database_storage_class = DATABASE_STORAGE_CLASS
        autoscaler = eks_autoscaler.autoscaler_identity(self, args.cluster_name)
        if args.in_cluster:
            self.provider = k8s.Provider(
                f"{name}-k8s",
                kubeconfig=self.kubeconfig,
                enable_server_side_apply=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._storage_classes(name)
            eks_autoscaler.install_autoscaler(
                self,
                name,
                autoscaler,
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
                "deployRunnerLabel": self.deploy_runner_label,
            }
        )

    @staticmethod
    def _network(name: str, args: EksClusterArgs, opts_) -> aws_network.Network:
        if args.vpc_id:
            return aws_network.existing_network(
                args.vpc_id, args.private_subnet_ids, args.public_subnet_ids
            )
        routed = (
            aws_network.RoutedNetworks(
                args.routed_cidrs, args.transit_gateway_id, args.vpn_gateway_id
            )
            if args.routed_cidrs
            else None
        )
        return aws_network.create_network(
            name,
            cluster_name=args.cluster_name,
            vpc_cidr=args.vpc_cidr,
            zones=args.zones,
            region=args.region,
            nat_per_zone=args.nat_per_zone,
            routed=routed,
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
