"""On GKE every admission webhook the platform installs listens where the control plane can
reach it.

Google's firewall-rules reference ("Automatically created firewall rules",
https://cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules) lists the only rule
that lets the control plane of a cluster with private nodes reach the nodes and their pods:
`gke-<cluster>-<hash>-master`, TCP 443 and 10250. A webhook served on any other port times
out, and with `failurePolicy: Fail` every object it admits is refused. CloudNativePG's own
installation guide says so for its webhook on 9443 (cloudnative-pg v1.30.0,
docs/src/installation_upgrade.md, and cloudnative-pg/cloudnative-pg#1360); cert-manager moved
its webhook to 10250 for this reason (values.yaml at v1.21.1, `webhook.securePort`).

`WEBHOOK_SERVERS` says, for every chart the platform may install, where its templates make a
webhook listen (read at the pinned tag); a chart missing from it fails the rule, so a new
chart is read before it reaches a GKE cluster.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kube_platform.components.data.postgres_operator import WEBHOOK_PORT
from kube_platform.stacks import offline
from kube_platform.stacks.plan_footprint import chart_name
from tests.conformance import CHART_SCHEMAS
from tests.conftest import SCHEMAS

RELEASE = "kubernetes:helm.sh/v3:Release"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
# What `gke-<cluster>-<hash>-master` opens from the control plane to nodes and pods.
CONTROL_PLANE_PORTS = {443, 10250}


@dataclass(frozen=True)
class Listener:
    """One webhook server as rendered: the pod port and whether it shares the node's network
    (on the node, 10250 belongs to kubelet)."""

    port: int
    host_network: bool


@dataclass(frozen=True)
class WebhookServers:
    """Where a chart's webhooks listen, as a function of its values. `defaults` are the
    chart's own values.yaml defaults for the keys read (checked against it below)."""

    listeners: Callable[[Callable[[str], Any]], list[Listener]]
    defaults: dict[str, Any]
    source: str


WEBHOOK_SERVERS: dict[str, WebhookServers] = {
    "cert-manager": WebhookServers(
        # `webhook.config.securePort` wins over `webhook.securePort` when set.
        lambda v: [
            Listener(
                int(v("webhook.config.securePort") or v("webhook.securePort")),
                bool(v("webhook.hostNetwork")),
            )
        ],
        {"webhook.securePort": 10250, "webhook.hostNetwork": False},
        "cert-manager v1.21.1 deploy/charts/cert-manager/templates/webhook-deployment.yaml",
    ),
    "cloudnative-pg": WebhookServers(
        lambda v: (
            [Listener(int(v("webhook.port")), bool(v("hostNetwork")))]
            if v("webhook.validating.create") or v("webhook.mutating.create")
            else []
        ),
        {
            "webhook.port": 9443,
            "webhook.validating.create": True,
            "webhook.mutating.create": True,
            "hostNetwork": False,
        },
        "cloudnative-pg/charts cloudnative-pg-v0.29.0 charts/cloudnative-pg/templates/"
        "deployment.yaml (--webhook-port, containerPort webhook-server)",
    ),
    "external-secrets": WebhookServers(
        lambda v: (
            [Listener(int(v("webhook.port")), bool(v("webhook.hostNetwork")))]
            if v("webhook.create")
            else []
        ),
        {"webhook.create": True, "webhook.port": 10250, "webhook.hostNetwork": False},
        "external-secrets helm-chart-2.9.0 deploy/charts/external-secrets/templates/"
        "webhook-deployment.yaml (--port, containerPort)",
    ),
    "cert-manager-approver-policy": WebhookServers(
        lambda v: [Listener(int(v("app.webhook.port")), bool(v("hostNetwork")))],
        {"app.webhook.port": 10250, "hostNetwork": False},
        "cert-manager/approver-policy v0.27.0 deploy/charts/approver-policy/values.yaml",
    ),
    "traefik": WebhookServers(
        # Only Traefik Hub's API management renders an admission webhook (default :9943).
        lambda v: (
            [
                Listener(
                    int(
                        str(v("hub.apimanagement.admission.listenAddr") or ":9943").rsplit(":")[-1]
                    ),
                    bool(v("hostNetwork")),
                )
            ]
            if v("hub.token") and v("hub.apimanagement.enabled")
            else []
        ),
        {"hub.token": "", "hub.apimanagement.enabled": False},
        "traefik-helm-chart v41.3.0 traefik/templates/hub-admission-controller.yaml, "
        "_podtemplate.tpl (containerPort admission)",
    ),
    "kube-prometheus-stack": WebhookServers(
        # The operator itself serves the PrometheusRule/AlertmanagerConfig webhooks on
        # `tls.internalPort`, or a separate admission-webhook Deployment on its own port.
        lambda v: (
            [
                Listener(
                    int(v("prometheusOperator.admissionWebhooks.deployment.tls.internalPort")),
                    bool(v("prometheusOperator.admissionWebhooks.deployment.hostNetwork")),
                )
                if v("prometheusOperator.admissionWebhooks.deployment.enabled")
                else Listener(
                    int(v("prometheusOperator.tls.internalPort")),
                    bool(v("prometheusOperator.hostNetwork")),
                )
            ]
            if v("prometheusOperator.admissionWebhooks.enabled")
            else []
        ),
        {
            "prometheusOperator.admissionWebhooks.enabled": True,
            "prometheusOperator.admissionWebhooks.deployment.enabled": False,
            "prometheusOperator.admissionWebhooks.deployment.tls.internalPort": 10250,
            "prometheusOperator.admissionWebhooks.deployment.hostNetwork": False,
            "prometheusOperator.tls.internalPort": 10250,
            "prometheusOperator.hostNetwork": False,
        },
        "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 templates/"
        "prometheus-operator/deployment.yaml (--web.listen-address, containerPort https), "
        "admission-webhooks/validatingWebhookConfiguration.yaml",
    ),
    # No admission webhook in these charts' templates at the pinned tags. The barman plugin
    # is called by the operator over gRPC (9090), pod to pod, never by the control plane.
    "plugin-barman-cloud": WebhookServers(
        lambda v: [], {}, "cloudnative-pg/charts plugin-barman-cloud-v0.7.0 templates/"
    ),
    "external-dns": WebhookServers(
        lambda v: [], {}, "external-dns external-dns-helm-chart-1.21.1 charts/external-dns"
    ),
    "tailscale-operator": WebhookServers(
        lambda v: [], {}, "tailscale v1.102.3 cmd/k8s-operator/deploy/chart/templates/"
    ),
    # Flux validates its APIs with CRD schemas and CEL; neither the operator's chart nor the
    # controllers it installs register an admission webhook.
    "flux-operator": WebhookServers(
        lambda v: [], {}, "controlplaneio-fluxcd/charts charts/flux-operator/templates/"
    ),
    # Argo CD's "webhook" is an HTTP endpoint for Git providers, not an admission webhook.
    "argo-cd": WebhookServers(lambda v: [], {}, "argoproj/argo-helm charts/argo-cd/templates/"),
}


def _lookup(values: dict[str, Any], defaults: dict[str, Any]) -> Callable[[str], Any]:
    def value(path: str) -> Any:
        node: Any = values
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return defaults.get(path)
            node = node[key]
        return node

    return value


def unreachable_webhooks(run: offline.Run) -> list[str]:
    """Webhooks of `run`'s releases the GKE control plane cannot call, one line each."""
    if not run.of_type(GKE_CLUSTER):
        return []
    found = []
    for release in run.of_type(RELEASE):
        chart = chart_name(release)
        servers = WEBHOOK_SERVERS.get(chart)
        if servers is None:
            found.append(
                f"{release.name}: chart {chart!r} has no entry in WEBHOOK_SERVERS; read its "
                "webhook templates at the pinned tag and add one"
            )
            continue
        value = _lookup(release.inputs.get("values") or {}, servers.defaults)
        for listener in servers.listeners(value):
            if listener.port not in CONTROL_PLANE_PORTS:
                found.append(
                    f"{release.name}: {chart} webhook listens on {listener.port}; the GKE "
                    "control plane reaches pods only on 443 and 10250"
                )
            if listener.host_network:
                found.append(
                    f"{release.name}: {chart} webhook runs on the node's network, where "
                    "10250 is kubelet's"
                )
    return found


def test_gke_admission_webhooks_listen_where_the_control_plane_reaches(every_stack):
    assert unreachable_webhooks(every_stack) == []


# --- the rule can fail ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def gke_run(stack_run) -> offline.Run:
    return stack_run("gke-prod")


def _with_release(run: offline.Run, chart: str, values: dict[str, Any]) -> offline.Run:
    """`run` with the release of `chart` given other values (or added when absent)."""
    registrations = dict(run.registrations)
    matching = [r for r in run.of_type(RELEASE) if chart_name(r) == chart]
    release = copy.deepcopy(matching[0] if matching else run.of_type(RELEASE)[0])
    release.inputs["chart"] = chart
    release.inputs["values"] = values
    release.urn = f"{release.urn}-mutated"
    for r in matching:
        registrations.pop(r.urn)
    registrations[release.urn] = release
    return offline.Run(run.stack, run.preview, registrations, run.outputs, [])


def test_the_postgres_operator_webhook_is_moved_off_the_chart_default(gke_run):
    [operator] = [r for r in gke_run.of_type(RELEASE) if chart_name(r) == "cloudnative-pg"]
    assert operator.inputs["values"]["webhook"]["port"] == WEBHOOK_PORT


def test_the_chart_default_cloudnative_pg_port_is_unreachable(gke_run):
    values = copy.deepcopy(
        next(r for r in gke_run.of_type(RELEASE) if chart_name(r) == "cloudnative-pg").inputs[
            "values"
        ]
    )
    del values["webhook"]
    assert unreachable_webhooks(_with_release(gke_run, "cloudnative-pg", values)) == [
        "postgres-operator-cloudnative-pg: cloudnative-pg webhook listens on 9443; the GKE "
        "control plane reaches pods only on 443 and 10250"
    ]


def test_a_webhook_on_the_node_network_is_refused(gke_run):
    values = {"webhook": {"hostNetwork": True}}
    [finding] = unreachable_webhooks(_with_release(gke_run, "external-secrets", values))
    assert "runs on the node's network" in finding


def test_a_chart_nobody_has_read_is_refused(gke_run):
    [finding] = unreachable_webhooks(_with_release(gke_run, "kyverno", {}))
    assert "chart 'kyverno' has no entry in WEBHOOK_SERVERS" in finding


def test_other_clouds_are_not_concerned(stack_run):
    assert unreachable_webhooks(stack_run("staging")) == []


# --- the table matches the charts ----------------------------------------------------------

_SCHEMA_FOLDERS = {
    **CHART_SCHEMAS,
    "cert-manager-approver-policy": "cert-manager-approver-policy/chart",
}


@pytest.mark.parametrize("chart", sorted(WEBHOOK_SERVERS))
def test_the_table_defaults_are_the_charts_defaults(chart):
    values_file = SCHEMAS / _SCHEMA_FOLDERS[chart] / "values.yaml"
    if not values_file.exists():
        pytest.skip(f"{values_file} is not here (shared/schemas sits beside the repository)")
    chart_values = yaml.safe_load(values_file.read_text())
    value = _lookup(chart_values, {})
    assert {path: value(path) for path in WEBHOOK_SERVERS[chart].defaults} == (
        WEBHOOK_SERVERS[chart].defaults
    )
