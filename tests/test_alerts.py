"""The platform's alerts: every expression parses as PromQL and names only metrics the pinned
components export; each stack gets the alerts of the pieces it installs; alert routing never
holds a webhook URL or key in plaintext."""

from __future__ import annotations

import pytest
from promql_parser import MatrixSelector, VectorSelector, parse

from kube_platform.components.data.schedule import longest_gap_seconds
from kube_platform.components.observability import alerting
from kube_platform.components.observability.alerts import (
    EXPORTED_METRICS,
    AlertSources,
    DatabaseWatch,
    NodePoolLimit,
    rule_groups,
)
from kube_platform.stacks.offline import Run

RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
AM_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
KNOWN_METRICS = frozenset().union(*(m.metrics for m in EXPORTED_METRICS.values()))

# Every alert group the program can build: all pieces, both node pool sources, both engines.
EVERY_SOURCE = [
    AlertSources(
        external_dns=True,
        external_secrets=True,
        databases=(
            DatabaseWatch(
                name="orders", namespace="shop", instances=3, backup_period_seconds=86400
            ),
            DatabaseWatch(name="cache", namespace="shop", instances=1),
        ),
        node_pools="cluster-autoscaler",
        gitops="flux",
    ),
    AlertSources(
        node_pools="gke",
        gke_node_pools=(NodePoolLimit(name="general", max_size=12),),
        gitops="argocd",
    ),
]


def _rules(groups: list[dict]) -> list[dict]:
    return [rule for group in groups for rule in group["rules"]]


EVERY_RULE = [rule for sources in EVERY_SOURCE for rule in _rules(rule_groups(sources))]


def metric_names(expr: str) -> set[str]:
    """Every metric an expression selects, from its parsed syntax tree."""
    names: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, MatrixSelector):
            node = node.vector_selector
        if isinstance(node, VectorSelector):
            names.add(node.name)
            return
        for attr in ("lhs", "rhs", "expr", "param"):
            child = getattr(node, attr, None)
            if child is not None:
                visit(child)
        for arg in getattr(node, "args", None) or []:
            visit(arg)

    visit(parse(expr))
    return names


@pytest.mark.parametrize("rule", EVERY_RULE, ids=lambda r: f"{r['alert']}:{r['expr'][:30]}")
def test_every_alert_parses_and_names_only_exported_metrics(rule):
    names = metric_names(rule["expr"])
    assert names, rule["expr"]
    assert names <= KNOWN_METRICS, names - KNOWN_METRICS


@pytest.mark.parametrize("rule", EVERY_RULE, ids=lambda r: f"{r['alert']}:{r['expr'][:30]}")
def test_every_alert_says_what_it_means_and_what_to_do(rule):
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert set(rule["annotations"]) == {"summary", "description", "runbook"}
    assert all(len(text) > 20 for text in rule["annotations"].values())


def test_the_metric_check_reads_the_syntax_tree():
    assert metric_names('sum by (x) (rate(a_total{code=~"5.."}[5m])) / b > time() - c') == {
        "a_total",
        "b",
        "c",
    }
    with pytest.raises(ValueError):
        parse("rate(a_total[5m)")
    assert {"traefik_service_requests_totl"} - KNOWN_METRICS


def test_every_exported_metric_table_says_where_it_was_read():
    for component, exported in EXPORTED_METRICS.items():
        assert exported.source and exported.metrics, component


# --- the alert set of each stack -----------------------------------------------------------


def _alerts(run: Run) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    [rule] = run.of_type(RULE)
    assert rule.inputs["metadata"] == {"name": "platform-alerts", "namespace": "monitoring"}
    for rule in run.of_type(RULE):
        for group in rule.inputs["spec"]["groups"]:
            for alert in group["rules"]:
                found.setdefault(alert["alert"], []).append(alert)
    return found


def test_an_eks_stack_alerts_on_everything_it_installs(stack_run):
    run = stack_run("prod")
    alerts = _alerts(run)
    assert set(alerts) == {
        "CertificateExpiringSoon",
        "CertificateAboutToExpire",
        "CertificateNotReady",
        "IngressHighErrorRate",
        "ExternalDnsErrors",
        "ExternalDnsSyncStale",
        "ExternalSecretNotSynced",
        "ExternalSecretSyncErrors",
        "PostgresInstanceDown",
        "PostgresVolumeFillingUp",
        "PostgresReplicationLag",
        "PostgresWALArchivingFailing",
        "PostgresBackupTooOld",
        "NodePoolAtMaximum",
        "GitOpsReconcileFailing",
    }
    # The fixture runs Flux: the alert reads the Flux operator's report of every Flux object.
    [gitops] = alerts["GitOpsReconcileFailing"]
    assert metric_names(gitops["expr"]) == {"flux_resource_info"}
    # The fixture's database: three instances, a base backup every day at 02:00.
    [down] = alerts["PostgresInstanceDown"]
    assert down["expr"].endswith("< 3") and 'pod=~"app-db-[0-9]+"' in down["expr"]
    [backup] = alerts["PostgresBackupTooOld"]
    assert backup["expr"].endswith(f"> {2 * 86400}")
    [expiring] = alerts["CertificateExpiringSoon"]
    assert f"< 14 * {86400}" in expiring["expr"]
    [pool] = alerts["NodePoolAtMaximum"]
    assert "cluster_autoscaler_node_group_max_count" in pool["expr"]
    # Every rule waits for the monitoring CRDs.
    crds = run.named("monitoring-crds").urn
    assert all(crds in r.dependencies for r in run.of_type(RULE))


def test_a_gke_stack_watches_each_pool_against_its_own_maximum(stack_run):
    alerts = _alerts(stack_run("gke-prod"))
    pools = {a["labels"]["node_pool"]: a["expr"] for a in alerts["NodePoolAtMaximum"]}
    assert pools == {
        "system": 'count(kube_node_labels{label_cloud_google_com_gke_nodepool="system"}) >= 6',
        "general": 'count(kube_node_labels{label_cloud_google_com_gke_nodepool="general"}) >= 12',
        "spot": 'count(kube_node_labels{label_cloud_google_com_gke_nodepool="spot"}) >= 12',
    }
    # kube-state-metrics exports the pool label only when allowed to.
    [stack] = [
        r for r in stack_run("gke-prod").of_type(RELEASE) if r.name.endswith("prometheus-stack")
    ]
    ksm = stack.inputs["values"]["kube-state-metrics"]
    assert ksm["metricLabelsAllowlist"] == ["nodes=[cloud.google.com/gke-nodepool]"]


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ("@every 1h30m", 5400),
        ("@every 90000ms", 90),
        # robfig/cron runs an interval in whole seconds, at least one.
        ("@every 1500ms", 1),
        ("@every 500ms", 1),
        ("@every 2000000us", 2),
        ("@daily", 86400),
    ],
)
def test_the_backup_age_reads_the_interval_as_cloudnativepg_does(schedule, seconds):
    assert longest_gap_seconds(schedule) == seconds


def test_dev_has_no_backup_or_node_pool_alerts(stack_run):
    alerts = _alerts(stack_run("dev"))
    assert "PostgresInstanceDown" in alerts and "CertificateNotReady" in alerts
    assert not {"PostgresBackupTooOld", "PostgresWALArchivingFailing"} & set(alerts)
    assert "NodePoolAtMaximum" not in alerts and "ExternalDnsErrors" not in alerts
    # One instance: no replica to lag.
    assert "PostgresReplicationLag" not in alerts


def test_the_gitops_engine_brings_its_reconcile_alert():
    flux = _rules(rule_groups(AlertSources(gitops="flux")))
    argocd = _rules(rule_groups(AlertSources(gitops="argocd")))
    none = _rules(rule_groups(AlertSources()))
    assert [r["alert"] for r in flux if "flux_resource_info" in r["expr"]] == [
        "GitOpsReconcileFailing"
    ]
    assert [r["alert"] for r in argocd if "argocd_app_info" in r["expr"]] == [
        "GitOpsReconcileFailing"
    ]
    assert "GitOpsReconcileFailing" not in {r["alert"] for r in none}


# --- alert routing ---------------------------------------------------------------------------


def _config(run: Run) -> dict:
    [config] = run.of_type(AM_CONFIG)
    assert config.inputs["metadata"] == {"name": "platform", "namespace": "monitoring"}
    return config.inputs["spec"]


def test_receivers_read_their_urls_from_a_secret_made_from_encrypted_config(stack_run):
    run = stack_run("staging")
    spec = _config(run)
    receivers = {r["name"]: r for r in spec["receivers"]}
    assert set(receivers) == {"blackhole", "slack", "discord"}
    [slack] = receivers["slack"]["slackConfigs"]
    assert slack["apiURL"] == {"name": "alertmanager-receivers", "key": "slack"}
    assert slack["channel"] == "#platform-staging"
    [discord] = receivers["discord"]["discordConfigs"]
    assert discord["apiURL"] == {"name": "alertmanager-receivers", "key": "discord"}
    [secret] = [
        s for s in run.of_type(SECRET) if s.inputs["metadata"]["name"] == "alertmanager-receivers"
    ]
    assert secret.inputs["metadata"]["namespace"] == "monitoring"
    for key in ("stringData.slack", "stringData.discord"):
        assert any(key == s or key.startswith(f"{s}.") for s in secret.secret_inputs), key
    # The AlertmanagerConfig waits for the Secret it reads, the release for both.
    assert secret.urn in run.named("monitoring-alertmanager-config").dependencies


def test_from_the_secret_store_an_external_secret_fills_the_same_keys(stack_run):
    run = stack_run("prod")
    spec = _config(run)
    assert {r["name"] for r in spec["receivers"]} == {"blackhole", "slack", "pagerduty"}
    [external] = [
        e
        for e in run.of_type(EXTERNAL_SECRET)
        if e.inputs["spec"]["target"]["name"] == "alertmanager-receivers"
    ]
    assert external.inputs["metadata"]["namespace"] == "monitoring"
    assert {d["secretKey"]: d["remoteRef"] for d in external.inputs["spec"]["data"]} == {
        "slack": {"key": "platform/prod/alertmanager-receivers", "property": "slack"},
        "pagerduty": {"key": "platform/prod/alertmanager-receivers", "property": "pagerduty"},
    }
    [pagerduty] = next(r for r in spec["receivers"] if r["name"] == "pagerduty")["pagerdutyConfigs"]
    assert pagerduty["routingKey"] == {"name": "alertmanager-receivers", "key": "pagerduty"}
    # The store admits the monitoring namespace.
    [store] = run.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    names = [c for c in store.inputs["spec"]["conditions"] if "namespaces" in c]
    assert "monitoring" in names[0]["namespaces"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_webhook_url_or_key_reaches_helm_values_or_state_unencrypted(stack_run, stack):
    run = stack_run(stack)
    for r in run.registrations.values():
        text = str(r.inputs)
        assert "hooks.slack.com" not in text and "discord.com/api" not in text
        if r.type == RELEASE:
            assert "[secret]" not in str(r.inputs.get("values")), r.name
            assert not [s for s in r.secret_inputs if s.startswith("values")], r.name
        elif "[secret]" in text:
            # Only Secrets carry the decrypted config values, and only as Pulumi secrets.
            assert r.type == SECRET and all(k.startswith("stringData") for k in r.secret_inputs)
    assert "alertmanagerConfiguration" in str(
        next(r for r in run.of_type(RELEASE) if r.name.endswith("prometheus-stack")).inputs
    )


def test_routes_page_only_for_critical_alerts_and_silence_the_watchdog():
    args = alerting.ReceiversArgs(
        slack=alerting.SlackReceiver(),
        pagerduty=True,
        secret_values={"slack": "s", "pagerduty": "p"},
    )
    route = alerting.alertmanager_config_spec(args)["route"]
    assert route["receiver"] == "blackhole" and "matchers" not in route
    assert route["groupBy"] == ["alertname", "namespace"]
    watchdog, pager, chat = route["routes"]
    assert watchdog == {
        "receiver": "blackhole",
        "matchers": [{"name": "alertname", "value": "Watchdog|InfoInhibitor", "matchType": "=~"}],
    }
    assert pager["receiver"] == "pagerduty" and pager["continue"] is True
    assert pager["matchers"] == [{"name": "severity", "value": "critical", "matchType": "="}]
    assert chat["receiver"] == "slack"
    assert chat["matchers"] == [
        {"name": "severity", "value": "critical|warning", "matchType": "=~"}
    ]


def test_a_receiver_without_its_secret_is_refused():
    with pytest.raises(ValueError, match=r"receivers \['discord'\] have no secret value"):
        alerting.ReceiversArgs(discord=True)
