"""StackConfig: every top-level key of a stack file, the tier-derived settings, and the
cross-key checks of all areas."""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import Field

from kube_platform.components.gitops.argocd import ARGOCD_NAMESPACE
from kube_platform.stacks.config.access import AccessConfig
from kube_platform.stacks.config.access import problems as access_problems
from kube_platform.stacks.config.base import PROJECT, TIER_DEFAULTS, ConfigModel, Tier, TierDefaults
from kube_platform.stacks.config.ci import CiConfig
from kube_platform.stacks.config.ci import problems as ci_problems
from kube_platform.stacks.config.cluster import ClusterConfig, NodePoolConfig
from kube_platform.stacks.config.cluster import problems as cluster_problems
from kube_platform.stacks.config.databases import DatabaseConfig
from kube_platform.stacks.config.databases import problems as database_problems
from kube_platform.stacks.config.gitops import GitOpsConfig, argocd_hostname
from kube_platform.stacks.config.gitops import problems as gitops_problems
from kube_platform.stacks.config.observability import (
    MONITORING_NAMESPACE,
    ObservabilityConfig,
    grafana_hostname,
)
from kube_platform.stacks.config.observability import problems as observability_problems
from kube_platform.stacks.config.secrets import SecretsConfig
from kube_platform.stacks.config.secrets import problems as secrets_problems
from kube_platform.stacks.config.traffic import CertificatesConfig, DnsConfig, IngressConfig
from kube_platform.stacks.config.traffic import problems as traffic_problems


class PlatformRoute(NamedTuple):
    """A hostname a platform service serves through the Gateway (see `platform_routes`)."""

    key: str
    namespace: str
    hostname: str


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
    bootstrap_phase: Literal["cloud", "full"] = Field(
        "full",
        description="`cloud` builds only what needs cloud APIs (the network, the EKS cluster "
        "with its node groups, add-ons, access entries and identities, the deploy runner and "
        "the CI identities) and nothing that talks to the Kubernetes API: the first deployment "
        "of a private EKS cluster from outside its network, by any identity allowed to create "
        "those (the check that `pulumi up` runs as an admin principal applies to `full` only). "
        "`full` builds everything. Never go back to `cloud` once a full deployment ran: it "
        "would remove everything inside the cluster.",
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
    gitops: GitOpsConfig | None = Field(
        None, description="The GitOps engine and the fleet repository it reconciles."
    )
    ci: CiConfig | None = Field(
        None, description="Identities GitHub Actions assume by OIDC (EKS and GKE stacks)."
    )
    observability: ObservabilityConfig = Field(
        ObservabilityConfig(), description="Monitoring, alerts and dashboards."
    )

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
            *cluster_problems(self),
            *traffic_problems(self),
            *database_problems(self),
            *secrets_problems(self),
            *access_problems(self),
            *gitops_problems(self),
            *ci_problems(self),
            *observability_problems(self),
        ]

    def platform_routes(self) -> list[PlatformRoute]:
        """The hostnames platform services serve through the Gateway, each with the namespace
        whose routes the Gateway admits for it and the key that sets it. They share the
        Gateway's rules with `access.namespaces[].hostnames`: one namespace per name."""
        routes: list[PlatformRoute] = []
        argocd = argocd_hostname(self)
        if argocd is not None:
            routes.append(PlatformRoute("gitops.argocd.hostname", ARGOCD_NAMESPACE, argocd))
        grafana = grafana_hostname(self)
        if grafana is not None:
            key = "observability.grafana" + (
                ".hostname" if self.observability.grafana.hostname else ""
            )
            routes.append(PlatformRoute(key, MONITORING_NAMESPACE, grafana))
        return routes

    def postgres_instances(self, db: DatabaseConfig) -> int:
        return db.instances if db.instances is not None else self.defaults.postgres_instances

    def postgres_backups(self, db: DatabaseConfig) -> bool:
        enabled = db.backups.enabled
        return self.defaults.backups if enabled is None else enabled

    def postgres_monitoring(self, db: DatabaseConfig) -> bool:
        """A PodMonitor for the cluster: as set, else whenever the monitoring stack runs."""
        return self.observability.enabled if db.monitoring is None else db.monitoring

    def postgres_anti_affinity(self, db: DatabaseConfig) -> str:
        if db.anti_affinity is not None:
            return db.anti_affinity
        return "required" if self.tier is Tier.prod else "preferred"

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
        """Whether the stack has a SOPS KMS key: by default on EKS and GKE, unless Argo CD,
        which cannot decrypt SOPS, is the GitOps engine."""
        sops = self.secrets.sops
        if sops.enabled is not None:
            return sops.enabled
        argocd = self.gitops is not None and self.gitops.engine == "argocd"
        return self.cluster.kind != "existing" and not argocd
