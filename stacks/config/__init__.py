"""StackConfig: the typed, validated mirror of `Pulumi.<stack>.yaml`.

One top-level config key per concern (`platform:cluster`, `platform:nodePools`, ...). Models are
frozen and reject unknown keys. `tier` supplies defaults for protection, high availability and
backups; a stack file overrides them key by key. Cross-key checks live in `StackConfig.problems`
so that the loader can report every problem at once.
"""

from kube_platform.stacks.config.access import AccessConfig, AppNamespaceConfig, TailscaleConfig
from kube_platform.stacks.config.base import PROJECT, TIER_DEFAULTS, ConfigModel, Tier, TierDefaults
from kube_platform.stacks.config.cluster import (
    ClusterConfig,
    EksConfig,
    EksNetworkConfig,
    ExistingClusterConfig,
    GkeConfig,
    GkeNetworkConfig,
    NodePoolConfig,
    Taint,
)
from kube_platform.stacks.config.databases import (
    BackupSchedule,
    CpuAmount,
    DatabaseConfig,
    MemorySize,
    PgIdentifier,
    PostgresBackupConfig,
    PostgresDatabaseConfig,
    PostgresResourcesConfig,
    PostgresRestoreConfig,
    PostgresRoleConfig,
    PostgresStorageConfig,
    Retention,
    S3EndpointConfig,
    StorageSize,
    Timestamp,
)
from kube_platform.stacks.config.observability import (
    TIER_MONITORING,
    AlertingConfig,
    DiscordConfig,
    GrafanaConfig,
    ObservabilityConfig,
    PagerDutyConfig,
    RemoteWriteConfig,
    SlackConfig,
)
from kube_platform.stacks.config.secrets import (
    CloudStoreConfig,
    ReplicatedSecretConfig,
    SecretsConfig,
    SopsConfig,
)
from kube_platform.stacks.config.stack import StackConfig
from kube_platform.stacks.config.traffic import (
    TIER_ISSUERS,
    CertificatesConfig,
    CloudDnsConfig,
    DnsConfig,
    IngressConfig,
    Issuer,
    Route53Config,
)

__all__ = [
    "PROJECT",
    "TIER_DEFAULTS",
    "TIER_ISSUERS",
    "TIER_MONITORING",
    "AccessConfig",
    "AlertingConfig",
    "AppNamespaceConfig",
    "BackupSchedule",
    "CertificatesConfig",
    "CloudDnsConfig",
    "CloudStoreConfig",
    "ClusterConfig",
    "ConfigModel",
    "CpuAmount",
    "DatabaseConfig",
    "DiscordConfig",
    "DnsConfig",
    "EksConfig",
    "EksNetworkConfig",
    "ExistingClusterConfig",
    "GkeConfig",
    "GkeNetworkConfig",
    "GrafanaConfig",
    "IngressConfig",
    "Issuer",
    "MemorySize",
    "NodePoolConfig",
    "ObservabilityConfig",
    "PagerDutyConfig",
    "PgIdentifier",
    "PostgresBackupConfig",
    "PostgresDatabaseConfig",
    "PostgresResourcesConfig",
    "PostgresRestoreConfig",
    "PostgresRoleConfig",
    "PostgresStorageConfig",
    "RemoteWriteConfig",
    "ReplicatedSecretConfig",
    "Retention",
    "Route53Config",
    "S3EndpointConfig",
    "SecretsConfig",
    "SlackConfig",
    "SopsConfig",
    "StackConfig",
    "StorageSize",
    "TailscaleConfig",
    "Taint",
    "Tier",
    "TierDefaults",
    "Timestamp",
]
