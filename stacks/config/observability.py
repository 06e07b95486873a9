"""Monitoring, alerting and dashboards, and their cross-key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.validation import Hostname, PrometheusRetention, StorageSize
from kube_platform.stacks.config.base import ConfigModel, Tier
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

MONITORING_NAMESPACE = "monitoring"

VolumeSize = StorageSize


class TierMonitoring(BaseModel):
    """What a tier decides for monitoring unless the stack file says otherwise."""

    model_config = ConfigDict(frozen=True)

    retention: str
    storage_size: str
    grafana_storage_size: str | None
    alertmanager_storage_size: str | None


TIER_MONITORING: dict[Tier, TierMonitoring] = {
    Tier.dev: TierMonitoring(
        retention="3d",
        storage_size="5Gi",
        grafana_storage_size=None,
        alertmanager_storage_size=None,
    ),
    Tier.staging: TierMonitoring(
        retention="7d",
        storage_size="20Gi",
        grafana_storage_size="2Gi",
        alertmanager_storage_size="1Gi",
    ),
    Tier.prod: TierMonitoring(
        retention="15d",
        storage_size="50Gi",
        grafana_storage_size="5Gi",
        alertmanager_storage_size="1Gi",
    ),
}


class GrafanaConfig(ConfigModel):
    """Grafana, served through the platform Gateway over HTTPS."""

    enabled: bool = Field(True, description="Install Grafana.")
    hostname: Hostname | None = Field(
        None,
        description="Hostname Grafana is served at (HTTPS only), inside `ingress.domain`. "
        "Default: `grafana.<ingress.domain>`; without a domain Grafana gets no route "
        "(reach it with `kubectl port-forward`).",
    )


class SlackConfig(ConfigModel):
    channel: str | None = Field(
        None, description="Channel, e.g. `#platform-alerts`. Default: the webhook's own."
    )
    webhook_url: SecretValue | None = Field(
        None, description="Slack incoming webhook URL (secret; `pulumi config set --secret`)."
    )


class DiscordConfig(ConfigModel):
    webhook_url: SecretValue | None = Field(
        None, description="Discord webhook URL (secret; `pulumi config set --secret`)."
    )


class PagerDutyConfig(ConfigModel):
    routing_key: SecretValue | None = Field(
        None, description="PagerDuty Events API v2 integration key (secret)."
    )


class AlertingConfig(ConfigModel):
    """Where alerts go: chat (Slack, Discord) gets warnings and critical alerts, PagerDuty
    critical ones only. Each receiver's URL or key is a secret from config, or all of them
    come from one cloud secret (`secretKey`)."""

    slack: SlackConfig | None = Field(None, description="Post alerts to Slack.")
    discord: DiscordConfig | None = Field(None, description="Post alerts to Discord.")
    pagerduty: PagerDutyConfig | None = Field(None, description="Page through PagerDuty.")
    secret_key: str | None = Field(
        None,
        description="Instead of the secrets above: a cloud secret (relative to "
        '`secrets.prefix`) holding JSON such as `{"slack": "<webhook URL>", "discord": '
        '"<webhook URL>", "pagerduty": "<routing key>"}`, copied into the cluster by External '
        "Secrets.",
    )
    ingress_error_ratio: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Share of a service's requests answered with a 5xx that raises "
        "IngressHighErrorRate.",
    )

    @property
    def receivers(self) -> dict[str, str | None]:
        """Configured receiver -> the config key of its secret."""
        found: dict[str, str | None] = {}
        if self.slack is not None:
            found["slack"] = "webhookUrl"
        if self.discord is not None:
            found["discord"] = "webhookUrl"
        if self.pagerduty is not None:
            found["pagerduty"] = "routingKey"
        return found

    def secret_of(self, receiver: str) -> SecretValue | None:
        section = getattr(self, receiver)
        return getattr(section, "routing_key" if receiver == "pagerduty" else "webhook_url")


class RemoteWriteConfig(ConfigModel):
    """Send every sample to a managed Prometheus service, through workload identity."""

    enabled: bool = Field(
        False,
        description="EKS: Amazon Managed Service for Prometheus (a workspace the platform "
        "creates; remote write signed with SigV4). GKE: Google Cloud Managed Service for "
        "Prometheus (self-deployed collection: Prometheus runs Google's fork, which exports "
        "every sample). Not available on existing clusters.",
    )


class ObservabilityConfig(ConfigModel):
    """kube-prometheus-stack: Prometheus, Alertmanager, Grafana; every platform piece scraped;
    the platform's alerts."""

    enabled: bool = Field(True, description="Install the monitoring stack.")
    retention: PrometheusRetention | None = Field(
        None,
        description="How long Prometheus keeps samples. Default: dev 3d, staging 7d, prod 15d.",
    )
    storage_size: VolumeSize | None = Field(
        None,
        description="Prometheus volume per replica; the TSDB keeps to 80% of it. Default: dev "
        "5Gi, staging 20Gi, prod 50Gi.",
    )
    control_plane_metrics: bool = Field(
        False,
        description="Scrape kube-controller-manager, kube-scheduler, etcd and kube-proxy "
        "(existing clusters whose control plane exposes them; EKS and GKE do not).",
    )
    grafana: GrafanaConfig = Field(GrafanaConfig(), description="Grafana.")
    alerting: AlertingConfig = Field(AlertingConfig(), description="Alert receivers.")
    remote_write: RemoteWriteConfig = Field(
        RemoteWriteConfig(), description="Managed Prometheus (EKS, GKE)."
    )


# --- cross-key checks ----------------------------------------------------------------------


def grafana_hostname(cfg: StackConfig) -> str | None:
    """Where Grafana is served: as configured, else `grafana.<ingress.domain>`; None without
    Grafana or a domain."""
    obs = cfg.observability
    if not obs.enabled or not obs.grafana.enabled or cfg.ingress.domain is None:
        return None
    return obs.grafana.hostname or f"grafana.{cfg.ingress.domain}"


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Monitoring problems: (key path, message) pairs."""
    obs = cfg.observability
    kind = cfg.cluster.kind
    found: list[tuple[str, str]] = []
    if not obs.enabled:
        if obs.alerting.receivers or obs.alerting.secret_key is not None:
            found.append(
                (
                    "observability.alerting",
                    "receivers are configured but observability.enabled is false, so nothing "
                    "would send alerts; enable observability or remove observability.alerting",
                )
            )
        monitored = [i for i, db in enumerate(cfg.databases) if db.monitoring]
        found += [
            (
                f"databases[{i}].monitoring",
                "a PodMonitor needs the monitoring stack, which observability.enabled: false "
                "turns off; remove monitoring or enable observability",
            )
            for i in monitored
        ]
        return found
    if obs.control_plane_metrics and kind != "existing":
        found.append(
            (
                "observability.controlPlaneMetrics",
                f"the {kind.upper()} control plane is managed and does not expose "
                "kube-controller-manager, kube-scheduler or etcd metrics; remove "
                "observability.controlPlaneMetrics",
            )
        )
    if obs.remote_write.enabled and kind == "existing":
        found.append(
            (
                "observability.remoteWrite.enabled",
                "remote write reaches a managed Prometheus through the cloud's workload "
                "identity, which an existing cluster has none of; set it to false",
            )
        )
    grafana = obs.grafana
    if grafana.enabled and grafana.hostname is not None and cfg.ingress.domain is None:
        found.append(
            (
                "observability.grafana.hostname",
                "Grafana is served over HTTPS under ingress.domain; set ingress.domain",
            )
        )
    # Where the hostname lies, and that no application namespace's names cover it, is checked
    # with every other hostname the Gateway serves (StackConfig.platform_routes).
    found += _alerting_problems(cfg)
    return found


def _alerting_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    alerting = cfg.observability.alerting
    found: list[tuple[str, str]] = []
    from_store = alerting.secret_key is not None
    for receiver, secret_key in alerting.receivers.items():
        given = alerting.secret_of(receiver) is not None
        if from_store and given:
            found.append(
                (
                    f"observability.alerting.{receiver}.{secret_key}",
                    "receiver secrets come from observability.alerting.secretKey; keep one "
                    "source and remove this value",
                )
            )
        elif not from_store and not given:
            found.append(
                (
                    f"observability.alerting.{receiver}",
                    f"set observability.alerting.{receiver}.{secret_key} with `pulumi config "
                    "set --secret --path`, or observability.alerting.secretKey to read it from "
                    "the cloud secret manager",
                )
            )
    if from_store and not alerting.receivers:
        found.append(
            (
                "observability.alerting.secretKey",
                "no receiver is configured; add slack, discord or pagerduty under "
                "observability.alerting",
            )
        )
    if from_store and not cfg.has_cloud_secret_store():
        found.append(
            (
                "observability.alerting.secretKey",
                "reads the receivers from the cloud secret store, which this stack does not "
                "have; give each receiver's secret in config instead",
            )
        )
    return found


def tier_monitoring(tier: Tier) -> TierMonitoring:
    return TIER_MONITORING[tier]
