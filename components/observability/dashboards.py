"""Grafana dashboards beyond the cluster dashboards kube-prometheus-stack ships.

None is copied into this repository: Grafana's `download-dashboards` init container fetches
each one when the pod starts, from grafana.com by id and revision or from its project's
repository at a pinned tag (grafana chart `dashboards.<provider>.<name>.gnetId`/`url`).
CloudNativePG's dashboard comes from its own chart (`monitoring.grafanaDashboard.create`), as a
ConfigMap the Grafana sidecar loads.
"""

from __future__ import annotations

from typing import Any, Literal

from kube_platform.components import versions

PROVIDER = "platform"
FOLDER = "Platform"
DASHBOARD_PATH = f"/var/lib/grafana/dashboards/{PROVIDER}"
# The datasource kube-prometheus-stack provisions (grafana.sidecar.datasources.uid).
DATASOURCE_UID = "prometheus"
# Dashboards published with an import input for their datasource get the platform's.
_PROMETHEUS_INPUT = [{"name": "DS_PROMETHEUS", "value": DATASOURCE_UID}]


def dashboards(
    *, cert_manager: bool, traefik: bool, gitops: Literal["flux", "argocd"] | None
) -> dict[str, dict[str, Any]]:
    """The downloaded dashboards of the pieces a stack installs, by name."""
    found: dict[str, dict[str, Any]] = {}
    if cert_manager:
        dashboard_id, revision = versions.CERT_MANAGER_DASHBOARD
        found["cert-manager"] = {
            "gnetId": dashboard_id,
            "revision": revision,
            "datasource": _PROMETHEUS_INPUT,
        }
    if traefik:
        found["traefik"] = {"url": versions.TRAEFIK_DASHBOARD_URL, "datasource": _PROMETHEUS_INPUT}
    if gitops == "flux":
        found["flux"] = {"url": versions.FLUX_DASHBOARD_URL, "datasource": _PROMETHEUS_INPUT}
    if gitops == "argocd":
        # No import input: its `datasource` variable defaults to the datasource whose uid is
        # `prometheus`, the platform's. Its panels select the jobs argocd-*-metrics, the
        # metrics Services of the argo-cd chart under the platform's names.
        found["argocd"] = {"url": versions.ARGO_CD_DASHBOARD_URL}
    return found


def grafana_dashboard_values(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """grafana chart values that provision `found` from one file provider."""
    if not found:
        return {}
    return {
        "dashboardProviders": {
            "dashboardproviders.yaml": {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": PROVIDER,
                        "orgId": 1,
                        "folder": FOLDER,
                        "type": "file",
                        "disableDeletion": True,
                        "editable": False,
                        "options": {"path": DASHBOARD_PATH},
                    }
                ],
            }
        },
        "dashboards": {PROVIDER: found},
        # Fail on HTTP errors, follow redirects, and verify TLS (the chart default skips it).
        "defaultCurlOptions": "-sfL",
    }
