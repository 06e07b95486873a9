"""Every monitor waits for the prometheus-operator CRDs, which the platform applies server-side.

- kube-prometheus-stack keeps these CRDs in its `crds` sub-chart's crds/ folder
  (prometheus-community/helm-charts kube-prometheus-stack-88.5.3,
  charts/kube-prometheus-stack/charts/crds/crds/), which Helm installs on first install only
  and never upgrades ("Some caveats and explanations", https://helm.sh/docs/chart_best_practices/
  custom_resource_definitions/). The platform applies the same files from the chart's tag.
- A chart that renders a ServiceMonitor or PodMonitor fails to install when the CRD is missing
  (Traefik 41.3.0 templates/servicemonitor.yaml `fail "You have to deploy monitoring.coreos.com/v1
  first"` unless disableAPICheck; External Secrets 2.9.0 `serviceMonitor.renderMode`), or the
  Kubernetes API rejects the unknown kind; so each such release depends on the CRD installer,
  as does every monitoring object the program creates itself.
- Several of these CRDs exceed 256 KiB (crd-prometheuses.yaml is 833 KB, see SOURCES.md), more
  than the `kubectl.kubernetes.io/last-applied-configuration` annotation of a client-side apply
  may hold (Kubernetes limits all annotations of an object to 256 KiB), so the provider must
  apply them server-side: pulumi-kubernetes 4.x defaults `enableServerSideApply` to true, and a
  provider that turns it off cannot create them.

`CHART_MONITORS` says, for every chart with a monitor, which value turns it on (read at the
pinned tags).
"""

from __future__ import annotations

import copy

from kube_platform.components import versions
from kube_platform.stacks import offline
from kube_platform.stacks.plan_footprint import chart_name, value_at

RELEASE = "kubernetes:helm.sh/v3:Release"
CRDS = "kubernetes:yaml/v2:ConfigGroup"
PROVIDER = "pulumi:providers:kubernetes"
GROUP = "monitoring.coreos.com"

CHART_MONITORS = {
    "cert-manager": ("prometheus.servicemonitor.enabled", "prometheus.podmonitor.enabled"),
    "cert-manager-approver-policy": ("app.metrics.service.servicemonitor.enabled",),
    "traefik": ("metrics.prometheus.serviceMonitor.enabled",),
    "aws-load-balancer-controller": ("serviceMonitor.enabled",),
    "external-dns": ("serviceMonitor.enabled",),
    "external-secrets": ("serviceMonitor.enabled",),
    "cloudnative-pg": ("monitoring.podMonitorEnabled",),
    "cluster-autoscaler": ("serviceMonitor.enabled",),
    "kube-prometheus-stack": ("prometheus.enabled",),
    "flux-operator": ("serviceMonitor.create",),
    "argo-cd": ("controller.metrics.serviceMonitor.enabled",),
}


def _crd_installers(run: offline.Run) -> set[str]:
    return {
        r.urn
        for r in run.of_type(CRDS)
        if r.inputs.get("files") == list(versions.MONITORING_CRDS_URLS)
    }


def unordered_monitors(run: offline.Run) -> list[str]:
    installers = _crd_installers(run)
    found = []
    for r in run.registrations.values():
        monitor_object = str(r.inputs.get("apiVersion", "")).startswith(f"{GROUP}/")
        chart_monitor = r.type == RELEASE and any(
            value_at(r.inputs.get("values") or {}, path) is True
            for path in CHART_MONITORS.get(chart_name(r), ())
        )
        if (monitor_object or chart_monitor) and not installers & set(r.dependencies):
            found.append(f"{r.name} does not wait for the prometheus-operator CRDs")
    for provider in run.of_type(PROVIDER):
        if installers and str(provider.inputs.get("enableServerSideApply", "true")) == "false":
            found.append(f"{provider.name} applies client-side; the CRDs need server-side apply")
    return found


def test_every_monitor_waits_for_the_crds_applied_server_side(every_stack):
    assert unordered_monitors(every_stack) == []


def test_the_rule_sees_monitors_of_every_kind(stack_run):
    run = stack_run("prod")
    kinds = {r.inputs.get("kind") for r in run.registrations.values() if "monitoring" in r.type}
    assert {"PodMonitor", "ServiceMonitor", "PrometheusRule", "AlertmanagerConfig"} <= kinds
    charts = {
        chart_name(r)
        for r in run.of_type(RELEASE)
        if any(value_at(r.inputs["values"], p) for p in CHART_MONITORS.get(chart_name(r), ()))
    }
    assert {"cert-manager", "traefik", "external-dns", "external-secrets"} <= charts


def _without_crds(run: offline.Run, name: str) -> offline.Run:
    changed = copy.deepcopy(run.named(name))
    changed.dependencies = [d for d in changed.dependencies if d not in _crd_installers(run)]
    return offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )


def test_a_postgres_pod_monitor_that_waits_only_for_its_operator_is_refused(stack_run):
    """What the platform did before it installed the CRDs: the PodMonitor of a database with
    `monitoring: true` waited for the CloudNativePG operator alone."""
    run = stack_run("dev")
    assert unordered_monitors(run) == []
    mutated = _without_crds(run, "app-db-pod-monitor")
    assert unordered_monitors(mutated) == [
        "app-db-pod-monitor does not wait for the prometheus-operator CRDs"
    ]


def test_a_chart_monitor_that_races_the_crds_is_refused(stack_run):
    mutated = _without_crds(stack_run("dev"), "ingress-traefik")
    assert unordered_monitors(mutated) == [
        "ingress-traefik does not wait for the prometheus-operator CRDs"
    ]


def test_a_client_side_provider_is_refused(stack_run):
    run = stack_run("dev")
    [provider] = run.of_type(PROVIDER)
    changed = copy.deepcopy(provider)
    changed.inputs["enableServerSideApply"] = "false"
    mutated = offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )
    assert unordered_monitors(mutated) == [
        f"{provider.name} applies client-side; the CRDs need server-side apply"
    ]
