"""Every platform piece is scraped: where a chart has its own ServiceMonitor or PodMonitor, its
values turn it on; otherwise the platform creates one.

What turns each chart's monitor on, read in its values.yaml and templates at the pinned tag:

- cert-manager v1.21.1: `prometheus.servicemonitor.enabled` (templates/servicemonitor.yaml,
  one monitor for controller, webhook and cainjector);
- approver-policy v0.27.0: `app.metrics.service.servicemonitor.enabled`;
- Traefik chart 41.3.0: `metrics.prometheus.serviceMonitor.enabled` with
  `metrics.prometheus.service.enabled` (templates/servicemonitor.yaml selects the metrics
  Service; the main Service does not expose the metrics port);
- aws-load-balancer-controller 3.5.0, external-dns 1.21.1, external-secrets 2.9.0:
  `serviceMonitor.enabled`;
- cloudnative-pg 0.29.0: `monitoring.podMonitorEnabled` (the operator), and per Postgres
  cluster a PodMonitor on `cnpg.io/cluster` (CloudNativePG v1.30.0 docs/src/monitoring.md: the
  recommended, user-managed PodMonitor; `spec.monitoring.enablePodMonitor` is deprecated). The
  Barman Cloud plugin (chart 0.7.0, plugin v0.13.0) reports its backup metrics through each
  instance's exporter (internal/cnpgi/instance/metrics.go) and its own controller's metrics
  are off (`--metrics-bind-address` defaults to 0; the chart has no value for it);
- cluster-autoscaler 9.59.0 (EKS): it is installed with the cluster, before the CRDs exist,
  so the monitoring stack creates a ServiceMonitor for the chart's Service (templates/
  service.yaml: labels `app.kubernetes.io/instance`, `app.kubernetes.io/name`, port `http`);
- kube-prometheus-stack 88.5.3 monitors itself, kube-state-metrics, node-exporter, the kubelet,
  the API server and CoreDNS;
- flux-operator chart (controlplaneio-fluxcd/charts charts/flux-operator, values.yaml and
  templates/servicemonitor.yaml; 0.49.0 is the newest chart stored, the operator is v0.58.1):
  `serviceMonitor.create`, a ServiceMonitor on the operator's Service, port 8080. The operator
  exports `flux_resource_info` for every Flux object (flux-operator v0.58.1
  internal/reporter/metrics.go, docs/guides/instance/instance-monitoring.md), what the GitOps
  alert reads. It does not select the Flux controllers, which serve their own metrics
  (controller-runtime, work queues, `gotk_reconcile_duration_seconds`) on port `http-prom`
  (8080) of each pod the FluxInstance installs (v0.58.1 config/data/flux/v2.9.4/*.yaml): the
  operator's config/monitoring/flux-controllers.yaml scrapes them with a PodMonitor on pods
  labelled `app.kubernetes.io/part-of: flux`, and its flux-performance dashboard reads them;
- argo-cd chart 10.1.1 (argoproj/argo-helm tag argo-cd-10.1.1): `<component>.metrics.enabled`
  (the metrics Service) and `<component>.metrics.serviceMonitor.enabled` for the application
  controller, server, repo server, ApplicationSet and notifications controllers
  (templates/argocd-*/metrics.yaml, servicemonitor.yaml); Dex is off and Redis would need an
  exporter sidecar.

A chart missing from `SCRAPED` fails the rule, so a new platform chart is read before it
ships unwatched. The Tailscale operator chart (1.102.3) has no metrics values and no metrics
endpoint the platform could scrape.
"""

from __future__ import annotations

import copy

from kube_platform.components.cluster import eks_autoscaler
from kube_platform.stacks import offline
from kube_platform.stacks.plan_footprint import chart_name, value_at

RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
POSTGRES = "kubernetes:postgresql.cnpg.io/v1:Cluster"
FLUX_INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance"
ARGOCD_COMPONENTS = ("controller", "server", "repoServer", "applicationSet", "notifications")

# chart -> value paths that must all be true; None: the platform creates the monitor.
SCRAPED: dict[str, tuple[str, ...] | None] = {
    "cert-manager": ("prometheus.enabled", "prometheus.servicemonitor.enabled"),
    "cert-manager-approver-policy": (
        "app.metrics.service.enabled",
        "app.metrics.service.servicemonitor.enabled",
    ),
    "traefik": (
        "metrics.prometheus.service.enabled",
        "metrics.prometheus.serviceMonitor.enabled",
    ),
    "aws-load-balancer-controller": ("serviceMonitor.enabled",),
    "external-dns": ("serviceMonitor.enabled",),
    "external-secrets": ("serviceMonitor.enabled",),
    "cloudnative-pg": ("monitoring.podMonitorEnabled",),
    "plugin-barman-cloud": None,
    "cluster-autoscaler": None,
    "kube-prometheus-stack": (),
    "tailscale-operator": None,
    "flux-operator": ("serviceMonitor.create",),
    "argo-cd": tuple(
        f"{component}.metrics.{key}"
        for component in ARGOCD_COMPONENTS
        for key in ("enabled", "serviceMonitor.enabled")
    ),
}


def unscraped(run: offline.Run) -> list[str]:
    if not any(chart_name(r) == "kube-prometheus-stack" for r in run.of_type(RELEASE)):
        return []  # monitoring is off in this stack
    found = []
    for release in run.of_type(RELEASE):
        chart = chart_name(release)
        if chart not in SCRAPED:
            found.append(f"{release.name}: chart {chart!r} has no entry in SCRAPED")
            continue
        paths = SCRAPED[chart] or ()
        off = [p for p in paths if value_at(release.inputs.get("values") or {}, p) is not True]
        if off:
            found.append(f"{release.name}: {chart} is not scraped ({', '.join(off)} not true)")
        if chart == "cluster-autoscaler" and not _autoscaler_monitor(run):
            found.append(f"{release.name}: no ServiceMonitor selects cluster-autoscaler")
    found += [
        f"{instance.name}: no PodMonitor scrapes the Flux controllers' http-prom port"
        for instance in run.of_type(FLUX_INSTANCE)
        if not _flux_controllers_monitor(run, instance.inputs["metadata"]["namespace"])
    ]
    monitored = {
        (
            m.inputs["metadata"]["namespace"],
            m.inputs["spec"]["selector"].get("matchLabels", {}).get("cnpg.io/cluster"),
        )
        for m in run.of_type(POD_MONITOR)
    }
    for cluster in run.of_type(POSTGRES):
        metadata = cluster.inputs["metadata"]
        if (metadata["namespace"], metadata["name"]) not in monitored:
            found.append(
                f"{cluster.name}: no PodMonitor selects Postgres cluster {metadata['name']}"
            )
    return found


def _flux_controllers_monitor(run: offline.Run, namespace: str) -> bool:
    """A PodMonitor in the Flux namespace selecting `app.kubernetes.io/part-of: flux` pods on
    their `http-prom` port."""
    for monitor in run.of_type(POD_MONITOR):
        spec = monitor.inputs["spec"]
        selector = spec.get("selector", {})
        selects_flux = selector.get("matchLabels", {}).get("app.kubernetes.io/part-of") == (
            "flux"
        ) or any(
            e["key"] == "app.kubernetes.io/part-of"
            and e["operator"] == "In"
            and "flux" in e["values"]
            for e in selector.get("matchExpressions", [])
        )
        if (
            monitor.inputs["metadata"]["namespace"] == namespace
            and selects_flux
            and any(e.get("port") == "http-prom" for e in spec.get("podMetricsEndpoints", []))
        ):
            return True
    return False


def _autoscaler_monitor(run: offline.Run) -> bool:
    return any(
        m.inputs["metadata"]["namespace"] == eks_autoscaler.NAMESPACE
        and m.inputs["spec"]["selector"]["matchLabels"] == eks_autoscaler.SERVICE_LABELS
        and m.inputs["spec"]["endpoints"][0]["port"] == eks_autoscaler.METRICS_PORT_NAME
        for m in run.of_type(SERVICE_MONITOR)
    )


def test_every_platform_piece_is_scraped(every_stack):
    assert unscraped(every_stack) == []


def test_the_autoscaler_monitor_matches_the_chart_service(stack_run):
    run = stack_run("prod")
    [autoscaler] = [r for r in run.of_type(RELEASE) if chart_name(r) == "cluster-autoscaler"]
    # The chart names its Service's `app.kubernetes.io/name` `<cloudProvider>-cluster-autoscaler`
    # and its instance label after the release.
    assert autoscaler.inputs["name"] == eks_autoscaler.SERVICE_LABELS["app.kubernetes.io/instance"]
    assert (
        f"{autoscaler.inputs['values']['cloudProvider']}-cluster-autoscaler"
        == (eks_autoscaler.SERVICE_LABELS["app.kubernetes.io/name"])
    )
    assert "--emit-per-nodegroup-metrics=true" in autoscaler.inputs["values"]["customArgs"]
    assert _autoscaler_monitor(run)


def _edited(run: offline.Run, name: str, edit) -> offline.Run:
    changed = copy.deepcopy(run.named(name))
    edit(changed)
    return offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )


def test_a_chart_with_its_monitor_off_is_refused(stack_run):
    """Before this change no platform chart turned its monitor on."""
    run = stack_run("prod")
    assert unscraped(run) == []

    def monitor_off(release):
        del release.inputs["values"]["serviceMonitor"]

    mutated = _edited(run, "external-dns-external-dns", monitor_off)
    assert unscraped(mutated) == [
        "external-dns-external-dns: external-dns is not scraped (serviceMonitor.enabled not true)"
    ]


def _without_pod_monitors(run: offline.Run, selecting: str) -> offline.Run:
    """`run` without the PodMonitors whose selector matches on label `selecting`."""
    registrations = {
        u: r
        for u, r in run.registrations.items()
        if r.type != POD_MONITOR or selecting not in r.inputs["spec"]["selector"]["matchLabels"]
    }
    return offline.Run(run.stack, run.preview, registrations, run.outputs, [])


def test_a_postgres_cluster_without_its_pod_monitor_is_refused(stack_run):
    mutated = _without_pod_monitors(stack_run("prod"), "cnpg.io/cluster")
    assert unscraped(mutated) == ["app-db: no PodMonitor selects Postgres cluster app-db"]


def test_flux_controllers_without_their_pod_monitor_are_refused(stack_run):
    """Before this change only the operator was scraped: its ServiceMonitor selects
    `app.kubernetes.io/name: flux-operator`, no controller pod."""
    mutated = _without_pod_monitors(stack_run("prod"), "app.kubernetes.io/part-of")
    assert unscraped(mutated) == [
        "flux-instance: no PodMonitor scrapes the Flux controllers' http-prom port"
    ]


def test_argo_cd_with_a_component_unscraped_is_refused(stack_run):
    run = stack_run("argocd")
    assert unscraped(run) == []

    def notifications_off(release):
        release.inputs["values"]["notifications"]["metrics"]["serviceMonitor"] = {}

    mutated = _edited(run, "argocd-argo-cd", notifications_off)
    assert unscraped(mutated) == [
        "argocd-argo-cd: argo-cd is not scraped "
        "(notifications.metrics.serviceMonitor.enabled not true)"
    ]


def test_a_chart_nobody_has_read_is_refused(stack_run):
    run = stack_run("dev")

    def rename(release):
        release.inputs["chart"] = "kyverno"

    mutated = _edited(run, "ingress-traefik", rename)
    assert unscraped(mutated) == ["ingress-traefik: chart 'kyverno' has no entry in SCRAPED"]
