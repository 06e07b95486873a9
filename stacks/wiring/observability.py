"""Monitoring: the prometheus-operator CRDs first (every chart monitor waits for them), then, once
everything it watches exists, kube-prometheus-stack with the platform's alerts, receivers and
Grafana."""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.data.schedule import longest_gap_seconds
from kube_platform.components.kubernetes.resources import mebibytes
from kube_platform.components.observability import alerting
from kube_platform.components.observability.alerts import (
    AlertSources,
    DatabaseWatch,
    NodePoolLimit,
)
from kube_platform.components.observability.crds import monitoring_crds
from kube_platform.components.observability.monitoring import (
    GRAFANA_ADMIN_SECRET,
    WORKLOADS,
    GrafanaArgs,
    Monitoring,
    MonitoringArgs,
    PrometheusArgs,
    RemoteWriteArgs,
)
from kube_platform.components.security.secrets import SecretStoreRef
from kube_platform.stacks import footprint
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.config.observability import (
    MONITORING_NAMESPACE,
    grafana_hostname,
    tier_monitoring,
)
from kube_platform.stacks.wiring.traffic import Traffic

NAME = "monitoring"
# The TSDB keeps to this share of its volume, leaving room for the WAL and compaction.
TSDB_SHARE_OF_VOLUME = 0.8


def crds(cfg: StackConfig, cluster: Cluster) -> pulumi.Resource | None:
    """The monitoring CRDs, applied before anything renders a ServiceMonitor or PodMonitor."""
    return monitoring_crds(cluster, NAME) if cfg.observability.enabled else None


def build(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    *,
    crds: pulumi.Resource | None,
    edge: Traffic,
    secret_store: SecretStoreRef | None,
) -> dict[str, Any]:
    obs = cfg.observability
    if not obs.enabled or crds is None:
        return {}
    tier = tier_monitoring(cfg.tier)
    storage = obs.storage_size or tier.storage_size
    kind = cfg.cluster.kind
    monitoring = Monitoring(
        NAME,
        cluster,
        MonitoringArgs(
            namespace=MONITORING_NAMESPACE,
            crds=crds,
            cert_manager=edge.cert_manager,
            cluster_label=cfg.cluster_name(stack),
            high_availability=cfg.ha,
            control_plane_metrics=obs.control_plane_metrics,
            core_dns=kind != "gke",
            gke_node_pool_label=kind == "gke",
            prometheus=PrometheusArgs(
                replicas=2 if cfg.ha else 1,
                retention=obs.retention or tier.retention,
                retention_size=f"{int(mebibytes(storage) * TSDB_SHARE_OF_VOLUME)}MB",
                storage_size=storage,
            ),
            alertmanager_storage_size=tier.alertmanager_storage_size,
            grafana=_grafana(cfg, edge),
            alerts=alert_sources(cfg),
            receivers=_receivers(cfg, secret_store),
            remote_write=(
                RemoteWriteArgs(service="amp" if kind == "eks" else "gmp")
                if obs.remote_write.enabled
                else None
            ),
            autoscaler_service_monitor=kind == "eks",
            protect=cfg.protect_stateful,
            resources={w: footprint.requests(cfg.tier, w) for w in WORKLOADS},
        ),
    )
    outputs: dict[str, Any] = {}
    if obs.grafana.enabled:
        outputs["grafana"] = {
            "url": monitoring.grafana_url,
            "adminSecret": f"{MONITORING_NAMESPACE}/{GRAFANA_ADMIN_SECRET}",
        }
    if monitoring.remote_write_endpoint is not None:
        outputs["prometheusRemoteWrite"] = monitoring.remote_write_endpoint
    return outputs


def _grafana(cfg: StackConfig, edge: Traffic) -> GrafanaArgs | None:
    if not cfg.observability.grafana.enabled:
        return None
    hostname = grafana_hostname(cfg)
    listener = edge.https_listeners.get(hostname) if hostname else None
    return GrafanaArgs(
        hostname=hostname if listener is not None else None,
        listener=listener,
        gateway_crds=edge.gateway_api,
        persistence_size=tier_monitoring(cfg.tier).grafana_storage_size,
    )


def alert_sources(cfg: StackConfig) -> AlertSources:
    """The platform pieces this stack installs, from its configuration alone."""
    kind = cfg.cluster.kind
    return AlertSources(
        certificates=True,
        ingress=True,
        ingress_error_ratio=cfg.observability.alerting.ingress_error_ratio,
        external_dns=cfg.dns.external_dns_enabled,
        external_secrets=cfg.secrets.enabled,
        databases=tuple(
            DatabaseWatch(
                name=db.name,
                namespace=db.namespace_or_default,
                instances=cfg.postgres_instances(db),
                backup_period_seconds=(
                    longest_gap_seconds(db.backups.schedule) if cfg.postgres_backups(db) else None
                ),
            )
            for db in cfg.databases
            if cfg.postgres_monitoring(db)
        ),
        node_pools={"eks": "cluster-autoscaler", "gke": "gke"}.get(kind),
        gitops=cfg.gitops.engine if cfg.gitops is not None else None,
        gke_node_pools=(
            tuple(NodePoolLimit(name=p.name, max_size=p.max_size) for p in cfg.node_pools)
            if kind == "gke"
            else ()
        ),
    )


def _receivers(
    cfg: StackConfig, secret_store: SecretStoreRef | None
) -> alerting.ReceiversArgs | None:
    config = cfg.observability.alerting
    if not config.receivers:
        return None
    from_store = config.secret_key is not None
    return alerting.ReceiversArgs(
        slack=(
            alerting.SlackReceiver(channel=config.slack.channel)
            if config.slack is not None
            else None
        ),
        discord=config.discord is not None,
        pagerduty=config.pagerduty is not None,
        secret_values=(
            {}
            if from_store
            else {
                receiver: pulumi.Output.secret(config.secret_of(receiver).get_secret_value())
                for receiver in config.receivers
            }
        ),
        from_store=secret_store if from_store else None,
        store_key=config.secret_key,
    )
