"""StackConfig: the typed, validated mirror of `Pulumi.<stack>.yaml`.

One top-level config key per concern (`platform:cluster`, `platform:nodePools`, ...). Models are
frozen and reject unknown keys. `tier` supplies defaults for protection, high availability and
backups; a stack file overrides them key by key. Cross-key checks live in `StackConfig.problems`
so that the loader can report every problem at once.
"""

from kube_platform.stacks.config.access import AccessConfig, AppNamespaceConfig, TailscaleConfig
from kube_platform.stacks.config.base import PROJECT, TIER_DEFAULTS, ConfigModel, Tier, TierDefaults
from kube_platform.stacks.config.ci import CiAwsConfig, CiConfig, CiGcpConfig
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
from kube_platform.stacks.config.gitops import (
    GitOpsArgoCdConfig,
    GitOpsConfig,
    GitOpsCredentialsConfig,
    GitOpsFluxConfig,
    GitOpsImageAutomationConfig,
    GitOpsNotificationsConfig,
    GitOpsRefConfig,
    GitOpsRepositoryConfig,
    GitOpsSopsConfig,
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
    "AccessConfig",
    "AppNamespaceConfig",
    "BackupSchedule",
    "CertificatesConfig",
    "CiAwsConfig",
    "CiConfig",
    "CiGcpConfig",
    "CloudDnsConfig",
    "CloudStoreConfig",
    "ClusterConfig",
    "ConfigModel",
    "CpuAmount",
    "DatabaseConfig",
    "DnsConfig",
    "EksConfig",
    "EksNetworkConfig",
    "ExistingClusterConfig",
    "GitOpsArgoCdConfig",
    "GitOpsConfig",
    "GitOpsCredentialsConfig",
    "GitOpsFluxConfig",
    "GitOpsImageAutomationConfig",
    "GitOpsNotificationsConfig",
    "GitOpsRefConfig",
    "GitOpsRepositoryConfig",
    "GitOpsSopsConfig",
    "GkeConfig",
    "GkeNetworkConfig",
    "IngressConfig",
    "Issuer",
    "MemorySize",
    "NodePoolConfig",
    "PgIdentifier",
    "PostgresBackupConfig",
    "PostgresDatabaseConfig",
    "PostgresResourcesConfig",
    "PostgresRestoreConfig",
    "PostgresRoleConfig",
    "PostgresStorageConfig",
    "ReplicatedSecretConfig",
    "Retention",
    "Route53Config",
    "S3EndpointConfig",
    "SecretsConfig",
    "SopsConfig",
    "StackConfig",
    "StorageSize",
    "TailscaleConfig",
    "Taint",
    "Tier",
    "TierDefaults",
    "Timestamp",
]
