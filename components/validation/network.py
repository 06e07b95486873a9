"""IPv4 address ranges: CIDR blocks, and the ones allowed to reach an API endpoint."""

from __future__ import annotations

import ipaddress
from typing import Any

from kube_platform.components.validation.core import checked


def cidr_network(value: Any) -> ipaddress.IPv4Network:
    """`value` as an IPv4 network, or a ValueError saying how to write one."""
    if isinstance(value, ipaddress.IPv4Network):
        return value
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a valid IPv4 CIDR block ({exc}); write it as ADDRESS/PREFIX "
            "with no host bits set, such as '10.0.0.0/16'"
        ) from None


def _endpoint_network(value: Any) -> ipaddress.IPv4Network:
    network = cidr_network(value)
    if network.prefixlen == 0:
        raise ValueError(
            f"{network} opens the API endpoint to the whole internet; list only the networks "
            "that need it, or leave the list empty"
        )
    return network


CidrNetwork = checked(cidr_network, ipaddress.IPv4Network)
"""An IPv4 CIDR block with no host bits set, as an `ipaddress.IPv4Network`."""
Cidr = checked(lambda value: str(cidr_network(value)))
"""An IPv4 CIDR block with no host bits set, as a string such as `10.0.0.0/16`."""
EndpointCidrNetwork = checked(_endpoint_network, ipaddress.IPv4Network)
"""A network allowed to reach an API endpoint: any CIDR block but the whole internet."""
EndpointCidr = checked(lambda value: str(_endpoint_network(value)))
"""`EndpointCidrNetwork` as a string."""
