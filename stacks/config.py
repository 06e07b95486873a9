"""StackConfig: the typed, validated mirror of `Pulumi.<stack>.yaml`.

One top-level config key per concern (`platform:cluster`, `platform:nodePools`, ...). Models are
frozen and reject unknown keys. `tier` supplies defaults for protection, high availability and
backups; a stack file overrides them key by key. Cross-key checks live in `StackConfig.problems`
so that the loader can report every problem at once.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from itertools import combinations
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components import versions
from stacks.types import (
    Cidr,
    DomainName,
    Email,
    KubernetesVersion,
    Name,
    SecretInput,
    SecretValue,
    holds_model,
    is_secret_annotation,
    unwrap_secrets,
)

PROJECT = "platform"


class ConfigModel(BaseModel):
    """Base of every config model: frozen, camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_encrypted_plain_fields(cls, data: Any) -> Any:
        # Any value may be stored encrypted; only secret-typed fields keep the marker, and
        # nested models unwrap their own fields.
        if not isinstance(data, dict):
            return data
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        unwrapped = {}
        for key, value in data.items():
            field = fields.get(key)
            if field is None or is_secret_annotation(field.annotation):
                unwrapped[key] = value
            elif holds_model(field.annotation):
                unwrapped[key] = value.value if isinstance(value, SecretInput) else value
            else:
                unwrapped[key] = unwrap_secrets(value)
        return unwrapped


class Tier(StrEnum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


class TierDefaults(BaseModel):
    """What a tier decides unless the stack file says otherwise."""

    model_config = ConfigDict(frozen=True)

    protect: bool
    high_availability: bool
    backups: bool
    postgres_instances: int


TIER_DEFAULTS: dict[Tier, TierDefaults] = {
    Tier.dev: TierDefaults(
        protect=False, high_availability=False, backups=False, postgres_instances=1
    ),
    Tier.staging: TierDefaults(
        protect=True, high_availability=False, backups=True, postgres_instances=2
    ),
    Tier.prod: TierDefaults(
        protect=True, high_availability=True, backups=True, postgres_instances=3
    ),
}


# --- cluster -------------------------------------------------------------------------------


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


_AWS_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_GCP_REGION_RE = re.compile(r"^[a-z]+-[a-z]+\d+$")


def _check_zones(region: str, zones: list[str], example: str) -> list[str]:
    if len(zones) < 2:
        raise ValueError(
            f"zones lists {len(zones)} zone(s); list at least two zones of {region}, e.g. {example}"
        )
    foreign = [z for z in zones if not z.startswith(region) or z == region]
    if foreign:
        raise ValueError(f"zones {foreign} are not zones of region {region}")
    if len(set(zones)) != len(zones):
        raise ValueError("zones lists a zone more than once")
    return zones


class EksNetworkConfig(ConfigModel):
    """The VPC: created (give `vpcCidr`) or existing (give `vpcId` and subnet ids)."""

    vpc_cidr: Cidr = Field(ipaddress.IPv4Network("10.0.0.0/16"), description="CIDR of a new VPC.")
    service_cidr: Cidr = Field(
        ipaddress.IPv4Network("172.20.0.0/16"),
        description="Kubernetes Service CIDR; must not overlap the VPC.",
    )
    vpc_id: str | None = Field(None, description="Existing VPC id; skips creating a VPC.")
    private_subnet_ids: list[str] = Field([], description="Existing private subnet ids.")
    public_subnet_ids: list[str] = Field([], description="Existing public subnet ids.")

    @model_validator(mode="after")
    def _existing_or_new(self) -> EksNetworkConfig:
        if self.vpc_id and len(self.private_subnet_ids) < 2:
            raise ValueError(
                "vpcId is set but privateSubnetIds has fewer than two subnets; list the "
                "private subnets (one per zone) the nodes should use"
            )
        if not self.vpc_id and (self.private_subnet_ids or self.public_subnet_ids):
            raise ValueError("subnet ids are set without vpcId; set vpcId too")
        return self


class EksConfig(ConfigModel):
    region: str = Field(description="AWS region, e.g. `eu-west-1`.")
    zones: list[str] = Field(description="Availability zones (at least two; three recommended).")
    network: EksNetworkConfig = Field(EksNetworkConfig(), description="VPC settings.")
    public_access_cidrs: list[Cidr] = Field(
        [],
        description="CIDRs allowed to reach the public API endpoint. Empty: the endpoint is "
        "private only. Not allowed in prod; never `0.0.0.0/0`.",
    )
    admin_principals: list[str] = Field(
        [], description="IAM role/user ARNs granted cluster admin through access entries."
    )
    log_retention_days: int = Field(
        90, ge=1, description="Retention of control-plane logs in CloudWatch."
    )
    autoscaler: Literal["karpenter", "cluster-autoscaler"] = Field(
        "karpenter", description="Node autoscaler."
    )

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _AWS_REGION_RE.match(value):
            raise ValueError(
                f"'{value}' is not an AWS region; use a region code such as 'eu-west-1'"
            )
        return value

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[str], info) -> list[str]:
        region = info.data.get("region")
        if region is None:
            return value
        return _check_zones(region, value, f"['{region}a', '{region}b', '{region}c']")

    @field_validator("admin_principals")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/", v)]
        if bad:
            raise ValueError(
                f"{bad} are not IAM role or user ARNs; use 'arn:aws:iam::<account>:role/<name>'"
            )
        return value


class GkeNetworkConfig(ConfigModel):
    """The VPC network: created (CIDRs below) or existing (give `network` and `subnetwork`)."""

    node_cidr: Cidr = Field(ipaddress.IPv4Network("10.0.0.0/20"), description="Node subnet.")
    pod_cidr: Cidr = Field(
        ipaddress.IPv4Network("10.16.0.0/14"), description="Secondary range for pods."
    )
    service_cidr: Cidr = Field(
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
    project: str = Field(description="Google Cloud project id.")
    region: str = Field(description="Region of the regional cluster, e.g. `europe-west1`.")
    zones: list[str] = Field(description="Zones for nodes (at least two).")
    network: GkeNetworkConfig = Field(GkeNetworkConfig(), description="Network settings.")
    authorized_networks: list[Cidr] = Field(
        [],
        description="CIDRs allowed to use the IP-based endpoint. Empty: IP endpoints are off "
        "and the DNS-based endpoint (IAM-gated) is the only way in.",
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = Field(
        "REGULAR", description="GKE release channel."
    )

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", value):
            raise ValueError(
                f"'{value}' is not a Google Cloud project id; use the 6-30 character id "
                "(lowercase letters, digits, hyphens), not the project name or number"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _GCP_REGION_RE.match(value):
            raise ValueError(
                f"'{value}' is not a Google Cloud region; use a region such as 'europe-west1'"
            )
        return value

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[str], info) -> list[str]:
        region = info.data.get("region")
        if region is None:
            return value
        return _check_zones(region, value, f"['{region}-b', '{region}-c', '{region}-d']")


class ClusterConfig(ConfigModel):
    kind: Literal["existing", "eks", "gke"] = Field(
        description="Where the platform runs: `existing` (a kubeconfig), `eks` or `gke`."
    )
    name: Name | None = Field(None, description="Cluster name. Default: `platform-<stack>`.")
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
    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        description="Taint effect."
    )


class NodePoolConfig(ConfigModel):
    name: Name = Field(description="Pool name, unique in the stack.")
    instance_types: list[str] = Field(
        min_length=1,
        description="Instance (EKS) or machine (GKE, exactly one) types, e.g. `m7i.large`.",
    )
    capacity: Literal["on-demand", "spot"] = Field("on-demand", description="Capacity type.")
    min_size: int = Field(1, ge=0, description="Minimum node count.")
    max_size: int = Field(3, ge=1, description="Maximum node count.")
    desired_size: int | None = Field(
        None,
        description="Node count at creation; afterwards the autoscaler owns it. Default: min.",
    )
    disk_size_gb: int = Field(50, ge=20, description="Root volume size in GiB.")
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
        return self.desired_size if self.desired_size is not None else max(self.min_size, 1)


# --- traffic and certificates --------------------------------------------------------------


class IngressConfig(ConfigModel):
    domain: DomainName | None = Field(
        None, description="Platform domain; apps are served under it, e.g. `apps.example.com`."
    )
    service_type: Literal["LoadBalancer", "NodePort"] = Field(
        "LoadBalancer",
        description="Service type of the ingress controller on an existing cluster.",
    )
    internal: bool = Field(False, description="Use an internal (private) load balancer.")
    replicas: int | None = Field(
        None, ge=1, description="Ingress controller replicas. Default: 2 with HA, else 1."
    )


class CertificatesConfig(ConfigModel):
    acme_email: Email | None = Field(
        None, description="Let's Encrypt account e-mail; required for ACME issuers."
    )
    issuer: Literal["private-ca", "letsencrypt-staging", "letsencrypt"] | None = Field(
        None,
        description="Issuer of the platform certificate. Default: prod `letsencrypt`, "
        "staging `letsencrypt-staging`, dev `private-ca`.",
    )


class DnsConfig(ConfigModel):
    zone: DomainName | None = Field(
        None, description="DNS zone the platform manages records in (Route53 or Cloud DNS)."
    )


# --- databases -----------------------------------------------------------------------------


class DatabaseConfig(ConfigModel):
    """One Postgres cluster (CloudNativePG)."""

    name: Name = Field(description="Postgres cluster name, unique in the stack.")


# --- secrets -------------------------------------------------------------------------------


class SecretsConfig(ConfigModel):
    """External Secrets, SOPS and secret replication."""


# --- private access ------------------------------------------------------------------------


class AccessConfig(ConfigModel):
    """Private access to the cluster API and the namespace baseline."""


# --- the stack -----------------------------------------------------------------------------


class StackConfig(ConfigModel):
    """Everything a stack file says, under the `platform:` namespace."""

    tier: Tier = Field(description="`dev`, `staging` or `prod`; decides the defaults below.")
    protect: bool | None = Field(
        None,
        description="Protect stateful resources (clusters, keys, buckets, databases) from "
        "deletion. Default: off in dev, on in staging and prod.",
    )
    high_availability: bool | None = Field(
        None,
        description="Run platform services with replicas spread across zones. Default: on "
        "in prod only.",
    )
    cluster: ClusterConfig = Field(description="The Kubernetes cluster.")
    node_pools: list[NodePoolConfig] = Field([], description="Node pools (EKS and GKE only).")
    ingress: IngressConfig = Field(IngressConfig(), description="Ingress settings.")
    certificates: CertificatesConfig = Field(
        CertificatesConfig(), description="Certificate settings."
    )
    dns: DnsConfig = Field(DnsConfig(), description="DNS settings.")
    databases: list[DatabaseConfig] = Field([], description="Postgres clusters.")
    secrets: SecretsConfig = Field(SecretsConfig(), description="Secret management.")
    access: AccessConfig = Field(AccessConfig(), description="Private access and baseline.")

    @property
    def defaults(self) -> TierDefaults:
        return TIER_DEFAULTS[self.tier]

    @property
    def protect_stateful(self) -> bool:
        return self.defaults.protect if self.protect is None else self.protect

    @property
    def ha(self) -> bool:
        if self.high_availability is None:
            return self.defaults.high_availability
        return self.high_availability

    def cluster_name(self, stack: str) -> str:
        return self.cluster.name or f"{PROJECT}-{stack}"

    def problems(self) -> list[tuple[str, str]]:
        """Checks across keys: (key path, message) pairs; empty when the stack is sound."""
        return [
            *self._cluster_problems(),
            *self._network_problems(),
            *self._traffic_problems(),
            *self._database_problems(),
            *self._secrets_problems(),
            *self._access_problems(),
        ]

    def _cluster_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        cluster = self.cluster
        if cluster.kind == "existing" and self.node_pools:
            found.append(
                (
                    "nodePools",
                    "node pools are set but the cluster is an existing one, whose nodes the "
                    "platform does not manage; remove platform:nodePools",
                )
            )
        if cluster.kind != "existing" and not self.node_pools:
            found.append(("nodePools", f"a {cluster.kind} cluster needs at least one node pool"))
        names = [p.name for p in self.node_pools]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            found.append(("nodePools", f"node pool name '{dup}' is used more than once"))
        return found

    def _traffic_problems(self) -> list[tuple[str, str]]:
        return []

    def _database_problems(self) -> list[tuple[str, str]]:
        return []

    def _secrets_problems(self) -> list[tuple[str, str]]:
        return []

    def _access_problems(self) -> list[tuple[str, str]]:
        return []

    def _network_problems(self) -> list[tuple[str, str]]:
        cluster = self.cluster
        found: list[tuple[str, str]] = []
        ranges: dict[str, ipaddress.IPv4Network] = {}
        endpoint_cidrs: dict[str, list[ipaddress.IPv4Network]] = {}
        if cluster.eks is not None:
            net = cluster.eks.network
            if not net.vpc_id:
                ranges["cluster.eks.network.vpcCidr"] = net.vpc_cidr
            ranges["cluster.eks.network.serviceCidr"] = net.service_cidr
            endpoint_cidrs["cluster.eks.publicAccessCidrs"] = cluster.eks.public_access_cidrs
            if self.tier is Tier.prod and cluster.eks.public_access_cidrs:
                found.append(
                    (
                        "cluster.eks.publicAccessCidrs",
                        "prod clusters keep the API endpoint private; remove "
                        "publicAccessCidrs and reach the API through the private access path",
                    )
                )
        if cluster.gke is not None:
            net = cluster.gke.network
            if not net.network:
                ranges["cluster.gke.network.nodeCidr"] = net.node_cidr
                ranges["cluster.gke.network.podCidr"] = net.pod_cidr
                ranges["cluster.gke.network.serviceCidr"] = net.service_cidr
            endpoint_cidrs["cluster.gke.authorizedNetworks"] = cluster.gke.authorized_networks
        for path, cidrs in endpoint_cidrs.items():
            found.extend(
                (
                    f"{path}[{i}]",
                    f"{cidr} opens the API endpoint to the whole internet; list only the "
                    "networks that need it, or leave the list empty",
                )
                for i, cidr in enumerate(cidrs)
                if cidr.prefixlen == 0
            )
        found.extend(
            (b, f"{ranges[b]} overlaps {a} ({ranges[a]}); pick ranges that do not overlap")
            for a, b in combinations(ranges, 2)
            if ranges[a].overlaps(ranges[b])
        )
        return found
