"""StackConfig: the typed, validated mirror of `Pulumi.<stack>.yaml`.

One top-level config key per concern (`platform:cluster`, `platform:nodePools`, ...). Models are
frozen and reject unknown keys. `tier` supplies defaults for protection, high availability and
backups; a stack file overrides them key by key. Cross-key checks live in `StackConfig.problems`
so that the loader can report every problem at once. Value rules (names, versions, CIDRs,
regions, sizes, ...) are the library's own types (`kube_platform.components.validation` and
the component modules); the loader prefixes their messages with the key path.
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
    DatabaseConfig,
    PostgresBackupConfig,
    PostgresDatabaseConfig,
    PostgresResourcesConfig,
    PostgresRestoreConfig,
    PostgresRoleConfig,
    PostgresStorageConfig,
    S3EndpointConfig,
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
    "CertificatesConfig",
    "CiAwsConfig",
    "CiConfig",
    "CiGcpConfig",
    "CloudDnsConfig",
    "CloudStoreConfig",
    "ClusterConfig",
    "ConfigModel",
    "DatabaseConfig",
    "DiscordConfig",
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
    "GrafanaConfig",
    "IngressConfig",
    "Issuer",
    "NodePoolConfig",
    "ObservabilityConfig",
    "PagerDutyConfig",
    "PostgresBackupConfig",
    "PostgresDatabaseConfig",
    "PostgresResourcesConfig",
    "PostgresRestoreConfig",
    "PostgresRoleConfig",
    "PostgresStorageConfig",
    "RemoteWriteConfig",
    "ReplicatedSecretConfig",
    "Route53Config",
    "S3EndpointConfig",
    "SecretsConfig",
    "SlackConfig",
    "SopsConfig",
    "StackConfig",
    "TailscaleConfig",
    "Taint",
    "Tier",
    "TierDefaults",
]
