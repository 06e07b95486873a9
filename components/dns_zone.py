"""A DNS zone the platform writes records into, on Route53 or Cloud DNS, and how to reach it:
the cluster's workload identity, or static credentials on an existing cluster."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Key of a Google service account key inside the Secrets the platform creates.
GOOGLE_KEY = "credentials.json"
DNS_ADMIN = "roles/dns.admin"

_Model = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Route53Zone(BaseModel):
    model_config = _Model

    hosted_zone_id: str = Field(description="Route53 hosted zone id.")
    region: str = Field(description="AWS region for Route53 API calls.")
    access_key_id: str | None = Field(
        None, description="Static access key id; None uses the cluster's workload identity."
    )
    # Output[str], secret.
    secret_access_key: Any = Field(None, description="Static secret access key (secret).")


class CloudDnsZone(BaseModel):
    model_config = _Model

    project: str = Field(description="Project of the managed zone.")
    managed_zone: str = Field(description="Cloud DNS managed zone name.")
    # Output[str], secret.
    service_account_key: Any = Field(
        None, description="Service account key JSON (secret); None uses workload identity."
    )


class DnsZone(BaseModel):
    """A zone cert-manager may write DNS-01 challenge records into."""

    model_config = _Model

    name: str = Field(description="DNS name of the zone, e.g. `example.com`.")
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
