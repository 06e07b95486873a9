"""The VPC network a GKE cluster runs in: created, or an existing one named in the arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.validation import Cidr

POD_RANGE = "pods"
SERVICE_RANGE = "services"


class GkeNetworkArgs(BaseModel):
    """A new network from the CIDRs, or an existing one when `network` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    node_cidr: Cidr = Field("10.0.0.0/20", description="Primary range of the node subnet.")
    pod_cidr: Cidr = Field("10.16.0.0/14", description="Secondary range for pods.")
    service_cidr: Cidr = Field("10.20.0.0/20", description="Secondary range for Services.")
    network: str | None = Field(None, description="Existing VPC network self-link or name.")
    subnetwork: str | None = Field(None, description="Existing subnetwork self-link or name.")
    pod_range_name: str | None = Field(None, description="Existing pod secondary range name.")
    service_range_name: str | None = Field(
        None, description="Existing Service secondary range name."
    )

    @model_validator(mode="after")
    def _existing_complete(self) -> GkeNetworkArgs:
        existing = [self.network, self.subnetwork, self.pod_range_name, self.service_range_name]
        if any(existing) and not all(existing):
            raise ValueError(
                "an existing network needs network, subnetwork, pod_range_name and "
                "service_range_name together"
            )
        return self

    @property
    def existing(self) -> bool:
        return self.network is not None


@dataclass
class GkeNetwork:
    """What the cluster needs from its network."""

    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    pod_range_name: str
    service_range_name: str
    # Resources nodes need before they start (NAT, so private nodes can pull images).
    ready: list[pulumi.Resource] = field(default_factory=list)


def gke_network(
    name: str,
    args: GkeNetworkArgs,
    *,
    project: str,
    region: str,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    depends_on: list[pulumi.Resource],
) -> GkeNetwork:
    """The cluster's network. A new one gets a subnet with pod and Service secondary ranges,
    Private Google Access, and Cloud NAT so private nodes reach registries outside Google."""
    if args.existing:
        return GkeNetwork(
            network=args.network,
            subnetwork=args.subnetwork,
            pod_range_name=args.pod_range_name,
            service_range_name=args.service_range_name,
        )

    def opts(**kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=provider, **kwargs)

    network = gcp.compute.Network(
        f"{name}-vpc",
        project=project,
        auto_create_subnetworks=False,
        routing_mode="REGIONAL",
        description=f"Network of GKE cluster {name}.",
        opts=opts(depends_on=depends_on),
    )
    subnet = gcp.compute.Subnetwork(
        f"{name}-nodes",
        project=project,
        region=region,
        network=network.id,
        ip_cidr_range=args.node_cidr,
        private_ip_google_access=True,
        secondary_ip_ranges=[
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=POD_RANGE, ip_cidr_range=args.pod_cidr
            ),
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=SERVICE_RANGE, ip_cidr_range=args.service_cidr
            ),
        ],
        opts=opts(),
    )
    router = gcp.compute.Router(
        f"{name}-router",
        project=project,
        region=region,
        network=network.id,
        opts=opts(),
    )
    nat = gcp.compute.RouterNat(
        f"{name}-nat",
        project=project,
        region=region,
        router=router.name,
        nat_ip_allocate_option="AUTO_ONLY",
        source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
        subnetworks=[
            gcp.compute.RouterNatSubnetworkArgs(
                name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
            )
        ],
        log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
        opts=opts(),
    )
    return GkeNetwork(
        network=network.id,
        subnetwork=subnet.id,
        pod_range_name=POD_RANGE,
        service_range_name=SERVICE_RANGE,
        ready=[nat],
    )
