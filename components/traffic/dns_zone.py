"""A DNS zone the platform writes records into, on Route53 or Cloud DNS, and how to reach it:
the cluster's workload identity, or static credentials on an existing cluster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.cluster import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.validation import (
    AwsRegion,
    DomainName,
    GcpProjectId,
    KubernetesName,
    Route53ZoneId,
)

# Keys of the static credentials inside the Secrets the platform creates.
GOOGLE_KEY = "credentials.json"
AWS_SECRET_KEY = "secret-access-key"
DNS_ADMIN = "roles/dns.admin"

_Model = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
_IDENTITY_CLUSTER = {"aws": "EKS", "gcp": "GKE"}


class Route53Zone(BaseModel):
    """A Route53 hosted zone, reached through the cluster's workload identity or a key."""

    model_config = _Model

    hosted_zone_id: Route53ZoneId = Field(description="Route53 hosted zone id.")
    region: AwsRegion = Field(description="AWS region for Route53 API calls.")
    access_key_id: str | None = Field(
        None, description="Static access key id; None uses the cluster's workload identity."
    )
    # Output[str], secret.
    secret_access_key: Any = Field(None, description="Static secret access key (secret).")


class CloudDnsZone(BaseModel):
    """A Cloud DNS managed zone, reached through the cluster's workload identity or a key."""

    model_config = _Model

    project: GcpProjectId = Field(description="Project of the managed zone.")
    managed_zone: KubernetesName = Field(description="Cloud DNS managed zone name.")
    # Output[str], secret.
    service_account_key: Any = Field(
        None, description="Service account key JSON (secret); None uses workload identity."
    )


class DnsZone(BaseModel):
    """A zone cert-manager may write DNS-01 challenge records into."""

    model_config = _Model

    name: DomainName = Field(description="DNS name of the zone, e.g. `example.com`.")
    route53: Route53Zone | None = Field(None, description="The zone on Route53.")
    cloud_dns: CloudDnsZone | None = Field(None, description="The zone on Cloud DNS.")

    @model_validator(mode="after")
    def _one_provider(self) -> DnsZone:
        if (self.route53 is None) == (self.cloud_dns is None):
            raise ValueError("a DNS zone is on exactly one of route53 or cloud_dns")
        return self

    @property
    def static_credentials(self) -> bool:
        if self.route53 is not None:
            return self.route53.secret_access_key is not None
        return self.cloud_dns is not None and self.cloud_dns.service_account_key is not None

    @property
    def cloud(self) -> Literal["aws", "gcp"]:
        """The cloud whose workload identity can reach the zone."""
        return "aws" if self.route53 is not None else "gcp"

    @property
    def provider_name(self) -> str:
        return "Route53" if self.route53 is not None else "Cloud DNS"


def require_identity_cloud(cluster: Cluster, zone: DnsZone, subject: str) -> None:
    """Workload identity reaches a zone only from a cluster on the zone's own cloud."""
    if cluster.cloud != zone.cloud:
        raise ConfigurationError(
            f"{subject} through workload identity needs {_IDENTITY_CLUSTER[zone.cloud]}"
        )


def route53_policy(
    cluster: Cluster,
    zone: Route53Zone,
    *,
    record_actions: Sequence[str],
    account_actions: Sequence[str],
    follow_changes: bool = False,
) -> str:
    """Record actions on one hosted zone only; account-wide actions (zone lookups) where Route53
    has no narrower resource. ARNs use the partition of the cluster's region."""
    arn = f"arn:{partition(cluster.region)}:route53:::"
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": list(record_actions),
            "Resource": f"{arn}hostedzone/{zone.hosted_zone_id}",
        }
    ]
    if follow_changes:
        statements.append(
            {"Effect": "Allow", "Action": ["route53:GetChange"], "Resource": f"{arn}change/*"}
        )
    statements.append({"Effect": "Allow", "Action": list(account_actions), "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def bind_zone_identity(
    cluster: Cluster,
    zone: DnsZone,
    request: WorkloadIdentityRequest,
    *,
    zone_grant_name: str,
    parent: pulumi.Resource,
) -> WorkloadIdentity:
    """Bind the workload's identity; on Cloud DNS also make it admin of this one managed zone
    (the grant is part of what must exist before the workload starts)."""
    identity = cluster.bind_workload_identity(request, parent)
    if zone.cloud_dns is not None:
        identity.ready.append(
            gcp.dns.DnsManagedZoneIamMember(
                zone_grant_name,
                project=zone.cloud_dns.project,
                managed_zone=zone.cloud_dns.managed_zone,
                role=DNS_ADMIN,
                member=pulumi.Output.concat("serviceAccount:", identity.principal),
                opts=cluster.cloud_opts(parent),
            )
        )
    return identity


def credentials_secret(
    cluster: Cluster,
    zone: DnsZone,
    resource_name: str,
    *,
    secret_name: str,
    namespace: str,
    after: pulumi.Resource,
    parent: pulumi.Resource,
) -> k8s.core.v1.Secret:
    """The zone's static credentials (existing clusters) in a Secret, so charts and issuers
    reference them and they never appear in values or in plaintext in the state."""
    if zone.route53 is not None:
        data = {AWS_SECRET_KEY: zone.route53.secret_access_key}
    else:
        data = {GOOGLE_KEY: zone.cloud_dns.service_account_key}
    return k8s.core.v1.Secret(
        resource_name,
        metadata={"name": secret_name, "namespace": namespace},
        type="Opaque",
        string_data=pulumi.Output.secret(data),
        opts=cluster.child_opts(parent, depends_on=[after]),
    )
