"""How each platform chart is scraped: the chart values that turn on its own ServiceMonitor or
PodMonitor, read at the pinned chart versions. Components merge these into their chart values
when they are given the monitoring CRD installer, and their release then waits for it.

GitOps engines: the Flux operator and Argo CD charts expose their monitors too. The GitOps
concern passes `gitops_monitoring_values(engine)` into its chart values and the CRD installer
into its release's `depends_on`; the Monitoring component's `alerts.gitops` turns on the
GitOps alert and dashboard.
"""

from __future__ import annotations

from typing import Any, Literal


def cert_manager_values() -> dict[str, Any]:
    """cert-manager v1.21.1: one ServiceMonitor for the controller, webhook and cainjector
    (templates/servicemonitor.yaml)."""
    return {"prometheus": {"enabled": True, "servicemonitor": {"enabled": True}}}


def approver_policy_values() -> dict[str, Any]:
    """approver-policy v0.27.0: a ServiceMonitor on its metrics Service."""
    return {"app": {"metrics": {"service": {"enabled": True, "servicemonitor": {"enabled": True}}}}}


def traefik_values() -> dict[str, Any]:
    """Traefik chart 41.3.0: a metrics-only ClusterIP Service and a ServiceMonitor on it (the
    main Service does not expose the metrics port). The API check is off so a missing CRD
    fails the release instead of silently dropping the monitor."""
    return {
        "metrics": {
            "prometheus": {
                "service": {"enabled": True},
                "serviceMonitor": {"enabled": True},
                "disableAPICheck": True,
            }
        }
    }


def aws_load_balancer_controller_values() -> dict[str, Any]:
    """aws-load-balancer-controller chart 3.5.0: a ServiceMonitor for its metrics port."""
    return {"serviceMonitor": {"enabled": True}}


def external_dns_values() -> dict[str, Any]:
    """external-dns chart 1.21.1."""
    return {"serviceMonitor": {"enabled": True}}


def external_secrets_values() -> dict[str, Any]:
    """external-secrets chart 2.9.0: ServiceMonitors for the controller, webhook and cert
    controller. `failIfMissing` fails the install rather than skipping a missing CRD."""
    return {"serviceMonitor": {"enabled": True, "renderMode": "failIfMissing"}}


def cloudnative_pg_values() -> dict[str, Any]:
    """cloudnative-pg chart 0.29.0: a PodMonitor for the operator, and the upstream Grafana
    dashboard as a ConfigMap the Grafana sidecar loads. Each Postgres cluster gets a
    PodMonitor of its own (components/data/postgres.py), as CloudNativePG 1.30 recommends
    instead of the deprecated `spec.monitoring.enablePodMonitor`."""
    return {"monitoring": {"podMonitorEnabled": True, "grafanaDashboard": {"create": True}}}


# The argo-cd chart's components with metrics that the platform runs (Dex is off; Redis has
# metrics only through an exporter sidecar, which the platform does not add).
ARGOCD_MONITORED = ("controller", "server", "repoServer", "applicationSet", "notifications")


def gitops_monitoring_values(engine: Literal["flux", "argocd"]) -> dict[str, Any]:
    """Flux operator chart: its ServiceMonitor (`serviceMonitor.create`), and the report that
    feeds `flux_resource_info` refreshed every 30s instead of every 5m, as the operator's
    monitoring guide recommends when its metrics are used (flux-operator v0.58.1
    docs/guides/instance/instance-monitoring.md). The Flux controllers are not covered by that
    monitor: the Flux component adds a PodMonitor for them. Argo CD chart 10.1.1: the metrics
    Service and ServiceMonitor of every component it runs with the platform's values, the
    application controller, server, repo server, ApplicationSet controller and notifications
    controller (`<component>.metrics.enabled`, `.metrics.serviceMonitor.enabled`)."""
    if engine == "flux":
        return {"serviceMonitor": {"create": True}, "reporting": {"interval": "30s"}}
    monitored = {"metrics": {"enabled": True, "serviceMonitor": {"enabled": True}}}
    return {component: monitored for component in ARGOCD_MONITORED}
