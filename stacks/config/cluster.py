"""The cluster (existing, EKS or GKE), its node pools, and their cross-key checks."""

from __future__ import annotations

import ipaddress
import re
from itertools import combinations
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from kube_platform.components import versions
from kube_platform.components.ci.github import GithubRepositoryName
from kube_platform.components.cluster import aws_instances, aws_network, eks_addons, eks_node_groups
from kube_platform.components.cluster.eks import EksSupportType
from kube_platform.components.cluster.eks_deploy_runner import DEPLOY_WORKFLOW
from kube_platform.components.cluster.gke import (
    DatabaseDiskType,
    GkeReleaseChannel,
    KeyRotationDays,
    cluster_name_problem,
)
from kube_platform.components.cluster.pools import (
    POOL_NAME_MAX,
    DiskSizeGb,
    MaxNodes,
    NodeCount,
    NodePoolName,
    TaintEffect,
)
from kube_platform.components.validation import (
    AwsRegion,
    CidrNetwork,
    EndpointCidrNetwork,
    GcpProjectId,
    GcpRegion,
    IamPrincipalArn,
    KubernetesName,
    KubernetesVersion,
    LogRetentionDays,
    TransitGatewayId,
    VpnGatewayId,
    matching,
    zones_problem,
)
from kube_platform.stacks.config.base import ConfigModel, Tier
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig


class ExistingClusterConfig(ConfigModel):
    """A cluster reached through a kubeconfig. With no source given, the provider uses
    `$KUBECONFIG` or `~/.kube/config` and its current context."""

    context: str | None = Field(None, description="Kubeconfig context, e.g. `kind-platform`.")
    kubeconfig_path: str | None = Field(None, description="Path of a kubeconfig file.")
    kubeconfig: SecretValue | None = Field(
        None, description="Kubeconfig content (secret; `pulumi config set --secret`)."
    )
    zones: list[str] = Field([], description="Zones the nodes span, if known.")
    database_storage_class: str = Field(
        "standard",
        description="StorageClass for database volumes; use one with `reclaimPolicy: Retain`.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> ExistingClusterConfig:
        if self.kubeconfig is not None and self.kubeconfig_path is not None:
            raise ValueError("kubeconfig and kubeconfigPath are both set; keep one of them")
        return self


def _zones_of(cloud: Literal["aws", "gcp"], region: str | None, zones: list[str], **kw) -> None:
    """Raise the zones' problem; with no valid region there is nothing to check them against."""
    problem = zones_problem(cloud, region, zones, **kw) if region is not None else None
    if problem is not None:
        raise ValueError(problem)


_ConnectionArn = matching(
    re.compile(
        r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:"
        r"connection/[\w-]+$"
    ),
    "is not a CodeConnections connection ARN; copy the ARN of an available GitHub connection "
    "from `aws codeconnections list-connections`",
)
_GitHubRepository = GithubRepositoryName


class EksNetworkConfig(ConfigModel):
    """The VPC: created (give `vpcCidr`) or existing (give `vpcId` and subnet ids)."""

    vpc_cidr: CidrNetwork = Field(
        ipaddress.IPv4Network("10.0.0.0/16"), description="CIDR of a new VPC."
    )
    service_cidr: CidrNetwork = Field(
        ipaddress.IPv4Network("172.20.0.0/16"),
        description="Kubernetes Service CIDR; must not overlap the VPC.",
    )
    vpc_id: str | None = Field(None, description="Existing VPC id; skips creating a VPC.")
    private_subnet_ids: list[str] = Field(
        [],
        description="Existing private subnet ids for nodes and the control plane, one per zone "
        "in the order of `zones`. Tag them `kubernetes.io/role/internal-elb: 1`.",
    )
    public_subnet_ids: list[str] = Field(
        [],
        description="Existing public subnet ids for internet-facing load balancers. Tag them "
        "`kubernetes.io/role/elb: 1`.",
    )
    private_access_cidrs: list[CidrNetwork] = Field(
        [],
        description="Networks (VPN, office, CI runners; inside or routed to the VPC) allowed "
        "to reach the private API endpoint on port 443. Default: the VPC CIDR of a created "
        "VPC; none for an existing VPC. In a created VPC, networks outside it are routed "
        "through `transitGatewayId` or `vpnGatewayId`.",
    )
    transit_gateway_id: TransitGatewayId | None = Field(
        None,
        description="Transit gateway (`tgw-...`) that carries the `privateAccessCidrs` outside "
        "a created VPC: the VPC is attached to it and its private subnets route those "
        "networks through it.",
    )
    vpn_gateway_id: VpnGatewayId | None = Field(
        None,
        description="Virtual private gateway (`vgw-...`) that carries them instead: attached "
        "to the created VPC, with routes for those networks in its private subnets.",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        problem = aws_network.vpc_size_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _existing_or_new(self) -> EksNetworkConfig:
        if self.vpc_id and len(self.private_subnet_ids) < 2:
            raise ValueError(
                "vpcId is set but privateSubnetIds has fewer than two subnets; list the "
                "private subnets (one per zone) the nodes should use"
            )
        if not self.vpc_id and (self.private_subnet_ids or self.public_subnet_ids):
            raise ValueError("subnet ids are set without vpcId; set vpcId too")
        if self.vpc_id and (self.transit_gateway_id or self.vpn_gateway_id):
            raise ValueError(
                "transitGatewayId and vpnGatewayId route networks into a VPC the platform "
                "creates; route them into an existing VPC where it is managed, and remove them"
            )
        if self.transit_gateway_id and self.vpn_gateway_id:
            raise ValueError("transitGatewayId and vpnGatewayId are both set; keep one of them")
        return self

    def routed_cidrs(self) -> list[tuple[int, ipaddress.IPv4Network]]:
        """(index, CIDR) of the `privateAccessCidrs` outside a created VPC."""
        if self.vpc_id:
            return []
        return [
            (i, cidr)
            for i, cidr in enumerate(self.private_access_cidrs)
            if not cidr.subnet_of(self.vpc_cidr)
        ]


class EksDeployRunnerConfig(ConfigModel):
    """A GitHub Actions runner inside the VPC (a CodeBuild project in the private subnets), so
    the full deployment reaches a private API endpoint (docs/aws.md). It is a network location
    only: its role may do nothing but run the build, and a deploy job on it assumes the CI
    deploy role (`platform:ci`) by OIDC."""

    connection_arn: _ConnectionArn = Field(
        description="ARN of a CodeConnections connection to GitHub, created and approved once "
        "in the console (its status must be AVAILABLE)."
    )
    repository: _GitHubRepository = Field(
        description="GitHub repository `<owner>/<name>` whose workflow jobs the runner takes; "
        "the one in `ci.repository`."
    )
    workflow: str = Field(
        DEPLOY_WORKFLOW,
        min_length=1,
        description="Name (`name:`) of the workflow whose queued jobs start the runner "
        "(CodeBuild's `WORKFLOW_NAME` filter); jobs of a reusable workflow count under the name "
        "of the workflow that calls it. The default is the name of `.github/workflows/deploy.yml`.",
    )
    compute_type: Literal[
        "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"
    ] = Field("BUILD_GENERAL1_MEDIUM", description="CodeBuild compute type of a job.")

    @model_validator(mode="before")
    @classmethod
    def _no_policies(cls, data: object) -> object:
        if isinstance(data, dict) and ("policyArns" in data or "policy_arns" in data):
            raise ValueError(
                "policyArns is no longer accepted: the runner's role gets only what CodeBuild "
                "needs, because any workflow job of the repository can ask for the runner. Jobs "
                "on it deploy as the CI deploy role they assume by OIDC (platform:ci); remove "
                "policyArns"
            )
        return data


class EksConfig(ConfigModel):
    """An EKS cluster: its region and zones, network, endpoint access and administrators."""

    region: AwsRegion = Field(description="AWS region, e.g. `eu-west-1`.")
    zones: list[str] = Field(description="Availability zones (at least two; three recommended).")
    network: EksNetworkConfig = Field(EksNetworkConfig(), description="VPC settings.")
    public_access_cidrs: list[EndpointCidrNetwork] = Field(
        [],
        description="CIDRs allowed to reach the public API endpoint. Empty: the endpoint is "
        "private only. Not allowed in prod; never `0.0.0.0/0`.",
    )
    admin_principals: list[IamPrincipalArn] = Field(
        [],
        description="IAM role/user ARNs granted cluster admin through access entries; "
        "required. The cluster's creator gets no implicit admin, so list the identity that "
        "runs `pulumi up` (the role, not its assumed-role session) and the operators.",
    )
    support_type: EksSupportType = Field(
        "STANDARD",
        description="What EKS does when `kubernetesVersion` leaves standard support: "
        "`STANDARD` upgrades the cluster to the next version; `EXTENDED` keeps it on extended "
        "support, charged per cluster hour (the EKS API's default).",
    )
    deploy_runner: EksDeployRunnerConfig | None = Field(
        None,
        description="A GitHub Actions runner in the VPC that runs deployments of a private "
        "cluster (docs/aws.md).",
    )
    log_retention_days: LogRetentionDays = Field(
        90,
        description="Retention of control-plane logs (`api`, `audit`, `authenticator`) in "
        "CloudWatch, in days; one of the periods CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, "
        "90, 120, 150, 180, 365, ...).",
    )

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[str], info) -> list[str]:
        _zones_of("aws", info.data.get("region"), value, maximum=aws_network.MAX_ZONES)
        return value


class GkeNetworkConfig(ConfigModel):
    """The VPC network: created (CIDRs below) or existing (give `network` and `subnetwork`)."""

    node_cidr: CidrNetwork = Field(
        ipaddress.IPv4Network("10.0.0.0/20"), description="Node subnet."
    )
    pod_cidr: CidrNetwork = Field(
        ipaddress.IPv4Network("10.16.0.0/14"), description="Secondary range for pods."
    )
    service_cidr: CidrNetwork = Field(
        ipaddress.IPv4Network("10.20.0.0/20"), description="Secondary range for Services."
    )
    network: str | None = Field(None, description="Existing VPC network self-link or name.")
    subnetwork: str | None = Field(None, description="Existing subnetwork self-link or name.")
    pod_range_name: str | None = Field(None, description="Existing pod secondary range name.")
    service_range_name: str | None = Field(
        None, description="Existing Service secondary range name."
    )

    @model_validator(mode="after")
    def _existing_complete(self) -> GkeNetworkConfig:
        existing = [self.network, self.subnetwork, self.pod_range_name, self.service_range_name]
        if any(existing) and not all(existing):
            raise ValueError(
                "an existing network needs network, subnetwork, podRangeName and "
                "serviceRangeName together"
            )
        return self


class GkeConfig(ConfigModel):
    """A regional GKE Standard cluster: its project, region and zones, network and who may
    use its IP endpoints."""

    project: GcpProjectId = Field(description="Google Cloud project id.")
    region: GcpRegion = Field(description="Region of the regional cluster, e.g. `europe-west1`.")
    zones: list[str] = Field(description="Zones for nodes (at least two).")
    network: GkeNetworkConfig = Field(GkeNetworkConfig(), description="Network settings.")
    authorized_networks: list[EndpointCidrNetwork] = Field(
        [],
        description="CIDRs allowed to use the IP-based endpoint. Empty: IP endpoints are off "
        "and the DNS-based endpoint (IAM-gated) is the only way in.",
    )
    release_channel: GkeReleaseChannel = Field(
        "REGULAR",
        description="GKE release channel; GKE upgrades the control plane and nodes within it "
        "(`kubernetesVersion` is the minimum).",
    )
    database_disk_type: DatabaseDiskType = Field(
        "pd-balanced",
        description="Persistent Disk type of the database StorageClass (`database-retain`).",
    )
    secrets_key_rotation_days: KeyRotationDays = Field(
        90, description="Rotation period of the KMS key that encrypts Secrets."
    )
    enable_services: bool = Field(
        True,
        description="Enable the Google APIs the platform uses (compute, container, cloudkms, "
        "iam, secretmanager, dns, storage) in the project; they stay enabled on destroy.",
    )

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[str], info) -> list[str]:
        _zones_of("gcp", info.data.get("region"), value)
        return value


class ClusterConfig(ConfigModel):
    """The Kubernetes cluster: its kind, name and version, and the section of its kind."""

    kind: Literal["existing", "eks", "gke"] = Field(
        description="Where the platform runs: `existing` (a kubeconfig), `eks` or `gke`."
    )
    name: KubernetesName | None = Field(
        None, description="Cluster name. Default: `platform-<stack>`."
    )
    kubernetes_version: KubernetesVersion = Field(
        versions.KUBERNETES_DEFAULT,
        description=f"Kubernetes minor version ({versions.KUBERNETES_MIN}-"
        f"{versions.KUBERNETES_MAX}).",
    )
    protect: bool | None = Field(
        None, description="Protect the cluster from deletion. Default: the tier's."
    )
    existing: ExistingClusterConfig | None = Field(None, description="For kind `existing`.")
    eks: EksConfig | None = Field(None, description="For kind `eks`.")
    gke: GkeConfig | None = Field(None, description="For kind `gke`.")

    @model_validator(mode="after")
    def _section_matches_kind(self) -> ClusterConfig:
        if getattr(self, self.kind) is None and self.kind != "existing":
            raise ValueError(f"kind is '{self.kind}' but the '{self.kind}' section is missing")
        others = [k for k in ("existing", "eks", "gke") if k != self.kind and getattr(self, k)]
        if others:
            raise ValueError(
                f"kind is '{self.kind}' but sections {others} are set; remove them or change kind"
            )
        return self

    @property
    def existing_or_default(self) -> ExistingClusterConfig:
        return self.existing or ExistingClusterConfig()


# --- node pools ----------------------------------------------------------------------------


class Taint(ConfigModel):
    """A Kubernetes node taint."""

    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: TaintEffect = Field(description="Taint effect.")


class NodePoolConfig(ConfigModel):
    """A node pool: an EKS managed node group per zone, or a GKE node pool. Sizes are totals
    across the cluster's zones."""

    name: NodePoolName = Field(
        description=f"Pool name, unique in the stack, at most {POOL_NAME_MAX} characters."
    )
    instance_types: list[str] = Field(
        min_length=1,
        description="Instance (EKS) or machine (GKE, exactly one) types, e.g. `m7i.large`. On "
        "EKS all of one architecture and accelerator (NVIDIA, Neuron or none).",
    )
    ami_type: aws_instances.AmiType | None = Field(
        None,
        description="EKS node image. Default: from the instance types (NVIDIA GPU types get "
        "the NVIDIA image, Inferentia and Trainium the Neuron image, Graviton the arm64 one).",
    )
    capacity: Literal["on-demand", "spot"] = Field("on-demand", description="Capacity type.")
    min_size: NodeCount = Field(
        1, description="Minimum node count, across all zones. 0 lets a pool scale to zero."
    )
    max_size: MaxNodes = Field(
        3, description="Maximum node count, across all zones (on EKS at least one per zone)."
    )
    desired_size: int | None = Field(
        None,
        description="Node count at creation; afterwards the autoscaler owns it. Default: "
        "`minSize`.",
    )
    disk_size_gb: DiskSizeGb = Field(50, description="Root volume size in GiB.")
    labels: dict[str, str] = Field({}, description="Kubernetes node labels.")
    taints: list[Taint] = Field([], description="Kubernetes node taints.")

    @model_validator(mode="after")
    def _bounds(self) -> NodePoolConfig:
        if self.min_size > self.max_size:
            raise ValueError(
                f"minSize ({self.min_size}) is greater than maxSize ({self.max_size}); "
                "lower minSize or raise maxSize"
            )
        desired = self.desired_size
        if desired is not None and not self.min_size <= desired <= self.max_size:
            raise ValueError(
                f"desiredSize ({desired}) is outside minSize..maxSize "
                f"({self.min_size}..{self.max_size}); pick a value in that range"
            )
        return self

    @property
    def initial_size(self) -> int:
        """Nodes at creation: `desiredSize`, else `minSize` (so a pool of minimum 0 starts
        none)."""
        return self.desired_size if self.desired_size is not None else self.min_size


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Cluster, node pool, EKS, GKE and network problems: (key path, message) pairs."""
    return [*_cluster_problems(cfg), *_network_problems(cfg)]


def _cluster_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    cluster = cfg.cluster
    if cfg.bootstrap_phase == "cloud" and cluster.kind != "eks":
        found.append(
            (
                "bootstrapPhase",
                "the cloud phase builds an EKS cluster and its deploy runner before anything "
                f"runs in it; a cluster of kind '{cluster.kind}' needs no such phase, so remove "
                "platform:bootstrapPhase",
            )
        )
    if cluster.kind == "existing" and cfg.node_pools:
        found.append(
            (
                "nodePools",
                "node pools are set but the cluster is an existing one, whose nodes the "
                "platform does not manage; remove platform:nodePools",
            )
        )
    if cluster.kind != "existing" and not cfg.node_pools:
        found.append(("nodePools", f"a {cluster.kind} cluster needs at least one node pool"))
    if cluster.kind != "eks":
        found.extend(
            (
                f"nodePools[{i}].amiType",
                f"amiType picks an EKS node image, but the cluster is a {cluster.kind} one; "
                "remove it",
            )
            for i, pool in enumerate(cfg.node_pools)
            if pool.ami_type is not None
        )
    names = [p.name for p in cfg.node_pools]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        found.append(("nodePools", f"node pool name '{dup}' is used more than once"))
    found.extend(_eks_problems(cfg))
    found.extend(_gke_problems(cfg))
    return found


def _eks_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    eks = cfg.cluster.eks
    if cfg.cluster.kind != "eks" or eks is None:
        return []
    found: list[tuple[str, str]] = []
    version_problem = eks_addons.version_problem(cfg.cluster.kubernetes_version)
    if version_problem is not None:
        found.append(("cluster.kubernetesVersion", version_problem))
    if not eks.admin_principals:
        found.append(
            (
                "cluster.eks.adminPrincipals",
                "an EKS cluster gives its creator no implicit admin, so nobody (not even "
                "`pulumi up`) could reach the API; list the IAM role ARNs of the deployer and "
                "the operators",
            )
        )
    found.extend(_eks_pool_problems(cfg, eks))
    found.extend(_first_deploy_problems(cfg, eks))
    found.extend(_deploy_runner_problems(cfg, eks))
    return found


def _deploy_runner_problems(cfg: StackConfig, eks: EksConfig) -> list[tuple[str, str]]:
    """The runner's role has no rights of its own: a deploy job on it assumes the CI deploy
    role, which trusts only jobs of `ci.repository`'s GitHub environment."""
    runner = eks.deploy_runner
    if runner is None or cfg.ci is None:
        return []
    if runner.repository != cfg.ci.repository:
        return [
            (
                "cluster.eks.deployRunner.repository",
                f"'{runner.repository}' differs from ci.repository '{cfg.ci.repository}', "
                "whose jobs alone may assume the deploy role; the runner must take that "
                "repository's jobs, so set both to the same repository",
            )
        ]
    return []


def _eks_pool_problems(cfg: StackConfig, eks: EksConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    zones = len(eks.zones)
    net = eks.network
    if net.vpc_id and len(net.private_subnet_ids) != zones:
        found.append(
            (
                "cluster.eks.network.privateSubnetIds",
                f"{len(net.private_subnet_ids)} subnets are listed for {zones} zones; node "
                "pools get a node group per zone, so list exactly one private subnet per zone, "
                "in the order of cluster.eks.zones",
            )
        )
    for i, pool in enumerate(cfg.node_pools):
        problem = aws_instances.image_problem(pool.instance_types, pool.ami_type)
        if problem is not None:
            found.append((f"nodePools[{i}].instanceTypes", problem))
        size_problem = eks_node_groups.zones_size_problem(pool.max_size, zones)
        if size_problem is not None:
            found.append((f"nodePools[{i}].maxSize", size_problem))
    if cfg.node_pools and not any(p.initial_size for p in cfg.node_pools):
        found.append(
            (
                "nodePools",
                "no pool starts a node (every minSize is 0 and no desiredSize is set), so "
                "cluster-autoscaler and CoreDNS have nowhere to run and nothing would ever add "
                "the first node; give one pool minSize 1 or more",
            )
        )
    return found


def _first_deploy_problems(cfg: StackConfig, eks: EksConfig) -> list[tuple[str, str]]:
    """Where `pulumi up` can reach the API from. A private endpoint answers only inside the
    VPC and networks routed into it; a VPC this stack creates has nobody inside it at first.
    The Tailscale proxy runs in the cluster, so it cannot carry the deploy that installs it."""
    found: list[tuple[str, str]] = []
    net = eks.network
    gateway = net.transit_gateway_id or net.vpn_gateway_id
    routed = net.routed_cidrs()
    found.extend(
        (
            f"cluster.eks.network.privateAccessCidrs[{i}]",
            f"{cidr} lies outside the VPC ({net.vpc_cidr}) and nothing routes it there, so "
            "replies to it would leave through the NAT gateway; set "
            "cluster.eks.network.transitGatewayId or vpnGatewayId to the gateway that "
            "carries it, or remove it",
        )
        for i, cidr in routed
        if not gateway
    )
    if gateway and not routed:
        found.append(
            (
                "cluster.eks.network",
                "a transit or VPN gateway is set but no privateAccessCidrs entry lies outside "
                "the VPC, so nothing is routed through it; list the networks it carries in "
                "privateAccessCidrs, or remove the gateway",
            )
        )
    reachable_from = [
        eks.public_access_cidrs,
        routed if gateway else [],
        eks.deploy_runner,
        net.vpc_id and net.private_access_cidrs,
    ]
    if not any(reachable_from):
        tailscale = (
            " The Tailscale proxy does not count: it runs inside the cluster, so it cannot "
            "carry the deploy that installs it."
            if cfg.access.tailscale.enabled
            else ""
        )
        inside = (
            "the existing VPC admits no network (privateAccessCidrs is empty)"
            if net.vpc_id
            else "the VPC this stack creates has nothing inside it"
        )
        public = "" if cfg.tier is Tier.prod else ", or (outside prod) publicAccessCidrs"
        found.append(
            (
                "cluster.eks",
                f"the API endpoint is private and {inside}, so no `pulumi up` could reach it "
                "to install what runs in the cluster. Add deployRunner (a runner inside the "
                "VPC; deploy once with platform:bootstrapPhase cloud, then from the runner), "
                "route your network in with network.privateAccessCidrs and "
                f"network.transitGatewayId or vpnGatewayId{public}.{tailscale}",
            )
        )
    return found


def _gke_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    gke = cfg.cluster.gke
    if cfg.cluster.kind != "gke" or gke is None:
        return []
    found: list[tuple[str, str]] = []
    name_problem = cluster_name_problem(cfg.cluster.name) if cfg.cluster.name else None
    if name_problem is not None:
        found.append(("cluster.name", name_problem))
    for i, pool in enumerate(cfg.node_pools):
        if len(pool.instance_types) > 1:
            found.append(
                (
                    f"nodePools[{i}].instanceTypes",
                    f"a GKE node pool takes exactly one machine type, but "
                    f"{len(pool.instance_types)} are listed {pool.instance_types}; keep "
                    "one, or make one pool per machine type",
                )
            )
        found.extend(
            (
                f"nodePools[{i}].instanceTypes",
                f"'{t}' is an EC2 instance type; GKE takes a Compute Engine machine type "
                "such as 'e2-standard-4'",
            )
            for t in pool.instance_types
            if "." in t
        )
        started = -(-pool.initial_size // len(gke.zones)) * len(gke.zones)
        if started > pool.max_size:
            found.append(
                (
                    f"nodePools[{i}]",
                    f"GKE starts the same number of nodes in each of the {len(gke.zones)} "
                    f"zones, so this pool starts with {started} nodes, above maxSize "
                    f"({pool.max_size}); raise maxSize to at least {started} or list "
                    "fewer zones",
                )
            )
    if cfg.tier is Tier.prod:
        found.extend(
            (
                f"cluster.gke.authorizedNetworks[{i}]",
                f"{cidr} is a public range, which would open an IP endpoint of a prod "
                "cluster to the internet; reach prod through the DNS-based endpoint, or "
                "list only private ranges (VPN, peered networks)",
            )
            for i, cidr in enumerate(gke.authorized_networks)
            if cidr.is_global
        )
    return found


def _network_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    cluster = cfg.cluster
    found: list[tuple[str, str]] = []
    ranges: dict[str, ipaddress.IPv4Network] = {}
    if cluster.eks is not None:
        net = cluster.eks.network
        if not net.vpc_id:
            ranges["cluster.eks.network.vpcCidr"] = net.vpc_cidr
        ranges["cluster.eks.network.serviceCidr"] = net.service_cidr
        if cfg.tier is Tier.prod and cluster.eks.public_access_cidrs:
            found.append(
                (
                    "cluster.eks.publicAccessCidrs",
                    "prod clusters keep the API endpoint private; remove "
                    "publicAccessCidrs and reach the API through the private access path",
                )
            )
        if cfg.tier is Tier.prod:
            found.extend(
                (
                    f"cluster.eks.network.privateAccessCidrs[{i}]",
                    f"{cidr} lets every network routed into the VPC reach the API endpoint of "
                    "a prod cluster; list only the VPC and the VPN or peered ranges that need it",
                )
                for i, cidr in enumerate(net.private_access_cidrs)
                if cidr.prefixlen == 0
            )
    if cluster.gke is not None:
        net = cluster.gke.network
        if not net.network:
            ranges["cluster.gke.network.nodeCidr"] = net.node_cidr
            ranges["cluster.gke.network.podCidr"] = net.pod_cidr
            ranges["cluster.gke.network.serviceCidr"] = net.service_cidr
    found.extend(
        (b, f"{ranges[b]} overlaps {a} ({ranges[a]}); pick ranges that do not overlap")
        for a, b in combinations(ranges, 2)
        if ranges[a].overlaps(ranges[b])
    )
    return found
