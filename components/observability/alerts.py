"""The platform's own alerts: one PrometheusRule group per platform piece, each alert with what it
means and what to do in its annotations (`summary`, `description`, `runbook`).

Expressions name only metrics the pinned components export (`EXPORTED_METRICS`, with where each
was read). Label names follow how they arrive in Prometheus: a chart's ServiceMonitor keeps the
target's own `namespace` label, so an exporter's `namespace` label (cert-manager, External
Secrets) arrives as `exported_namespace`.

Decisions that change which alerts exist (databases, node pools, the GitOps engine) are plain
values from the stack configuration, never Outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "warning"]
DAY = 86400


@dataclass(frozen=True)
class ExportedMetrics:
    """Metrics one component exports at its pinned version, and where that was read."""

    source: str
    metrics: frozenset[str]


EXPORTED_METRICS: dict[str, ExportedMetrics] = {
    "cert-manager": ExportedMetrics(
        "cert-manager v1.21.1 internal/collectors/certificate_collector.go",
        frozenset(
            {
                "certmanager_certificate_expiration_timestamp_seconds",
                "certmanager_certificate_ready_status",
            }
        ),
    ),
    "traefik": ExportedMetrics(
        "traefik v3.7 pkg/observability/metrics/prometheus.go (serviceReqsTotalName); "
        "docs/content/reference/install-configuration/observability/metrics.md",
        frozenset({"traefik_service_requests_total"}),
    ),
    "external-dns": ExportedMetrics(
        "external-dns v0.21.0 (chart 1.21.1) controller/metrics.go, pkg/metrics/metrics.go",
        frozenset(
            {
                "external_dns_registry_errors_total",
                "external_dns_source_errors_total",
                "external_dns_controller_last_sync_timestamp_seconds",
            }
        ),
    ),
    "external-secrets": ExportedMetrics(
        "external-secrets v2.9.0 pkg/controllers/externalsecret/esmetrics/esmetrics.go",
        frozenset({"externalsecret_status_condition", "externalsecret_sync_calls_error"}),
    ),
    "cloudnative-pg": ExportedMetrics(
        "cloudnative-pg v1.30.0 docs/src/monitoring.md (cnpg_collector_up) and "
        "config/manager/default-monitoring.yaml (pg_replication, pg_stat_archiver)",
        frozenset(
            {
                "cnpg_collector_up",
                "cnpg_pg_replication_lag",
                "cnpg_pg_stat_archiver_last_archived_time",
                "cnpg_pg_stat_archiver_last_failed_time",
            }
        ),
    ),
    "plugin-barman-cloud": ExportedMetrics(
        "plugin-barman-cloud v0.13.0 (chart 0.7.0) internal/cnpgi/instance/metrics.go, "
        "reported through each instance's exporter (cloudnative-pg v1.30.0 "
        "internal/cnpi/plugin/client/metrics.go)",
        frozenset({"barman_cloud_cloudnative_pg_io_last_available_backup_timestamp"}),
    ),
    "kubelet": ExportedMetrics(
        "kubelet volume stats, scraped by kube-prometheus-stack 88.5.3's kubelet "
        "ServiceMonitor (templates/prometheus/rules-1.14/kubernetes-storage.yaml uses them)",
        frozenset({"kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes"}),
    ),
    "cluster-autoscaler": ExportedMetrics(
        "cluster-autoscaler 1.35.2 metrics/metrics.go (registered with "
        "--emit-per-nodegroup-metrics)",
        frozenset(
            {
                "cluster_autoscaler_node_group_target_count",
                "cluster_autoscaler_node_group_max_count",
            }
        ),
    ),
    "kube-state-metrics": ExportedMetrics(
        "kube-state-metrics v2.20.0 docs/metrics/cluster/node-metrics.md (labels from "
        "--metric-labels-allowlist)",
        frozenset({"kube_node_labels"}),
    ),
    "flux-operator": ExportedMetrics(
        "flux-operator v0.58.1 internal/reporter/metrics.go (labels ready and suspended, "
        "True or False; served on the operator's ServiceMonitor)",
        frozenset({"flux_resource_info"}),
    ),
    "argo-cd": ExportedMetrics(
        "argo-cd v3.4.4 (chart 10.1.1) controller/metrics/metrics.go, "
        "docs/operator-manual/metrics.md (labels sync_status, health_status)",
        frozenset({"argocd_app_info"}),
    ),
}


@dataclass(frozen=True)
class Alert:
    """One alerting rule and what to do about it."""

    name: str
    expr: str
    for_: str
    severity: Severity
    summary: str
    description: str
    runbook: str
    labels: dict[str, str] = field(default_factory=dict)

    def rule(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity, **self.labels},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook": self.runbook,
            },
        }


class DatabaseWatch(BaseModel):
    """A Postgres cluster to alert on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Cluster name (its pods are `<name>-<n>`).")
    namespace: str = Field(description="Namespace of the cluster.")
    instances: int = Field(ge=1, description="Instances that should be up.")
    backup_period_seconds: int | None = Field(
        None, description="Longest gap between scheduled base backups; None: no backups."
    )


class NodePoolLimit(BaseModel):
    """A GKE node pool and the most nodes its autoscaler may add."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Node pool name.")
    max_size: int = Field(ge=1, description="Most nodes (total, across zones).")


class AlertSources(BaseModel):
    """Which platform pieces a stack installs, so only their alerts exist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificates: bool = Field(True, description="cert-manager certificates.")
    ingress: bool = Field(True, description="Traefik.")
    ingress_error_ratio: float = Field(
        0.05, gt=0, lt=1, description="5xx share of a service's responses that alerts."
    )
    external_dns: bool = Field(False, description="external-dns.")
    external_secrets: bool = Field(False, description="External Secrets.")
    databases: tuple[DatabaseWatch, ...] = Field((), description="Postgres clusters.")
    node_pools: Literal["cluster-autoscaler", "gke"] | None = Field(
        None, description="How node pool sizes are known: cluster-autoscaler (EKS) or GKE."
    )
    gke_node_pools: tuple[NodePoolLimit, ...] = Field((), description="GKE pools and maxima.")
    gitops: Literal["flux", "argocd"] | None = Field(None, description="The GitOps engine.")


# --- the alerts, per platform piece ----------------------------------------------------------


def certificate_alerts() -> list[Alert]:
    cert = "{{ $labels.exported_namespace }}/{{ $labels.name }}"
    expires = "(certmanager_certificate_expiration_timestamp_seconds > 0) - time()"
    return [
        Alert(
            "CertificateExpiringSoon",
            f"{expires} < 14 * {DAY}",
            "1h",
            "warning",
            f"Certificate {cert} expires within 14 days",
            "cert-manager renews certificates a third of their lifetime before expiry (30 "
            "days for Let's Encrypt); one this close to expiry is failing to renew.",
            "kubectl -n {{ $labels.exported_namespace }} describe certificate "
            "{{ $labels.name }}; then look at its CertificateRequest, Order and Challenge "
            "for the error (DNS-01: the zone and its credentials; HTTP-01: the Gateway's "
            "http listener). Fix it and `cmctl renew` the certificate.",
        ),
        Alert(
            "CertificateAboutToExpire",
            f"{expires} < 3 * {DAY}",
            "10m",
            "critical",
            f"Certificate {cert} expires within 3 days",
            "Renewal has failed for weeks; clients will reject the certificate when it expires.",
            "As for CertificateExpiringSoon, now urgently. If the issuer cannot be repaired "
            "in time, issue from another ClusterIssuer (certificates.issuer) and re-run "
            "`pulumi up`.",
        ),
        Alert(
            "CertificateNotReady",
            'certmanager_certificate_ready_status{condition=~"False|Unknown"} == 1',
            "15m",
            "warning",
            f"Certificate {cert} is not ready",
            "The certificate has not been issued, or its Secret does not match it; what "
            "serves it may be using an old certificate or none.",
            "kubectl -n {{ $labels.exported_namespace }} describe certificate "
            "{{ $labels.name }} and read the Ready condition's message; follow the "
            "CertificateRequest it names.",
        ),
    ]


def ingress_alerts(error_ratio: float) -> list[Alert]:
    requests = 'sum by (service) (rate(traefik_service_requests_total{code=~"5.."}[5m]))'
    total = "sum by (service) (rate(traefik_service_requests_total[5m]))"
    return [
        Alert(
            "IngressHighErrorRate",
            f"({requests} / {total}) > {error_ratio} and {total} > 0.1",
            "10m",
            "critical",
            f"More than {error_ratio:.0%} of requests to {{{{ $labels.service }}}} fail with 5xx",
            "Traefik answers more than the allowed share of this backend's requests with a "
            "server error: the backend fails, or Traefik cannot reach it (502/503/504).",
            "Find the app behind the Traefik service name ({namespace}-{route}-...); "
            "kubectl get pods and its logs; a 503 with no endpoints means no ready pod; "
            "a 502/504 means it is reachable but failing or slow. Roll back a bad release.",
        )
    ]


def dns_alerts() -> list[Alert]:
    return [
        Alert(
            "ExternalDnsErrors",
            "rate(external_dns_registry_errors_total[5m]) > 0 "
            "or rate(external_dns_source_errors_total[5m]) > 0",
            "15m",
            "warning",
            "external-dns keeps failing to read or write DNS records",
            "New hostnames are not published and changed ones not updated while this lasts.",
            "kubectl -n {{ $labels.namespace }} logs deploy/external-dns; registry errors "
            "come from the DNS provider (credentials, zone permissions, throttling), source "
            "errors from reading routes and Services.",
        ),
        Alert(
            "ExternalDnsSyncStale",
            "time() - external_dns_controller_last_sync_timestamp_seconds > 1800",
            "10m",
            "warning",
            "external-dns has not synced with the DNS provider for 30 minutes",
            "Its sync loop runs every minute; none has succeeded for half an hour.",
            "kubectl -n {{ $labels.namespace }} logs deploy/external-dns for the failing "
            "call; check the workload identity (or credentials Secret) still works.",
        ),
    ]


def secrets_alerts() -> list[Alert]:
    secret = "{{ $labels.exported_namespace }}/{{ $labels.name }}"
    return [
        Alert(
            "ExternalSecretNotSynced",
            'externalsecret_status_condition{condition="Ready",status="False"} == 1',
            "15m",
            "warning",
            f"ExternalSecret {secret} cannot sync",
            "Its Kubernetes Secret is missing or stale: the cloud secret is missing, the "
            "store may not be used from that namespace, or the identity lacks access.",
            "kubectl -n {{ $labels.exported_namespace }} describe externalsecret "
            "{{ $labels.name }}; check the remote key exists under the stack's prefix and "
            "the namespace is allowed to use the store (secrets.storeNamespaces).",
        ),
        Alert(
            "ExternalSecretSyncErrors",
            "increase(externalsecret_sync_calls_error[15m]) > 0",
            "15m",
            "warning",
            f"ExternalSecret {secret} keeps failing to sync",
            "Sync calls fail repeatedly (throttling, transient provider errors, or a "
            "broken store).",
            "kubectl -n external-secrets logs deploy/external-secrets and look for the "
            "secret's name.",
        ),
    ]


def postgres_alerts(db: DatabaseWatch) -> list[Alert]:
    """Alerts on one Postgres cluster; its pods are `<name>-<n>` in its namespace."""
    pods = f'namespace="{db.namespace}", pod=~"{db.name}-[0-9]+"'
    volumes = f'namespace="{db.namespace}", persistentvolumeclaim=~"{db.name}-[0-9]+(-wal)?"'
    labels = {"namespace": db.namespace, "cluster": db.name}
    where = f"{db.namespace}/{db.name}"
    alerts = [
        Alert(
            "PostgresInstanceDown",
            f"(count(cnpg_collector_up{{{pods}}} == 1) or vector(0)) < {db.instances}",
            "5m",
            "critical",
            f"Postgres cluster {where} has fewer than {db.instances} instances up",
            "An instance is down or unreachable; with all of them down the database is "
            "unavailable.",
            f"kubectl -n {db.namespace} get cluster {db.name} and its pods; "
            f"kubectl -n {db.namespace} describe pod on the failing one (scheduling, "
            "volume, OOM) and read its logs. The operator fails over to a replica on its "
            "own; a lost primary with no replica needs a restore (docs/databases.md).",
            labels,
        ),
        Alert(
            "PostgresVolumeFillingUp",
            f"max by (namespace, persistentvolumeclaim) "
            f"(kubelet_volume_stats_used_bytes{{{volumes}}} "
            f"/ kubelet_volume_stats_capacity_bytes{{{volumes}}}) > 0.8",
            "10m",
            "warning",
            f"Volume {{{{ $labels.persistentvolumeclaim }}}} of {where} is over 80% full",
            "A full data volume stops writes; a full WAL volume stops the instance.",
            "Raise databases[].storage.size (or walSize) and run `pulumi up`: the "
            "StorageClass allows expansion. A growing WAL volume with backups on usually "
            "means archiving fails (see PostgresWALArchivingFailing).",
            labels,
        ),
    ]
    if db.instances > 1:
        alerts.append(
            Alert(
                "PostgresReplicationLag",
                f"max by (namespace, pod) (cnpg_pg_replication_lag{{{pods}}}) > 300",
                "5m",
                "warning",
                f"Replica {{{{ $labels.pod }}}} of {where} is more than 5 minutes behind",
                "A failover to this replica would lose the missing transactions, and "
                "reads from it are stale.",
                "Check the replica's network, disk throughput and CPU; a replica that "
                "cannot catch up can be recreated by deleting its pod and volume claim "
                "(the operator clones it again from the primary).",
                labels,
            )
        )
    if db.backup_period_seconds is not None:
        twice = 2 * db.backup_period_seconds
        alerts += [
            Alert(
                "PostgresWALArchivingFailing",
                f"cnpg_pg_stat_archiver_last_failed_time{{{pods}}} "
                f"> cnpg_pg_stat_archiver_last_archived_time{{{pods}}}",
                "10m",
                "critical",
                f"WAL archiving of {where} is failing",
                "WAL is not reaching the object store: point-in-time recovery stops at the "
                "last archived segment and WAL piles up on the WAL volume.",
                f"kubectl -n {db.namespace} logs {{{{ $labels.pod }}}} -c plugin-barman-cloud; "
                "check the bucket, its KMS key and the cluster's workload identity "
                f"(kubectl -n {db.namespace} describe objectstore {db.name}-backups).",
                labels,
            ),
            Alert(
                "PostgresBackupTooOld",
                f"time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp"
                f"{{{pods}}}) > {twice}",
                "30m",
                "critical",
                f"The last base backup of {where} is older than twice its schedule",
                f"No base backup has succeeded for {twice // 3600} hours: a restore would "
                "have to replay more WAL than planned, or find none.",
                f"kubectl -n {db.namespace} get backups, and describe the newest failed one; "
                f"kubectl -n {db.namespace} get scheduledbackup {db.name}-backup. Start one "
                "by hand with a Backup (method: plugin) once the cause is fixed.",
                labels,
            ),
        ]
    return alerts


def node_pool_alerts(sources: AlertSources) -> list[Alert]:
    summary = "Node pool {{ $labels.node_group }} is at its maximum size"
    description = (
        "The autoscaler cannot add nodes to this pool: pods that need more capacity stay Pending."
    )
    runbook = (
        "Raise nodePools[].maxSize and run `pulumi up`, or reduce what runs on the pool "
        "(kubectl get pods -A --field-selector=status.phase=Pending)."
    )
    if sources.node_pools == "cluster-autoscaler":
        return [
            Alert(
                "NodePoolAtMaximum",
                "cluster_autoscaler_node_group_target_count "
                ">= cluster_autoscaler_node_group_max_count",
                "15m",
                "warning",
                summary,
                description,
                runbook,
            )
        ]
    if sources.node_pools == "gke":
        label = "label_cloud_google_com_gke_nodepool"
        return [
            Alert(
                "NodePoolAtMaximum",
                f'count(kube_node_labels{{{label}="{pool.name}"}}) >= {pool.max_size}',
                "15m",
                "warning",
                summary.replace("{{ $labels.node_group }}", pool.name),
                description,
                runbook,
                {"node_pool": pool.name},
            )
            for pool in sources.gke_node_pools
        ]
    return []


def gitops_alerts(engine: Literal["flux", "argocd"]) -> list[Alert]:
    if engine == "flux":
        expr = 'flux_resource_info{ready="False", suspended="False"} == 1'
        what = "{{ $labels.kind }} {{ $labels.exported_namespace }}/{{ $labels.name }}"
        runbook = (
            "flux get all -A --status-selector ready=false; kubectl -n "
            "{{ $labels.exported_namespace }} describe {{ $labels.kind }} {{ $labels.name }} "
            "for the failing revision and error; fix the commit in Git."
        )
    else:
        expr = (
            'argocd_app_info{sync_status!="Synced"} == 1 '
            'or argocd_app_info{health_status="Degraded"} == 1'
        )
        what = "Application {{ $labels.name }}"
        runbook = (
            "argocd app get {{ $labels.name }} for the failing sync operation and degraded "
            "resources; fix the commit in Git or sync by hand."
        )
    return [
        Alert(
            "GitOpsReconcileFailing",
            expr,
            "15m" if engine == "flux" else "30m",
            "warning",
            f"{what} does not reconcile",
            "The cluster no longer follows Git for this object: new commits are not applied.",
            runbook,
        )
    ]


def rule_groups(sources: AlertSources) -> list[dict[str, Any]]:
    """The rule groups of the pieces a stack installs, one group per piece (and per Postgres
    cluster), for one PrometheusRule."""
    groups: list[tuple[str, list[Alert]]] = []
    if sources.certificates:
        groups.append(("certificates", certificate_alerts()))
    if sources.ingress:
        groups.append(("ingress", ingress_alerts(sources.ingress_error_ratio)))
    if sources.external_dns:
        groups.append(("external-dns", dns_alerts()))
    if sources.external_secrets:
        groups.append(("external-secrets", secrets_alerts()))
    groups += [
        (f"postgres-{db.namespace}-{db.name}", postgres_alerts(db)) for db in sources.databases
    ]
    nodes = node_pool_alerts(sources)
    if nodes:
        groups.append(("node-pools", nodes))
    if sources.gitops is not None:
        groups.append(("gitops", gitops_alerts(sources.gitops)))
    return [{"name": name, "rules": [a.rule() for a in alerts]} for name, alerts in groups]
