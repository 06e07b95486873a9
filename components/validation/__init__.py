"""Validated value types for the components' argument models.

Each type is a pydantic annotated type whose check says what is wrong and how to fix it,
without naming where the value came from: a component's args model names the field in its
`ValidationError`, and the stack configuration (`kube_platform.stacks.config`), which uses the
same types, prefixes the stack file's key path. Every rule exists once, here or next to the
one component it belongs to (node pools and taints in `cluster`, GitHub names in `ci.github`).
"""

from kube_platform.components.validation.aws import (
    AwsRegion,
    IamPolicyArn,
    IamPrincipalArn,
    LogRetentionDays,
    Route53ZoneId,
    TransitGatewayId,
    VpnGatewayId,
)
from kube_platform.components.validation.core import (
    RegularExpression,
    checked,
    checked_after,
    matching,
)
from kube_platform.components.validation.gcp import GcpMember, GcpProjectId, GcpRegion, GcpRole
from kube_platform.components.validation.git import (
    AgeRecipient,
    RefKind,
    RepositoryPath,
    ref_problem,
)
from kube_platform.components.validation.names import (
    CpuAmount,
    DomainName,
    Duration,
    Email,
    Hostname,
    KubernetesName,
    KubernetesVersion,
    MemorySize,
    PrometheusRetention,
    PrometheusSize,
    Replicas,
    StorageSize,
)
from kube_platform.components.validation.network import (
    Cidr,
    CidrNetwork,
    EndpointCidr,
    EndpointCidrNetwork,
)
from kube_platform.components.validation.postgres import (
    BackupPath,
    BackupSchedule,
    ConnectionLimit,
    EndpointUrl,
    PgIdentifier,
    PostgresMajor,
    Retention,
    S3BucketName,
    Timestamp,
)
from kube_platform.components.validation.zones import zones_problem

__all__ = [
    "AgeRecipient",
    "AwsRegion",
    "BackupPath",
    "BackupSchedule",
    "Cidr",
    "CidrNetwork",
    "ConnectionLimit",
    "CpuAmount",
    "DomainName",
    "Duration",
    "Email",
    "EndpointCidr",
    "EndpointCidrNetwork",
    "EndpointUrl",
    "GcpMember",
    "GcpProjectId",
    "GcpRegion",
    "GcpRole",
    "Hostname",
    "IamPolicyArn",
    "IamPrincipalArn",
    "KubernetesName",
    "KubernetesVersion",
    "LogRetentionDays",
    "MemorySize",
    "PgIdentifier",
    "PostgresMajor",
    "PrometheusRetention",
    "PrometheusSize",
    "RefKind",
    "RegularExpression",
    "Replicas",
    "RepositoryPath",
    "Retention",
    "Route53ZoneId",
    "S3BucketName",
    "StorageSize",
    "Timestamp",
    "TransitGatewayId",
    "VpnGatewayId",
    "checked",
    "checked_after",
    "matching",
    "ref_problem",
    "zones_problem",
]
