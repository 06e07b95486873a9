"""The VPC an EKS cluster runs in: created across the cluster's zones, or an existing one.

A created VPC has, per zone, a private subnet for nodes and pods (the VPC CNI gives pods VPC
addresses, so these are large) and a small public subnet for internet-facing load balancers
and the NAT gateways. Private subnets reach the internet through a NAT gateway per zone when
`nat_per_zone` (a zone outage then cuts no other zone off), else through one shared gateway,
and S3 through a gateway endpoint (no NAT data processing charge for backups and image
layers). Networks outside the VPC that must reach it (a VPN, an office) are routed through a
transit gateway or a virtual private gateway, so replies to them do not leave through NAT.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# Private subnets take one eighth of the VPC each (up to six zones); the last eighth is split
# into eight public subnets.
_PRIVATE_SPLIT = 3
_PUBLIC_SPLIT = 3
MAX_ZONES = 2**_PRIVATE_SPLIT - 2
"""Zones a created VPC has subnet room for."""
# AWS allows no VPC larger than a /16; below a /22 the zones' subnets get too small.
LARGEST_VPC_PREFIX = 16
SMALLEST_VPC_PREFIX = 22


def vpc_size_problem(vpc_cidr: ipaddress.IPv4Network) -> str | None:
    """Why a created VPC of `vpc_cidr` cannot hold the subnet plan, or None."""
    if LARGEST_VPC_PREFIX <= vpc_cidr.prefixlen <= SMALLEST_VPC_PREFIX:
        return None
    return (
        f"{vpc_cidr} is a /{vpc_cidr.prefixlen}; use a /{LARGEST_VPC_PREFIX} to "
        f"/{SMALLEST_VPC_PREFIX} so every zone gets a private node subnet (pods take VPC "
        "addresses) and a public subnet"
    )


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    private_cidr: str
    public_cidr: str


def plan_subnets(vpc_cidr: str, zones: Sequence[str]) -> list[SubnetPlan]:
    """Deterministic subnet CIDRs per zone, so adding a zone never renumbers the others."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    slots = list(vpc.subnets(prefixlen_diff=_PRIVATE_SPLIT))
    public = list(slots[-1].subnets(prefixlen_diff=_PUBLIC_SPLIT))
    if len(zones) > len(slots) - 2:
        raise ValueError(f"{vpc_cidr} has subnet room for {len(slots) - 2} zones")
    return [SubnetPlan(zone, str(slots[i]), str(public[i])) for i, zone in enumerate(zones)]


@dataclass(frozen=True)
class RoutedNetworks:
    """Networks outside the VPC and the gateway that carries them: exactly one of
    `transit_gateway_id` and `vpn_gateway_id`."""

    cidrs: tuple[str, ...]
    transit_gateway_id: str | None = None
    vpn_gateway_id: str | None = None


@dataclass
class Network:
    vpc_id: pulumi.Output[str]
    # One per zone, in the order of the zones.
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    # The VPC CIDR when the platform created the VPC; None for an existing VPC.
    vpc_cidr: str | None
    # NAT gateways and routes; node groups wait for them so nodes can pull images.
    egress: list[pulumi.Resource]


def existing_network(
    vpc_id: str, private_subnet_ids: Sequence[str], public_subnet_ids: Sequence[str]
) -> Network:
    return Network(
        vpc_id=pulumi.Output.from_input(vpc_id),
        private_subnet_ids=[pulumi.Output.from_input(s) for s in private_subnet_ids],
        public_subnet_ids=[pulumi.Output.from_input(s) for s in public_subnet_ids],
        vpc_cidr=None,
        egress=[],
    )


def create_network(
    name: str,
    *,
    cluster_name: str,
    vpc_cidr: str,
    zones: Sequence[str],
    region: str,
    nat_per_zone: bool,
    routed: RoutedNetworks | None,
    tags: dict[str, str],
    opts: Callable[..., pulumi.ResourceOptions],
) -> Network:
    """A VPC across `zones`; `opts(**kwargs)` gives each resource its parent and provider."""
    ownership = {f"kubernetes.io/cluster/{cluster_name}": "owned"}

    def tagged(suffix: str, **extra: str) -> dict[str, str]:
        return {**tags, "Name": f"{cluster_name}-{suffix}", **extra}

    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=vpc_cidr,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags=tagged("vpc"),
        opts=opts(),
    )
    # The default security group of a new VPC allows all traffic between its members; nothing
    # should use it, so it carries no rules at all.
    aws.ec2.DefaultSecurityGroup(
        f"{name}-default-sg", vpc_id=vpc.id, tags=tagged("default-deny"), opts=opts()
    )
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tagged("igw"), opts=opts())
    public_rt = aws.ec2.RouteTable(
        f"{name}-public-rt", vpc_id=vpc.id, tags=tagged("public"), opts=opts()
    )
    public_route = aws.ec2.Route(
        f"{name}-public-default",
        route_table_id=public_rt.id,
        destination_cidr_block="0.0.0.0/0",
        gateway_id=igw.id,
        opts=opts(),
    )

    def subnet_in(zone: str, kind: str, cidr: str, load_balancer_role: str) -> aws.ec2.Subnet:
        """A subnet tagged so load balancer controllers find it for `load_balancer_role`."""
        return aws.ec2.Subnet(
            f"{name}-{kind}-{zone}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            # Load balancers get public addresses explicitly; instances never do.
            map_public_ip_on_launch=False,
            tags=tagged(f"{kind}-{zone}", **ownership, **{load_balancer_role: "1"}),
            opts=opts(),
        )

    plans = plan_subnets(vpc_cidr, zones)
    private_route_tables: list[aws.ec2.RouteTable] = []
    public_subnets: list[aws.ec2.Subnet] = []
    private_subnets: list[aws.ec2.Subnet] = []
    egress: list[pulumi.Resource] = [public_route]
    for plan in plans:
        subnet = subnet_in(plan.zone, "public", plan.public_cidr, "kubernetes.io/role/elb")
        aws.ec2.RouteTableAssociation(
            f"{name}-public-{plan.zone}",
            subnet_id=subnet.id,
            route_table_id=public_rt.id,
            opts=opts(),
        )
        public_subnets.append(subnet)

    nat_zones = [p.zone for p in plans] if nat_per_zone else [plans[0].zone]
    nats = {}
    for i, zone in enumerate(nat_zones):
        eip = aws.ec2.Eip(
            f"{name}-nat-{zone}", domain="vpc", tags=tagged(f"nat-{zone}"), opts=opts()
        )
        nats[zone] = aws.ec2.NatGateway(
            f"{name}-nat-{zone}",
            allocation_id=eip.id,
            subnet_id=public_subnets[i].id,
            tags=tagged(f"nat-{zone}"),
            opts=opts(depends_on=[igw]),
        )

    for plan in plans:
        subnet = subnet_in(
            plan.zone, "private", plan.private_cidr, "kubernetes.io/role/internal-elb"
        )
        route_table = aws.ec2.RouteTable(
            f"{name}-private-{plan.zone}",
            vpc_id=vpc.id,
            tags=tagged(f"private-{plan.zone}"),
            opts=opts(),
        )
        nat = nats.get(plan.zone, nats[nat_zones[0]])
        egress.append(
            aws.ec2.Route(
                f"{name}-private-{plan.zone}-default",
                route_table_id=route_table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=opts(),
            )
        )
        egress.append(
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{plan.zone}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=opts(),
            )
        )
        private_subnets.append(subnet)
        private_route_tables.append(route_table)

    # S3 traffic (backups, image layers from ECR) stays off the NAT gateways.
    aws.ec2.VpcEndpoint(
        f"{name}-s3",
        vpc_id=vpc.id,
        service_name=f"com.amazonaws.{region}.s3",
        vpc_endpoint_type="Gateway",
        route_table_ids=[t.id for t in private_route_tables],
        tags=tagged("s3"),
        opts=opts(),
    )
    if routed is not None:
        _route_networks(
            name,
            routed,
            vpc_id=vpc.id,
            zones=[p.zone for p in plans],
            subnet_ids=[s.id for s in private_subnets],
            route_tables=private_route_tables,
            tags=tagged("routed"),
            opts=opts,
        )

    return Network(
        vpc_id=vpc.id,
        private_subnet_ids=[s.id for s in private_subnets],
        public_subnet_ids=[s.id for s in public_subnets],
        vpc_cidr=vpc_cidr,
        egress=egress,
    )


def _route_networks(
    name: str,
    routed: RoutedNetworks,
    *,
    vpc_id: pulumi.Output[str],
    zones: Sequence[str],
    subnet_ids: Sequence[pulumi.Output[str]],
    route_tables: Sequence[aws.ec2.RouteTable],
    tags: dict[str, str],
    opts: Callable[..., pulumi.ResourceOptions],
) -> None:
    """Attach the VPC to the gateway and route every network through it from every private
    subnet, where the nodes, the control plane's interfaces and the deploy runner live."""
    if routed.transit_gateway_id:
        attachment: pulumi.Resource = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw",
            transit_gateway_id=routed.transit_gateway_id,
            vpc_id=vpc_id,
            subnet_ids=list(subnet_ids),
            dns_support="enable",
            tags=tags,
            opts=opts(),
        )
        target = {"transit_gateway_id": routed.transit_gateway_id}
    else:
        attachment = aws.ec2.VpnGatewayAttachment(
            f"{name}-vgw", vpc_id=vpc_id, vpn_gateway_id=routed.vpn_gateway_id, opts=opts()
        )
        target = {"gateway_id": routed.vpn_gateway_id}
    for zone, table in zip(zones, route_tables, strict=True):
        for cidr in routed.cidrs:
            aws.ec2.Route(
                f"{name}-private-{zone}-to-{cidr.replace('/', '-')}",
                route_table_id=table.id,
                destination_cidr_block=cidr,
                opts=opts(depends_on=[attachment]),
                **target,
            )
