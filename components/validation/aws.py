"""Identifiers AWS accepts: regions, IAM ARNs, gateway ids, hosted zones, log retention."""

from __future__ import annotations

import re

from kube_platform.components.validation.core import checked_after, matching

AWS_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
IAM_PRINCIPAL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/\S+$")
IAM_ROLE_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]+)$"
)
_POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/\S+$")
_TRANSIT_GATEWAY_RE = re.compile(r"^tgw-[0-9a-f]{8,17}$")
_VPN_GATEWAY_RE = re.compile(r"^vgw-[0-9a-f]{8,17}$")
_HOSTED_ZONE_RE = re.compile(r"^Z[A-Z0-9]{1,32}$")
# The retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - days))
        raise ValueError(
            f"CloudWatch Logs cannot keep logs for {days} days; use one of its periods, "
            f"e.g. {nearest}"
        )
    return days


AwsRegion = matching(AWS_REGION_RE, "is not an AWS region; use a region code such as 'eu-west-1'")
"""An AWS region code such as `eu-west-1`."""
IamPrincipalArn = matching(
    IAM_PRINCIPAL_ARN_RE,
    "is not an IAM role or user ARN; use e.g. 'arn:aws:iam::<account>:role/<name>'",
)
"""The ARN of an IAM role or user (not an assumed-role session)."""
IamPolicyArn = matching(
    _POLICY_ARN_RE,
    "is not an IAM managed policy ARN; use one such as "
    "'arn:aws:iam::aws:policy/AdministratorAccess' or one of your account's policies",
)
"""The ARN of an AWS or customer managed IAM policy."""
TransitGatewayId = matching(
    _TRANSIT_GATEWAY_RE,
    "is not a transit gateway id; use the id shown by `aws ec2 describe-transit-gateways`, "
    "such as 'tgw-0123456789abcdef0'",
)
"""A transit gateway id, `tgw-...`."""
VpnGatewayId = matching(
    _VPN_GATEWAY_RE,
    "is not a virtual private gateway id; use the id shown by `aws ec2 describe-vpn-gateways`, "
    "such as 'vgw-0123456789abcdef0'",
)
"""A virtual private gateway id, `vgw-...`."""
Route53ZoneId = matching(
    _HOSTED_ZONE_RE,
    "is not a Route53 hosted zone id; use the id shown by `aws route53 list-hosted-zones`, "
    "such as 'Z0123456789ABCDEFGHIJ' (without the '/hostedzone/' prefix)",
)
"""A Route53 hosted zone id, without the `/hostedzone/` prefix."""
LogRetentionDays = checked_after(_log_retention)
"""Days CloudWatch Logs keeps a log group's events: one of `LOG_RETENTION_DAYS`."""
