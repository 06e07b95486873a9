"""StackConfig: the typed, validated mirror of `Pulumi.<stack>.yaml`.

One top-level config key per concern (`platform:cluster`, `platform:nodePools`, ...). Models are
frozen and reject unknown keys. `tier` supplies defaults for protection, high availability and
backups; a stack file overrides them key by key. Cross-key checks live in `StackConfig.problems`
so that the loader can report every problem at once.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from enum import StrEnum
from itertools import combinations
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components import versions
from components.cluster import aws_instances
from stacks.types import (
    Cidr,
    DomainName,
    Email,
    KubernetesVersion,
    Name,
    SecretInput,
    SecretValue,
    holds_model,
    is_secret_field,
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
            if field is None or is_secret_field(field):
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


# GKE cluster names are at most 40 characters.
_GKE_MAX_NAME = 40
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


# The smallest VPC the EKS network plan can split into private and public subnets per zone.
_EKS_SMALLEST_VPC = 22
# Availability zones the EKS network plan has subnet room for.
_EKS_MAX_ZONES = 6
# Retention periods CloudWatch Logs accepts, in days.
_LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


class EksNetworkConfig(ConfigModel):
    """The VPC: created (give `vpcCidr`) or existing (give `vpcId` and subnet ids)."""

    vpc_cidr: Cidr = Field(ipaddress.IPv4Network("10.0.0.0/16"), description="CIDR of a new VPC.")
    service_cidr: Cidr = Field(
        ipaddress.IPv4Network("172.20.0.0/16"),
        description="Kubernetes Service CIDR; must not overlap the VPC.",
    )
    vpc_id: str | None = Field(None, description="Existing VPC id; skips creating a VPC.")
    private_subnet_ids: list[str] = Field(
        [],
        description="Existing private subnet ids (one per zone) for nodes and the control "
        "plane. Tag them `kubernetes.io/role/internal-elb: 1`.",
    )
    public_subnet_ids: list[str] = Field(
        [],
        description="Existing public subnet ids for internet-facing load balancers. Tag them "
        "`kubernetes.io/role/elb: 1`.",
    )
    private_access_cidrs: list[Cidr] = Field(
        [],
        description="Networks (VPN, tailnet subnet router, CI runners; inside or routed to the "
        "VPC) allowed to reach the private API endpoint on port 443. Default: the VPC CIDR "
        "of a created VPC; none for an existing VPC.",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if value.prefixlen > _EKS_SMALLEST_VPC or value.prefixlen < 16:
            raise ValueError(
                f"{value} is a /{value.prefixlen}; use a /16 to /{_EKS_SMALLEST_VPC} so every "
                "zone gets a private node subnet (pods take VPC addresses) and a public subnet"
            )
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
        90,
        description="Retention of control-plane logs (`api`, `audit`, `authenticator`) in "
        "CloudWatch, in days; one of the periods CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, "
        "90, 120, 150, 180, 365, ...).",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in _LOG_RETENTION_DAYS:
            nearest = min(_LOG_RETENTION_DAYS, key=lambda d: abs(d - value))
            raise ValueError(
                f"CloudWatch Logs cannot keep logs for {value} days; use one of its periods, "
                f"e.g. {nearest}"
            )
        return value

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
        if len(value) > _EKS_MAX_ZONES:
            raise ValueError(
                f"zones lists {len(value)} zones; list at most {_EKS_MAX_ZONES} (three is usual)"
            )
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
        "REGULAR",
        description="GKE release channel; GKE upgrades the control plane and nodes within it "
        "(`kubernetesVersion` is the minimum).",
    )
    database_disk_type: Literal["pd-balanced", "pd-ssd"] = Field(
        "pd-balanced",
        description="Persistent Disk type of the database StorageClass (`database-retain`).",
    )
    secrets_key_rotation_days: int = Field(
        90, ge=1, le=36500, description="Rotation period of the KMS key that encrypts Secrets."
    )
    enable_services: bool = Field(
        True,
        description="Enable the Google APIs the cluster needs (compute, container, cloudkms, "
        "iam) in the project; they stay enabled on destroy.",
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


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: f"_{m[1].lower()}", camel)


Issuer = Literal["private-ca", "letsencrypt-staging", "letsencrypt"]

TIER_ISSUERS: dict[Tier, Issuer] = {
    Tier.dev: "private-ca",
    Tier.staging: "letsencrypt-staging",
    Tier.prod: "letsencrypt",
}


class IngressConfig(ConfigModel):
    """Traefik, the platform Gateway and its load balancer."""

    domain: DomainName | None = Field(
        None,
        description="Platform domain; apps are served under it, e.g. `apps.example.com`. "
        "Without it the Gateway serves plain HTTP only and no certificate is issued.",
    )
    service_type: Literal["LoadBalancer", "NodePort"] = Field(
        "LoadBalancer",
        description="Service type of the ingress controller on an existing cluster (EKS and "
        "GKE always use a cloud load balancer).",
    )
    internal: bool = Field(
        False, description="Use an internal (private) load balancer instead of a public one."
    )
    replicas: int | None = Field(
        None, ge=1, description="Ingress controller replicas. Default: 2 with HA, else 1."
    )


class CertificatesConfig(ConfigModel):
    """cert-manager issuers and the platform certificate."""

    acme_email: Email | None = Field(
        None,
        description="Let's Encrypt account e-mail. Setting it creates the `letsencrypt` and "
        "`letsencrypt-staging` ClusterIssuers; required when one of them issues the platform "
        "certificate.",
    )
    issuer: Issuer | None = Field(
        None,
        description="Issuer of the platform certificate. Default: prod `letsencrypt`, "
        "staging `letsencrypt-staging`, dev `private-ca`.",
    )
    wildcard: bool | None = Field(
        None,
        description="Also cover `*.<domain>`. Default: on when DNS-01 is available (a DNS zone "
        "is configured) or the issuer is `private-ca`; Let's Encrypt issues wildcards only "
        "through DNS-01.",
    )

    def issuer_for(self, tier: Tier) -> Issuer:
        return self.issuer or TIER_ISSUERS[tier]


class Route53Config(ConfigModel):
    """A Route53 hosted zone. EKS clusters reach it through Pod Identity; an existing cluster
    needs an access key."""

    hosted_zone_id: str = Field(description="Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`.")
    region: str = Field(
        "us-east-1",
        description="AWS region for Route53 API calls from an existing cluster. EKS uses the "
        "cluster's region.",
    )
    access_key_id: str | None = Field(
        None, description="IAM access key id; existing clusters only (EKS uses Pod Identity)."
    )
    secret_access_key: SecretValue | None = Field(
        None, description="IAM secret access key (secret); existing clusters only."
    )

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if not re.match(r"^Z[A-Z0-9]{1,32}$", value):
            raise ValueError(
                f"'{value}' is not a Route53 hosted zone id; use the id shown by "
                "`aws route53 list-hosted-zones`, such as 'Z0123456789ABCDEFGHIJ' (without "
                "the '/hostedzone/' prefix)"
            )
        return value

    @model_validator(mode="after")
    def _key_pair(self) -> Route53Config:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("accessKeyId and secretAccessKey go together; set both or neither")
        return self


class CloudDnsConfig(ConfigModel):
    """A Cloud DNS managed zone. GKE clusters reach it through Workload Identity; an existing
    cluster needs a service account key."""

    managed_zone: Name = Field(description="Managed zone name (not its DNS name), e.g. `apps`.")
    project: str | None = Field(
        None, description="Project of the zone. Default: the GKE cluster's project."
    )
    service_account_key: SecretValue | None = Field(
        None,
        description="Service account key JSON with `roles/dns.admin` on the zone (secret); "
        "existing clusters only (GKE uses Workload Identity).",
    )


class DnsConfig(ConfigModel):
    """The DNS zone behind the platform domain: DNS-01 challenges and external-dns."""

    zone: DomainName | None = Field(
        None,
        description="DNS zone the platform manages records in, e.g. `example.com`; must "
        "contain `ingress.domain`. Enables DNS-01 (wildcard certificates) and external-dns.",
    )
    route53: Route53Config | None = Field(None, description="The zone on Route53 (EKS).")
    cloud_dns: CloudDnsConfig | None = Field(None, description="The zone on Cloud DNS (GKE).")
    external_dns: bool | None = Field(
        None, description="Run external-dns for the zone. Default: on when a zone is set."
    )
    policy: Literal["sync", "upsert-only"] | None = Field(
        None,
        description="external-dns policy. Default: `upsert-only` with HA (prod: never "
        "deletes records), `sync` otherwise.",
    )

    @property
    def credentials_given(self) -> bool:
        return bool(
            (self.route53 and self.route53.secret_access_key)
            or (self.cloud_dns and self.cloud_dns.service_account_key)
        )

    @property
    def external_dns_enabled(self) -> bool:
        return self.zone is not None and self.external_dns is not False


# --- databases -----------------------------------------------------------------------------

_PG_IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_STORAGE_SIZE_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
_MEMORY_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")
_CPU_RE = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$")
_RETENTION_RE = re.compile(r"^[1-9][0-9]*[dwm]$")
_CRON_DESCRIPTORS = {
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
}
_S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BACKUP_PATH_RE = re.compile(r"^(s3|gs)://(?P<bucket>[a-z0-9][a-z0-9._-]{1,221}[a-z0-9])(/\S*)?$")
# Roles CloudNativePG itself manages; declaring them would fight the operator.
_RESERVED_ROLES = {"postgres", "streaming_replica"}


def _pg_identifier(value: Any) -> str:
    if not isinstance(value, str) or not _PG_IDENTIFIER_RE.match(value):
        raise ValueError(
            f"{value!r} is not a Postgres name the platform accepts; use at most 63 lowercase "
            "letters, digits and underscores, starting with a letter"
        )
    return value


def _storage_size(value: Any) -> str:
    if not isinstance(value, str) or not _STORAGE_SIZE_RE.match(value):
        raise ValueError(
            f"{value!r} is not a storage size; write a Kubernetes quantity in Mi, Gi or Ti, "
            "such as '20Gi'"
        )
    return value


def _memory(value: Any) -> str:
    if not isinstance(value, str) or not _MEMORY_RE.match(value):
        raise ValueError(
            f"{value!r} is not a memory size; write a Kubernetes quantity in Mi or Gi, "
            "such as '2Gi'"
        )
    return value


def _cpu(value: Any) -> str:
    text = str(value)
    if not _CPU_RE.match(text) or text in {"0", "0.0"}:
        raise ValueError(
            f"{value!r} is not a CPU amount; write cores ('2', '0.5') or millicores ('500m')"
        )
    return text


def _backup_schedule(value: Any) -> str:
    text = str(value).strip()
    if text in _CRON_DESCRIPTORS or text.startswith("@every "):
        return text
    fields = text.split()
    if len(fields) != 6:
        raise ValueError(
            f"'{text}' has {len(fields)} fields; a backup schedule has six, seconds first "
            "(second minute hour day-of-month month day-of-week), such as '0 0 2 * * *'"
        )
    return text


def _retention(value: Any) -> str:
    if not isinstance(value, str) or not _RETENTION_RE.match(value):
        raise ValueError(
            f"{value!r} is not a retention period; write a number and d, w or m "
            "(days, weeks, months), such as '30d'"
        )
    return value


def _timestamp(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in text.upper():
        raise ValueError(
            f"'{text}' is not an RFC 3339 timestamp; write date, time and offset in quotes, "
            "such as '2026-09-30T14:05:00Z'"
        )
    return text


PgIdentifier = Annotated[str, BeforeValidator(_pg_identifier), WithJsonSchema({"type": "string"})]
StorageSize = Annotated[str, BeforeValidator(_storage_size), WithJsonSchema({"type": "string"})]
MemorySize = Annotated[str, BeforeValidator(_memory), WithJsonSchema({"type": "string"})]
CpuAmount = Annotated[str, BeforeValidator(_cpu), WithJsonSchema({"type": "string"})]
BackupSchedule = Annotated[
    str, BeforeValidator(_backup_schedule), WithJsonSchema({"type": "string"})
]
Retention = Annotated[str, BeforeValidator(_retention), WithJsonSchema({"type": "string"})]
Timestamp = Annotated[str, BeforeValidator(_timestamp), WithJsonSchema({"type": "string"})]


class PostgresStorageConfig(ConfigModel):
    """Volumes of each instance, on the cluster's retain-policy database StorageClass."""

    size: StorageSize = Field("20Gi", description="Data volume size, e.g. `20Gi`.")
    wal_size: StorageSize = Field(
        "5Gi", description="Separate WAL volume size, so a full WAL disk never fills the data."
    )


class PostgresResourcesConfig(ConfigModel):
    """Resources of each Postgres instance; memory is also the limit (no overcommit)."""

    cpu: CpuAmount = Field("500m", description="CPU request, e.g. `500m` or `2`.")
    memory: MemorySize = Field("1Gi", description="Memory request and limit, e.g. `2Gi`.")


class PostgresRoleConfig(ConfigModel):
    """A role managed in the cluster; its password is generated and kept in the Kubernetes
    Secret `<cluster>-role-<name>` (type basic-auth)."""

    name: PgIdentifier = Field(description="Role name.")
    login: bool = Field(True, description="Whether the role can log in.")
    createdb: bool = Field(False, description="Whether the role can create databases.")
    connection_limit: int = Field(-1, ge=-1, description="Connection limit; -1 is unlimited.")
    in_roles: list[PgIdentifier] = Field([], description="Roles this role is a member of.")


class PostgresDatabaseConfig(ConfigModel):
    """An extra database, created declaratively (a `Database` resource) and retained in
    Postgres when removed from config."""

    name: PgIdentifier = Field(description="Database name.")
    owner: PgIdentifier = Field(
        description="Owning role: the bootstrap owner or one of the cluster's `roles`."
    )


class S3EndpointConfig(ConfigModel):
    """An S3-compatible object store (MinIO, Ceph, a cloud bucket with keys), for backups from
    an existing cluster, which has no cloud workload identity."""

    url: str = Field(description="Endpoint URL, e.g. `https://minio.example.com:9000`.")
    bucket: str = Field(description="Bucket name; backups go under `<stack>/<cluster>/` in it.")
    # Optional in the type only so the secret marker survives validation; both are required.
    access_key_id: SecretValue | None = Field(None, description="Access key id (secret).")
    secret_access_key: SecretValue | None = Field(None, description="Secret access key (secret).")

    @model_validator(mode="after")
    def _keys(self) -> S3EndpointConfig:
        if self.access_key_id is None or self.secret_access_key is None:
            raise ValueError(
                "an endpoint needs both accessKeyId and secretAccessKey; store each with "
                "`pulumi config set --secret --path`"
            )
        return self

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(
                f"'{value}' is not an endpoint URL; write e.g. 'https://s3.example.com'"
            )
        return value

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if not _S3_BUCKET_RE.match(value):
            raise ValueError(
                f"'{value}' is not a bucket name; use 3-63 lowercase letters, digits, dots and "
                "hyphens"
            )
        return value


class PostgresBackupConfig(ConfigModel):
    """Continuous backup (WAL archive plus scheduled base backups) through the Barman Cloud
    plugin: to a bucket per cluster on EKS and GKE, to `endpoint` on an existing cluster."""

    enabled: bool | None = Field(
        None, description="Back up this cluster. Default: the tier's (off in dev, on otherwise)."
    )
    schedule: BackupSchedule = Field(
        "0 0 2 * * *",
        description="Base backup schedule: six cron fields, seconds first. Default: 02:00 daily.",
    )
    retention: Retention = Field(
        "30d", description="How far back a restore can go: `<n>d`, `<n>w` or `<n>m`."
    )
    endpoint: S3EndpointConfig | None = Field(
        None, description="Existing clusters only: the S3-compatible store to back up to."
    )


class PostgresRestoreConfig(ConfigModel):
    """Create this cluster from another cluster's backups, optionally up to a point in time.
    Read only when the cluster is first created."""

    source: Name | None = Field(
        None, description="Name of the cluster whose backups to restore (its server name)."
    )
    backup_path: str | None = Field(
        None,
        description="Where the source's backups are (`s3://bucket/<stack>/<cluster>` or "
        "`gs://...`). Default: the backup path of cluster `source` in this stack.",
    )
    target_time: Timestamp | None = Field(
        None,
        description="Recover up to this RFC 3339 time (e.g. `2026-09-30T14:05:00Z`). Default: "
        "the end of the archive.",
    )

    @field_validator("backup_path")
    @classmethod
    def _backup_path(cls, value: str | None) -> str | None:
        if value is not None and not _BACKUP_PATH_RE.match(value):
            raise ValueError(
                f"'{value}' is not a backup path; write s3://<bucket>/<path> or gs://<bucket>/<path>"
            )
        return value

    @property
    def backup_bucket(self) -> str | None:
        match = _BACKUP_PATH_RE.match(self.backup_path or "")
        return match["bucket"] if match else None


class DatabaseConfig(ConfigModel):
    """One Postgres cluster (CloudNativePG). The application connects with the Secret
    `<name>-app` in the cluster's namespace (keys `uri`, `host`, `username`, `password`, ...)."""

    name: Name = Field(
        description="Postgres cluster name, unique in the stack. Never change it: it names "
        "every resource of the cluster."
    )
    namespace: Name | None = Field(None, description="Namespace of the cluster. Default: `name`.")
    create_namespace: bool = Field(
        True, description="Create the namespace; set false when it already exists."
    )
    postgres_version: int = Field(
        versions.POSTGRES_DEFAULT_MAJOR,
        description="Postgres major version: "
        f"{', '.join(str(v) for v in versions.POSTGRES_IMAGES)} (image pinned per major).",
    )
    instances: int | None = Field(
        None,
        ge=1,
        description="Instances (one primary, the rest replicas). Default: the tier's "
        "(dev 1, staging 2, prod 3).",
    )
    allow_fewer_instances_in_prod: bool = Field(
        False,
        description="Accept fewer than three instances in prod (a zone outage can then stop "
        "the database).",
    )
    anti_affinity: Literal["required", "preferred"] | None = Field(
        None,
        description="Spread instances across zones strictly (`required`) or best effort. "
        "Default: required in prod, preferred elsewhere.",
    )
    storage: PostgresStorageConfig = Field(PostgresStorageConfig(), description="Volumes.")
    resources: PostgresResourcesConfig = Field(
        PostgresResourcesConfig(), description="Per-instance resources."
    )
    database: PgIdentifier = Field("app", description="Database created at bootstrap.")
    owner: PgIdentifier | None = Field(
        None, description="Owner of the bootstrap database. Default: `database`."
    )
    databases: list[PostgresDatabaseConfig] = Field([], description="Extra databases.")
    roles: list[PostgresRoleConfig] = Field([], description="Extra roles with generated passwords.")
    backups: PostgresBackupConfig = Field(PostgresBackupConfig(), description="Backups.")
    restore: PostgresRestoreConfig | None = Field(
        None, description="Create the cluster from another cluster's backups."
    )
    monitoring: bool = Field(
        False,
        description="Create a PodMonitor; needs the prometheus-operator CRDs in the cluster.",
    )

    @field_validator("postgres_version", mode="before")
    @classmethod
    def _major(cls, value: Any) -> int:
        supported = ", ".join(str(v) for v in versions.POSTGRES_IMAGES)
        try:
            major = int(str(value))
        except ValueError:
            major = None
        if major not in versions.POSTGRES_IMAGES:
            raise ValueError(
                f"Postgres {value} is not supported; use one of {supported} (the majors with "
                "a pinned image)"
            )
        return major

    @property
    def namespace_or_default(self) -> str:
        return self.namespace or self.name

    @property
    def owner_or_default(self) -> str:
        return self.owner or self.database


# --- secrets -------------------------------------------------------------------------------

_AWS_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_GCP_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_AWS_PRINCIPAL_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/\S+$")
_GCP_MEMBER_RE = re.compile(r"^(user|group|serviceAccount|domain):\S+$|^principal(Set)?://\S+$")


class CloudStoreConfig(ConfigModel):
    """A cloud secret manager read with static credentials, for an existing cluster (EKS and
    GKE clusters read their own cloud's secret manager through workload identity instead)."""

    provider: Literal["aws", "gcp"] = Field(
        description="`aws` (Secrets Manager) or `gcp` (Secret Manager)."
    )
    region: str | None = Field(None, description="AWS region of the secrets (aws only).")
    project: str | None = Field(None, description="Google Cloud project id (gcp only).")
    access_key_id: SecretValue | None = Field(
        None, description="AWS access key id of an IAM user scoped to the prefix (secret; aws)."
    )
    secret_access_key: SecretValue | None = Field(
        None, description="AWS secret access key (secret; aws)."
    )
    service_account_key: SecretValue | None = Field(
        None, description="JSON key of a Google service account scoped to the prefix (secret; gcp)."
    )

    @model_validator(mode="after")
    def _provider_fields(self) -> CloudStoreConfig:
        if self.provider == "aws" and not self.region:
            raise ValueError("an aws store needs region, e.g. 'eu-west-1'")
        if self.provider == "gcp" and not self.project:
            raise ValueError("a gcp store needs project, the Google Cloud project id")
        foreign = (
            ["serviceAccountKey", "project"]
            if self.provider == "aws"
            else ["accessKeyId", "secretAccessKey", "region"]
        )
        given = [k for k in foreign if getattr(self, _snake(k)) is not None]
        if given:
            raise ValueError(f"{given} do not apply to a {self.provider} store; remove them")
        return self

    @property
    def has_credentials(self) -> bool:
        if self.provider == "aws":
            return self.access_key_id is not None and self.secret_access_key is not None
        return self.service_account_key is not None


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: f"_{m[1].lower()}", camel)


class SopsConfig(ConfigModel):
    """A KMS key for SOPS-encrypted manifests in Git, decrypted in the cluster by the GitOps
    controller. Cloud clusters only."""

    enabled: bool | None = Field(
        None, description="Create the SOPS key. Default: on for EKS and GKE, off on existing."
    )
    decrypt_namespace: Name = Field(
        "flux-system", description="Namespace of the service account that decrypts manifests."
    )
    decrypt_service_account: Name = Field(
        "kustomize-controller",
        description="Service account that applies (and decrypts) manifests; the only "
        "identity allowed to decrypt.",
    )
    encrypters: list[str] = Field(
        [],
        description="Who may encrypt: IAM role/user ARNs (EKS) or IAM members such as "
        "`group:platform@example.com` (GKE). Default: nobody.",
    )
    path_regex: str = Field(
        r"\.sops\.ya?ml$", description="Files the `.sops.yaml` creation rule applies to."
    )

    @field_validator("path_regex")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"'{value}' is not a valid regular expression ({exc})") from None
        return value


class ReplicatedSecretConfig(ConfigModel):
    """One cloud secret copied into several namespaces (registry credentials, shared
    connection strings) by an External Secrets `ClusterExternalSecret`."""

    name: Name = Field(description="Name of the Kubernetes Secret in every target namespace.")
    key: str = Field(
        description="Cloud secret to copy, relative to `secrets.prefix`; a JSON object whose "
        "keys become the Secret's keys."
    )
    namespaces: list[Name] = Field([], description="Target namespaces by name.")
    namespace_labels: dict[str, str] = Field(
        {}, description="Target every namespace carrying all of these labels."
    )
    type: str | None = Field(
        None, description="Secret type, e.g. `kubernetes.io/dockerconfigjson`. Default: Opaque."
    )
    refresh_interval: str = Field("1h", description="How often the copies are refreshed.")

    @model_validator(mode="after")
    def _has_targets(self) -> ReplicatedSecretConfig:
        if not self.namespaces and not self.namespace_labels:
            raise ValueError(
                "no target namespaces; list namespaces or set namespaceLabels to select them"
            )
        return self


class SecretsConfig(ConfigModel):
    """External Secrets, SOPS and secret replication."""

    enabled: bool = Field(True, description="Install the External Secrets Operator.")
    prefix: str | None = Field(
        None,
        description="Name prefix of this stack's secrets in the cloud secret manager, "
        "including its separator; the cluster may read only secrets under it. Default: "
        "`platform/<stack>/` (AWS), `platform_<stack>_` (GCP).",
    )
    store_namespaces: list[Name] | None = Field(
        None,
        description="Namespaces allowed to use the cloud ClusterSecretStore. Default: the "
        "application namespaces (`access.namespaces`). Replication targets and the "
        "platform's own consumers are always allowed.",
    )
    store: CloudStoreConfig | None = Field(
        None, description="Existing clusters only: a cloud secret manager with static credentials."
    )
    sops: SopsConfig = Field(SopsConfig(), description="SOPS key for secrets kept in Git.")
    replicate: list[ReplicatedSecretConfig] = Field(
        [], description="Cloud secrets copied into several namespaces."
    )


# --- private access ------------------------------------------------------------------------


class TailscaleConfig(ConfigModel):
    """The Tailscale Kubernetes operator with its API server proxy (auth mode): engineers on
    the tailnet reach the API with their tailnet identity, mapped to Kubernetes RBAC."""

    enabled: bool = Field(False, description="Install the operator and its API server proxy.")
    hostname: Name | None = Field(
        None, description="Tailnet machine name of the API proxy. Default: the cluster name."
    )
    tailnet: str | None = Field(
        None, description="Tailnet DNS name, e.g. `tail1234.ts.net` (required when enabled)."
    )
    tags: list[str] = Field(
        ["tag:k8s-operator"], description="ACL tags of the operator's tailnet device."
    )
    oauth_client_id: str | None = Field(None, description="Tailscale OAuth client id.")
    oauth_client_secret: SecretValue | None = Field(
        None, description="Tailscale OAuth client secret (secret; `pulumi config set --secret`)."
    )
    oauth_secret_key: str | None = Field(
        None,
        description="Instead of oauthClientId/oauthClientSecret: a cloud secret (relative "
        'to `secrets.prefix`) holding JSON `{"client_id": ..., "client_secret": ...}`, '
        "copied into the cluster by External Secrets.",
    )

    @field_validator("tailnet")
    @classmethod
    def _tailnet(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.lower().removesuffix(".ts.net")
        if not re.match(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", name):
            raise ValueError(
                f"'{value}' is not a tailnet DNS name; copy it from the admin console's DNS "
                "page, e.g. 'tail1234.ts.net'"
            )
        return name

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not re.match(r"^tag:[A-Za-z0-9-]+$", t)]
        if bad or not value:
            raise ValueError(
                f"{bad or value} are not ACL tags; use tags such as 'tag:k8s-operator'"
            )
        return value


class AppNamespaceConfig(ConfigModel):
    """An application namespace: Pod Security `restricted`, default-deny network policy with
    DNS allowed."""

    name: Name = Field(description="Namespace name.")
    labels: dict[str, str] = Field({}, description="Extra namespace labels.")
    allow_same_namespace: bool = Field(
        True, description="Allow traffic between pods of this namespace."
    )
    allow_from_namespaces: list[Name] = Field(
        [],
        description="Namespaces whose pods may connect to this namespace (e.g. the ingress "
        "controller's).",
    )


class AccessConfig(ConfigModel):
    """Private access to the cluster API and the namespace baseline."""

    tailscale: TailscaleConfig = Field(
        TailscaleConfig(), description="Tailscale API server proxy (EKS and existing clusters)."
    )
    namespaces: list[AppNamespaceConfig] = Field(
        [], description="Application namespaces the platform creates with the baseline."
    )


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
        found.extend(self._eks_problems())
        found.extend(self._gke_problems())
        return found

    @property
    def eks_creator_admin(self) -> bool:
        """Whether the identity that creates an EKS cluster keeps implicit admin: not in prod,
        where only the access entries of `adminPrincipals` grant access."""
        return self.tier is not Tier.prod

    def _eks_problems(self) -> list[tuple[str, str]]:
        eks = self.cluster.eks
        if self.cluster.kind != "eks" or eks is None:
            return []
        found: list[tuple[str, str]] = []
        version = self.cluster.kubernetes_version
        if version not in versions.EKS_ADDONS_BY_MINOR:
            pinned = ", ".join(sorted(versions.EKS_ADDONS_BY_MINOR))
            found.append(
                (
                    "cluster.kubernetesVersion",
                    f"EKS add-on versions are pinned for Kubernetes {pinned}, not {version}; "
                    "pick one of those",
                )
            )
        if not self.eks_creator_admin and not eks.admin_principals:
            found.append(
                (
                    "cluster.eks.adminPrincipals",
                    f"a {self.tier.value} cluster gives its creator no implicit admin, so "
                    "nobody (not even `pulumi up`) could reach the API; list the IAM role ARNs "
                    "of the deployer and the operators",
                )
            )
        for i, pool in enumerate(self.node_pools):
            arches = aws_instances.architectures(pool.instance_types)
            if len(arches) > 1:
                found.append(
                    (
                        f"nodePools[{i}].instanceTypes",
                        f"{pool.instance_types} mix {' and '.join(sorted(arches))} instance "
                        "types, which need different node images; put them in separate pools",
                    )
                )
        return found

    def _traffic_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        kind = self.cluster.kind
        domain, dns, certs = self.ingress.domain, self.dns, self.certificates
        if kind != "existing" and self.ingress.service_type == "NodePort":
            found.append(
                (
                    "ingress.serviceType",
                    f"NodePort applies to existing clusters only; on {kind.upper()} the "
                    "ingress always gets a cloud load balancer (set ingress.internal for a "
                    "private one); remove ingress.serviceType",
                )
            )
        if self.ha and self.ingress.replicas == 1:
            found.append(
                (
                    "ingress.replicas",
                    "high availability needs at least 2 ingress replicas; raise "
                    "ingress.replicas or remove it (the default with HA is 2)",
                )
            )
        issuer = certs.issuer_for(self.tier)
        if (
            issuer != "private-ca"
            and certs.acme_email is None
            and (domain or certs.issuer is not None)
        ):
            found.append(
                (
                    "certificates.acmeEmail",
                    f"the platform certificate is issued by '{issuer}' (Let's Encrypt), which "
                    "needs an ACME account e-mail; set certificates.acmeEmail, or set "
                    "certificates.issuer to 'private-ca'",
                )
            )
        if certs.wildcard and issuer != "private-ca" and dns.zone is None:
            found.append(
                (
                    "certificates.wildcard",
                    f"a wildcard certificate from '{issuer}' needs the DNS-01 challenge, "
                    "which needs a DNS zone; set dns.zone (with dns.route53 or dns.cloudDns), "
                    "or set certificates.wildcard to false",
                )
            )
        if certs.wildcard and domain is None:
            found.append(
                ("certificates.wildcard", "a wildcard certificate needs ingress.domain; set it")
            )
        found += self._dns_problems()
        return found

    def _dns_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        kind, dns, domain = self.cluster.kind, self.dns, self.ingress.domain
        providers = [k for k in ("route53", "cloudDns") if getattr(dns, _snake(k)) is not None]
        if dns.zone is None:
            found += [
                (f"dns.{p}", f"dns.{p} is set without dns.zone; set the zone's DNS name")
                for p in providers
            ]
            if dns.external_dns:
                found.append(("dns.externalDns", "external-dns needs dns.zone; set it"))
            return found
        if domain is not None and not (domain == dns.zone or domain.endswith(f".{dns.zone}")):
            found.append(
                (
                    "dns.zone",
                    f"zone '{dns.zone}' does not contain ingress.domain '{domain}'; use the "
                    "zone the domain belongs to (the domain itself or a parent of it)",
                )
            )
        expected = {"eks": "route53", "gke": "cloudDns"}.get(kind)
        if len(providers) > 1:
            found.append(("dns", "dns.route53 and dns.cloudDns are both set; keep one"))
        elif expected and providers != [expected]:
            what = "hostedZoneId" if expected == "route53" else "managedZone"
            found.append(
                (
                    f"dns.{expected}",
                    f"dns.zone is set and the cluster runs on {kind.upper()}, which manages "
                    f"the zone through dns.{expected}; set dns.{expected}.{what}"
                    + (f" and remove dns.{providers[0]}" if providers else ""),
                )
            )
        elif kind == "existing" and not providers:
            found.append(
                (
                    "dns",
                    "dns.zone is set on an existing cluster; say where the zone is hosted with "
                    "dns.route53 or dns.cloudDns, including credentials",
                )
            )
        if kind == "existing" and providers and not dns.credentials_given:
            found.append(
                (
                    f"dns.{providers[0]}",
                    "DNS-01 and external-dns on an existing cluster need credentials (it has "
                    "no cloud workload identity); set "
                    + (
                        "dns.route53.accessKeyId and dns.route53.secretAccessKey (secret)"
                        if providers[0] == "route53"
                        else "dns.cloudDns.serviceAccountKey (secret)"
                    )
                    + ", or remove dns.zone",
                )
            )
        if kind != "existing" and dns.credentials_given:
            found.append(
                (
                    f"dns.{expected}",
                    "static DNS credentials are for existing clusters; on "
                    f"{kind.upper()} cert-manager and external-dns use workload identity, so "
                    "remove them",
                )
            )
        if kind == "existing" and dns.cloud_dns and dns.cloud_dns.project is None:
            found.append(
                ("dns.cloudDns.project", "an existing cluster needs the zone's project; set it")
            )
        return found

    def postgres_instances(self, db: DatabaseConfig) -> int:
        return db.instances if db.instances is not None else self.defaults.postgres_instances

    def postgres_backups(self, db: DatabaseConfig) -> bool:
        enabled = db.backups.enabled
        return self.defaults.backups if enabled is None else enabled

    def postgres_anti_affinity(self, db: DatabaseConfig) -> str:
        if db.anti_affinity is not None:
            return db.anti_affinity
        return "required" if self.tier is Tier.prod else "preferred"

    def _database_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        names = [db.name for db in self.databases]
        found.extend(
            (
                "databases",
                f"database cluster name '{dup}' is used more than once; names must be unique",
            )
            for dup in sorted({n for n in names if names.count(n) > 1})
        )
        by_name = {db.name: db for db in self.databases}
        existing = self.cluster.kind == "existing"
        zones = self._zones()
        for i, db in enumerate(self.databases):
            key = f"databases[{i}]"
            instances = self.postgres_instances(db)
            if self.tier is Tier.prod and instances < 3 and not db.allow_fewer_instances_in_prod:
                found.append(
                    (
                        f"{key}.instances",
                        f"prod runs at least three Postgres instances, one per zone, so losing a "
                        f"zone keeps the database up; {instances} is set. Raise instances to 3, or "
                        "set allowFewerInstancesInProd: true to accept the risk",
                    )
                )
            if self.postgres_anti_affinity(db) == "required" and zones and instances > len(zones):
                found.append(
                    (
                        f"{key}.instances",
                        f"{instances} instances need {instances} zones with required "
                        f"anti-affinity, but the cluster spans {len(zones)}; lower instances "
                        "or set antiAffinity: preferred",
                    )
                )
            found.extend(self._database_name_problems(key, db))
            if self.postgres_backups(db) and existing and db.backups.endpoint is None:
                found.append(
                    (
                        f"{key}.backups",
                        "backups are enabled but an existing cluster has no cloud bucket; set "
                        "backups.endpoint (url, bucket, and accessKeyId and secretAccessKey as "
                        "secrets) or set backups.enabled: false",
                    )
                )
            if not existing and db.backups.endpoint is not None:
                found.append(
                    (
                        f"{key}.backups.endpoint",
                        f"on a {self.cluster.kind} cluster backups go to a bucket the platform "
                        "creates, reached through workload identity; remove backups.endpoint",
                    )
                )
            if db.restore is not None:
                found.extend(self._restore_problems(key, db, by_name, existing))
        return found

    def _zones(self) -> list[str]:
        cluster = self.cluster
        section = cluster.eks or cluster.gke
        if section is not None:
            return list(section.zones)
        return list(cluster.existing_or_default.zones)

    def _database_name_problems(self, key: str, db: DatabaseConfig) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        databases = [db.database, *(d.name for d in db.databases)]
        found.extend(
            (
                f"{key}.databases",
                f"database '{dup}' is defined more than once in cluster '{db.name}' (the "
                f"bootstrap database is '{db.database}'); give each database its own name",
            )
            for dup in sorted({n for n in databases if databases.count(n) > 1})
        )
        roles = [r.name for r in db.roles]
        found.extend(
            (f"{key}.roles", f"role '{dup}' is defined more than once in cluster '{db.name}'")
            for dup in sorted({n for n in roles if roles.count(n) > 1})
        )
        owner = db.owner_or_default
        for j, role in enumerate(db.roles):
            if role.name == owner or role.name in _RESERVED_ROLES:
                found.append(
                    (
                        f"{key}.roles[{j}].name",
                        f"role '{role.name}' is managed by CloudNativePG (the bootstrap owner's "
                        f"credentials are in the Secret '{db.name}-app'); remove it from roles",
                    )
                )
        known = {owner, *roles}
        for j, extra in enumerate(db.databases):
            if extra.owner not in known:
                found.append(
                    (
                        f"{key}.databases[{j}].owner",
                        f"owner '{extra.owner}' is neither the bootstrap owner '{owner}' nor one "
                        "of the cluster's roles; add it to roles or pick one of those",
                    )
                )
        return found

    def _restore_problems(
        self, key: str, db: DatabaseConfig, by_name: dict[str, DatabaseConfig], existing: bool
    ) -> list[tuple[str, str]]:
        restore = db.restore
        assert restore is not None
        if restore.source is None:
            return [
                (
                    f"{key}.restore.source",
                    "restore has no source; set restore.source to the name of the cluster whose "
                    "backups to restore",
                )
            ]
        if restore.source == db.name:
            return [
                (
                    f"{key}.restore.source",
                    f"cluster '{db.name}' cannot restore from its own name: its new backups would "
                    "collide with the archive it restores from; restore into a new cluster name",
                )
            ]
        source = by_name.get(restore.source)
        if restore.backup_path is None and (source is None or not self.postgres_backups(source)):
            return [
                (
                    f"{key}.restore",
                    f"'{restore.source}' is not a cluster of this stack with backups; set "
                    "restore.backupPath to where its backups are",
                )
            ]
        if existing:
            store = source.backups.endpoint if source and restore.backup_path is None else None
            if store is None and db.backups.endpoint is None:
                return [
                    (
                        f"{key}.restore",
                        "restoring on an existing cluster reads the backups with S3 credentials; "
                        "set backups.endpoint on this cluster (its url and keys are used)",
                    )
                ]
        return []

    def has_cloud_secret_store(self) -> bool:
        """Whether External Secrets gets a store backed by a cloud secret manager."""
        secrets = self.secrets
        if not secrets.enabled:
            return False
        if self.cluster.kind == "existing":
            return secrets.store is not None and secrets.store.has_credentials
        return True

    def secret_store_cloud(self) -> Literal["aws", "gcp"] | None:
        """The cloud whose secret manager the store reads, if any."""
        kind = self.cluster.kind
        if kind == "existing":
            return self.secrets.store.provider if self.secrets.store is not None else None
        return "aws" if kind == "eks" else "gcp"

    def sops_enabled(self) -> bool:
        sops = self.secrets.sops
        return self.cluster.kind != "existing" if sops.enabled is None else sops.enabled

    def _secrets_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        secrets = self.secrets
        kind = self.cluster.kind
        store = secrets.store
        if store is not None and kind != "existing":
            found.append(
                (
                    "secrets.store",
                    f"a {kind} cluster reads its cloud secret manager through workload "
                    "identity, without static credentials; remove secrets.store",
                )
            )
        if kind == "existing" and store is not None and not store.has_credentials:
            keys = (
                "accessKeyId and secretAccessKey"
                if store.provider == "aws"
                else "serviceAccountKey"
            )
            found.append(
                (
                    "secrets.store",
                    f"a cloud secret store on an existing cluster needs static credentials; "
                    f"set secrets.store.{keys} with `pulumi config set --secret --path`, or "
                    "remove secrets.store",
                )
            )
        cloud = self.secret_store_cloud()
        if secrets.prefix is not None and cloud is not None:
            pattern, ends = (
                (_AWS_SECRET_NAME_RE, ("/",))
                if cloud == "aws"
                else (_GCP_SECRET_NAME_RE, ("_", "-"))
            )
            if not pattern.match(secrets.prefix) or not secrets.prefix.endswith(ends):
                example = "'platform/prod/'" if cloud == "aws" else "'platform_prod_'"
                found.append(
                    (
                        "secrets.prefix",
                        f"'{secrets.prefix}' is not a {cloud} secret name prefix; use the "
                        f"characters its secret names allow and end with {' or '.join(ends)} "
                        f"so it matches no other stack's secrets, e.g. {example}",
                    )
                )
        if secrets.replicate and not self.has_cloud_secret_store():
            found.append(
                (
                    "secrets.replicate",
                    "replicated secrets are read from the cloud secret store, which this stack "
                    "does not have; on an existing cluster configure secrets.store, or remove "
                    "secrets.replicate",
                )
            )
        names = [r.name for r in secrets.replicate]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            found.append(("secrets.replicate", f"replicated secret '{dup}' is listed twice"))
        sops = secrets.sops
        if sops.enabled and kind == "existing":
            found.append(
                (
                    "secrets.sops.enabled",
                    "SOPS keys live in a cloud KMS, which an existing cluster has none of; "
                    "set secrets.sops.enabled to false",
                )
            )
        if self.sops_enabled():
            member_re, example = (
                (_AWS_PRINCIPAL_RE, "'arn:aws:iam::<account>:role/<name>'")
                if kind == "eks"
                else (_GCP_MEMBER_RE, "'group:platform@example.com'")
            )
            found.extend(
                (
                    f"secrets.sops.encrypters[{i}]",
                    f"'{who}' is not a {kind} principal; use e.g. {example}",
                )
                for i, who in enumerate(sops.encrypters)
                if not member_re.match(who)
            )
        return found

    def _access_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        tailscale = self.access.tailscale
        if tailscale.enabled:
            from_config = tailscale.oauth_client_id is not None or (
                tailscale.oauth_client_secret is not None
            )
            if not from_config and tailscale.oauth_secret_key is None:
                found.append(
                    (
                        "access.tailscale",
                        "Tailscale is enabled without OAuth credentials; set "
                        "access.tailscale.oauthClientId and oauthClientSecret (with `pulumi "
                        "config set --secret --path`), or oauthSecretKey to read them from the "
                        "cloud secret manager",
                    )
                )
            if from_config and tailscale.oauth_secret_key is not None:
                found.append(
                    (
                        "access.tailscale.oauthSecretKey",
                        "OAuth credentials are given both in config and as oauthSecretKey; "
                        "keep one source",
                    )
                )
            elif from_config and (
                tailscale.oauth_client_id is None or tailscale.oauth_client_secret is None
            ):
                found.append(
                    (
                        "access.tailscale",
                        "set both oauthClientId and oauthClientSecret (the secret with "
                        "`pulumi config set --secret --path`)",
                    )
                )
            if tailscale.oauth_secret_key is not None and not self.has_cloud_secret_store():
                found.append(
                    (
                        "access.tailscale.oauthSecretKey",
                        "reads the OAuth credentials from the cloud secret store, which this "
                        "stack does not have; set oauthClientId and oauthClientSecret instead",
                    )
                )
            if tailscale.tailnet is None:
                found.append(
                    (
                        "access.tailscale.tailnet",
                        "required when Tailscale is enabled: the tailnet DNS name from the "
                        "admin console's DNS page, e.g. 'tail1234.ts.net'",
                    )
                )
        eks = self.cluster.eks
        if eks is not None and not eks.public_access_cidrs and not tailscale.enabled:
            found.append(
                (
                    "cluster.eks.publicAccessCidrs",
                    "the API endpoint is private only (cluster.eks.publicAccessCidrs is empty) "
                    "and access.tailscale.enabled is false, so nothing outside the VPC can "
                    "reach the cluster API; enable access.tailscale or list the networks that "
                    "need the endpoint in cluster.eks.publicAccessCidrs",
                )
            )
        names = [n.name for n in self.access.namespaces]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            found.append(("access.namespaces", f"namespace '{dup}' is listed twice"))
        return found

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

    def _gke_problems(self) -> list[tuple[str, str]]:
        gke = self.cluster.gke
        if self.cluster.kind != "gke" or gke is None:
            return []
        found: list[tuple[str, str]] = []
        if self.cluster.name is not None and len(self.cluster.name) > _GKE_MAX_NAME:
            found.append(
                (
                    "cluster.name",
                    f"GKE cluster names have at most {_GKE_MAX_NAME} characters; "
                    f"'{self.cluster.name}' has {len(self.cluster.name)}, shorten it",
                )
            )
        for i, pool in enumerate(self.node_pools):
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
        if self.tier is Tier.prod:
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
