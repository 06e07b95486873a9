"""The monitoring stack: CRDs before every monitor, Prometheus sized per tier, Grafana behind the
Gateway over HTTPS with a secret admin password, dashboards from upstream, remote write through
workload identity, bad configuration rejected, and the platform's footprint."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from kube_platform.components import versions
from kube_platform.components.kubernetes.resources import mebibytes, millicores
from kube_platform.components.observability.monitoring import (
    DEFAULT_RESOURCES,
    MonitoringArgs,
    stack_values,
)
from kube_platform.stacks import footprint as footprint_table
from kube_platform.stacks import plan_footprint
from kube_platform.stacks.offline import Run
from tests import conformance
from tests.conftest import ROOT, SCHEMAS
from tests.test_config_errors import EKS, assert_rejected, base, cloud

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ENFORCE = "pod-security.kubernetes.io/enforce"


def stack_release(run: Run):
    [release] = [r for r in run.of_type(RELEASE) if r.inputs["chart"].endswith("prometheus-stack")]
    return release


def values(run: Run) -> dict:
    return stack_release(run).inputs["values"]


def test_the_crds_come_from_the_chart_tag_and_helm_installs_none(stack_run):
    run = stack_run("dev")
    crds = run.named("monitoring-crds")
    assert crds.inputs["files"] == list(versions.MONITORING_CRDS_URLS)
    tag = f"/kube-prometheus-stack-{versions.KUBE_PROMETHEUS_STACK.version}/"
    assert all(tag in url for url in crds.inputs["files"])
    # Exactly the CRDs the conformance tests validate against (shared/schemas).
    assert sorted(url.rsplit("/", 1)[1] for url in crds.inputs["files"]) == sorted(
        f"crd-{name}.yaml" for name in versions.MONITORING_CRDS
    )
    release = stack_release(run)
    assert release.inputs["version"] == versions.KUBE_PROMETHEUS_STACK.version
    assert release.inputs["chart"] == versions.KUBE_PROMETHEUS_STACK.repo
    assert release.inputs["skipCrds"] is True and values(run)["crds"] == {"enabled": False}
    assert crds.urn in release.dependencies
    # cert-manager signs the operator's webhook certificate: no patch Jobs, and it waits.
    assert values(run)["prometheusOperator"]["admissionWebhooks"] == {
        "certManager": {"enabled": True}
    }
    assert run.named("certificates-cert-manager").urn in release.dependencies


@pytest.mark.parametrize(
    "stack, retention, storage, replicas",
    [("dev", "3d", "5Gi", 1), ("staging", "7d", "20Gi", 1), ("prod", "15d", "50Gi", 2)],
)
def test_prometheus_keeps_data_on_a_volume_sized_per_tier(
    stack_run, stack, retention, storage, replicas
):
    spec = values(stack_run(stack))["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["replicas"]) == (retention, replicas)
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == storage
    # The TSDB stops at 80% of the volume (Prometheus MB are MiB).
    assert spec["retentionSize"] == f"{int(mebibytes(storage) * 0.8)}MB"
    # Every monitor, rule and probe of every namespace, not only this release's.
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["podMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False


def test_prod_spreads_prometheus_and_alertmanager_across_zones(stack_run):
    stack = values(stack_run("prod"))
    for spec, app in (
        (stack["prometheus"]["prometheusSpec"], "prometheus"),
        (stack["alertmanager"]["alertmanagerSpec"], "alertmanager"),
    ):
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert "topology.kubernetes.io/zone" in keys, app
        assert spec["replicas"] == 2
    assert stack["prometheus"]["podDisruptionBudget"] == {"enabled": True}
    assert stack["alertmanager"]["podDisruptionBudget"] == {"enabled": True}
    dev = values(stack_run("dev"))
    assert dev["alertmanager"]["alertmanagerSpec"]["replicas"] == 1
    assert "storage" not in dev["alertmanager"]["alertmanagerSpec"]


def test_control_plane_scrapes_follow_the_cluster():
    args = MonitoringArgs(crds=None, cert_manager=None, cluster_label="c")
    off = stack_values(args, service_account_annotations={}, remote_write=None)
    on = stack_values(
        args.model_copy(update={"control_plane_metrics": True}),
        service_account_annotations={},
        remote_write=None,
    )
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert off[component] == {"enabled": False} and on[component] == {"enabled": True}
    assert off["defaultRules"]["rules"]["kubeSchedulerAlerting"] is False
    assert on["defaultRules"]["rules"]["etcd"] is True


def test_gke_scrapes_no_coredns(stack_run):
    assert values(stack_run("gke-prod"))["coreDns"] == {"enabled": False}
    assert values(stack_run("prod"))["coreDns"] == {"enabled": True}


def test_node_exporter_runs_alone_in_a_privileged_namespace(stack_run):
    run = stack_run("dev")
    levels = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"][ENFORCE]
        for r in run.of_type(NAMESPACE)
    }
    stack = values(run)
    node_namespace = stack["prometheus-node-exporter"]["namespaceOverride"]
    assert levels[node_namespace] == "privileged" and levels["monitoring"] == "restricted"
    assert stack_release(run).inputs["namespace"] == "monitoring"
    # Nothing else is installed there; Grafana does not chown its volume as root.
    assert [r.name for r in run.of_type(RELEASE) if r.inputs["namespace"] == node_namespace] == []
    assert stack["grafana"]["initChownData"] == {"enabled": False}


# --- Grafana ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod", "gke-prod"])
def test_grafana_is_served_at_its_hostname_over_https_only(stack_run, stack):
    run = stack_run(stack)
    domain = run.outputs["platformDomain"].value
    hostname = f"grafana.{domain}"
    assert run.outputs["grafana"].value["url"] == f"https://{hostname}"
    [route] = [r for r in run.of_type(ROUTE) if r.inputs["metadata"]["name"] == "grafana"]
    assert route.inputs["metadata"]["namespace"] == "monitoring"
    spec = route.inputs["spec"]
    assert spec["hostnames"] == [hostname]
    [parent] = spec["parentRefs"]
    assert parent["sectionName"] == hostname
    [gateway] = run.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    listener = next(
        x for x in gateway.inputs["spec"]["listeners"] if x["name"] == parent["sectionName"]
    )
    assert listener["protocol"] == "HTTPS" and listener["tls"]["mode"] == "Terminate"
    assert listener["hostname"] == hostname
    assert (parent["name"], parent["namespace"]) == (
        gateway.inputs["metadata"]["name"],
        gateway.inputs["metadata"]["namespace"],
    )
    assert spec["rules"] == [
        {"backendRefs": [{"name": "kube-prometheus-stack-grafana", "port": 80}]}
    ]
    # The namespace carries the platform's mark, and the certificate covers the name.
    [namespace] = [
        r for r in run.of_type(NAMESPACE) if r.inputs["metadata"]["name"] == "monitoring"
    ]
    assert namespace.inputs["metadata"]["labels"]["gateway.kube-platform.io/routes"] == "allowed"
    [cert] = [
        c
        for c in run.of_type("kubernetes:cert-manager.io/v1:Certificate")
        if c.inputs["metadata"]["name"] == "platform-tls"
    ]
    names = cert.inputs["spec"]["dnsNames"]
    assert hostname in names or f"*.{domain}" in names
    ini = values(run)["grafana"]["grafana.ini"]
    assert ini["server"]["root_url"] == f"https://{hostname}"
    assert ini["security"] == {"cookie_secure": True}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_grafana_admin_password_is_random_and_only_in_a_secret(stack_run, stack):
    run = stack_run(stack)
    grafana = values(run)["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in grafana
    [secret] = [
        r
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == "grafana-admin"
    ]
    assert any(s in ("stringData", "stringData.admin-password") for s in secret.secret_inputs)
    password = next(r for r in run.of_type("random:index/randomPassword:RandomPassword"))
    assert password.inputs["length"] >= 32


def test_grafana_keeps_its_database_on_a_volume_outside_dev(stack_run):
    assert "persistence" not in values(stack_run("dev"))["grafana"]
    prod = values(stack_run("prod"))["grafana"]
    assert prod["persistence"] == {"enabled": True, "size": "5Gi"}
    assert prod["deploymentStrategy"] == {"type": "Recreate"} and prod["replicas"] == 1


def test_dashboards_are_downloaded_from_pinned_upstream_sources(stack_run):
    grafana = values(stack_run("prod"))["grafana"]
    found = grafana["dashboards"]["platform"]
    cert_manager = found["cert-manager"]
    assert (cert_manager["gnetId"], cert_manager["revision"]) == versions.CERT_MANAGER_DASHBOARD
    assert found["traefik"]["url"] == versions.TRAEFIK_DASHBOARD_URL
    assert f"/{versions.TRAEFIK_APP_VERSION}/" in found["traefik"]["url"]
    # TLS verified (the chart's default curl options skip it).
    assert "k" not in grafana["defaultCurlOptions"].lstrip("-")
    # The cluster dashboards ship with the chart, CloudNativePG's with its own chart.
    assert grafana.get("defaultDashboardsEnabled", True) is True
    cnpg = next(
        r for r in stack_run("prod").of_type(RELEASE) if r.inputs["chart"] == "cloudnative-pg"
    )
    assert cnpg.inputs["values"]["monitoring"]["grafanaDashboard"] == {"create": True}


def test_the_gitops_engine_s_dashboard_comes_from_its_pinned_release(stack_run):
    flux = values(stack_run("prod"))["grafana"]["dashboards"]["platform"]
    assert flux["flux"]["url"] == versions.FLUX_DASHBOARD_URL and "argocd" not in flux
    argocd = values(stack_run("argocd"))["grafana"]["dashboards"]["platform"]
    assert argocd["argocd"] == {"url": versions.ARGO_CD_DASHBOARD_URL} and "flux" not in argocd
    assert f"/argo-cd/{versions.ARGO_CD_APP_VERSION}/" in versions.ARGO_CD_DASHBOARD_URL


def test_no_dashboard_is_copied_into_the_repository():
    tracked = [p for p in ROOT.rglob("*.json") if ".venv" not in p.parts and ".git" not in p.parts]
    dashboards = [p for p in tracked if '"panels"' in p.read_text(errors="ignore")]
    assert dashboards == []


# --- remote write --------------------------------------------------------------------------


def test_eks_remote_write_signs_with_its_own_role_into_a_protected_workspace(stack_run):
    run = stack_run("staging")
    [workspace] = run.of_type("aws:amp/workspace:Workspace")
    assert workspace.protect
    spec = values(run)["prometheus"]["prometheusSpec"]
    [remote] = spec["remoteWrite"]
    assert remote["url"].endswith("/api/v1/remote_write") and remote["sigv4"] == {
        "region": "eu-west-1"
    }
    annotations = values(run)["prometheus"]["serviceAccount"]
    assert annotations["name"] == "prometheus"
    role_arn = annotations["annotations"]["eks.amazonaws.com/role-arn"]
    [policy] = [
        json.loads(r.inputs["policy"])
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if "aps:RemoteWrite" in r.inputs["policy"]
    ]
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["aps:RemoteWrite"], "Resource": workspace.outputs["arn"]}
    ]
    assert role_arn.startswith("arn:aws:iam::")
    assert run.outputs["prometheusRemoteWrite"].value == workspace.outputs["prometheusEndpoint"]


def test_gke_remote_write_runs_googles_prometheus_fork_with_workload_identity(stack_run):
    run = stack_run("gke-staging")
    spec = values(run)["prometheus"]["prometheusSpec"]
    registry, repository, tag = versions.image_parts(versions.GMP_PROMETHEUS_IMAGE)
    assert spec["image"] == {"registry": registry, "repository": repository, "tag": tag}
    assert spec["version"] == versions.GMP_PROMETHEUS_VERSION
    annotations = values(run)["prometheus"]["serviceAccount"]["annotations"]
    account = annotations["iam.gke.io/gcp-service-account"]
    grants = [
        r.inputs["role"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == f"serviceAccount:{account}"
    ]
    assert grants == ["roles/monitoring.metricWriter"]
    [binding] = [
        r.inputs
        for r in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if "[monitoring/prometheus]" in r.inputs["member"]
    ]
    assert binding["role"] == "roles/iam.workloadIdentityUser"


# --- bad configuration -----------------------------------------------------------------------

OBSERVABILITY_CASES = {
    "control plane metrics on EKS": (
        cloud(EKS, observability={"controlPlaneMetrics": True}),
        "platform:observability.controlPlaneMetrics: the EKS control plane is managed and does "
        "not expose kube-controller-manager, kube-scheduler or etcd metrics; remove "
        "observability.controlPlaneMetrics",
    ),
    "remote write on an existing cluster": (
        base(observability={"remoteWrite": {"enabled": True}}),
        "platform:observability.remoteWrite.enabled: remote write reaches a managed Prometheus "
        "through the cloud's workload identity, which an existing cluster has none of; set it "
        "to false",
    ),
    "Grafana hostname outside the domain": (
        base(
            ingress={"domain": "apps.example.com"},
            observability={"grafana": {"hostname": "grafana.example.org"}},
        ),
        "platform:observability.grafana.hostname: 'grafana.example.org' is outside "
        "ingress.domain 'apps.example.com'; list names under it, such as "
        "'shop.apps.example.com'",
    ),
    "Grafana hostname without a domain": (
        base(observability={"grafana": {"hostname": "grafana.example.org"}}),
        "platform:observability.grafana.hostname: Grafana is served over HTTPS under "
        "ingress.domain; set ingress.domain",
    ),
    "Grafana under an app namespace's wildcard": (
        base(
            ingress={"domain": "apps.example.com"},
            access={"namespaces": [{"name": "apps", "hostnames": ["*.apps.example.com"]}]},
        ),
        "platform:observability.grafana: 'grafana.apps.example.com' overlaps "
        "'*.apps.example.com' of namespace 'apps' (platform:access.namespaces[0].hostnames); "
        "give each name to one namespace only",
    ),
    "receiver without its secret": (
        base(observability={"alerting": {"slack": {"channel": "#alerts"}}}),
        "platform:observability.alerting.slack: set observability.alerting.slack.webhookUrl "
        "with `pulumi config set --secret --path`, or observability.alerting.secretKey to read "
        "it from the cloud secret manager",
    ),
    "receiver secret in plaintext": (
        base(observability={"alerting": {"pagerduty": {"routingKey": "R0UT1NG"}}}),
        "platform:observability.alerting.pagerduty.routingKey: this value is stored in "
        "plaintext; store it encrypted",
    ),
    "receiver secret from two sources": (
        cloud(
            EKS,
            observability={
                "alerting": {
                    "discord": {"webhookUrl": {"secure": "v1:AAAA"}},
                    "secretKey": "alerting",
                }
            },
        ),
        "platform:observability.alerting.discord.webhookUrl: receiver secrets come from "
        "observability.alerting.secretKey; keep one source and remove this value",
    ),
    "receivers from a store the stack does not have": (
        base(observability={"alerting": {"slack": {}, "secretKey": "alerting"}}),
        "platform:observability.alerting.secretKey: reads the receivers from the cloud secret "
        "store, which this stack does not have; give each receiver's secret in config instead",
    ),
    "a PodMonitor without the monitoring stack": (
        base(observability={"enabled": False}, databases=[{"name": "pg", "monitoring": True}]),
        "platform:databases[0].monitoring: a PodMonitor needs the monitoring stack, which "
        "observability.enabled: false turns off; remove monitoring or enable observability",
    ),
    "no listener left for Grafana": (
        base(
            ingress={"domain": "apps.example.com"},
            access={
                "namespaces": [
                    {"name": "apps", "hostnames": [f"h{i}.apps.example.com" for i in range(63)]}
                ]
            },
        ),
        "platform:access.namespaces: 64 hostnames (with grafana.apps.example.com of platform "
        "services) need an HTTPS listener each; the Gateway holds at most 63; use wildcards "
        "for application hostnames",
    ),
    "receivers without the monitoring stack": (
        base(observability={"enabled": False, "alerting": {"discord": {}}}),
        "platform:observability.alerting: receivers are configured but observability.enabled "
        "is false, so nothing would send alerts; enable observability or remove "
        "observability.alerting",
    ),
    "retention without a unit": (
        base(observability={"retention": "15"}),
        "platform:observability.retention: '15' is not a Prometheus retention; write a number "
        "and h, d, w or y, such as '15d'",
    ),
    "an unreadable backup schedule": (
        base(databases=[{"name": "pg", "backups": {"schedule": "0 0 25 * * *"}}]),
        "platform:databases[0].backups.schedule: '0 0 25 * * *' is not a schedule the platform "
        "can read ('25' is outside 0-23)",
    ),
}


@pytest.mark.parametrize("case", sorted(OBSERVABILITY_CASES))
def test_bad_observability_config_is_rejected(case):
    assert_rejected(*OBSERVABILITY_CASES[case])


def test_without_observability_nothing_watches(run_config):
    run = run_config(base(observability={"enabled": False}, databases=[{"name": "pg"}]))
    assert [r for r in run.registrations.values() if "monitoring" in r.type] == []
    assert not any(r.inputs["chart"].endswith("prometheus-stack") for r in run.of_type(RELEASE))
    assert "grafana" not in run.outputs


# --- the known-keys check follows the sub-charts ---------------------------------------------


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="shared/schemas is absent")
def test_sub_chart_values_are_checked_against_the_sub_charts(stack_run):
    release = stack_release(stack_run("dev"))
    assert conformance.helm_values_findings(release) == []
    bad = copy.deepcopy(release.inputs)
    bad["values"]["grafana"]["initChwnData"] = {"enabled": False}
    bad["values"]["kube-state-metrics"]["replicaz"] = 1
    bad["values"]["grafana"]["grafana.ini"]["any_section"] = {"any_key": "free-form"}
    findings = conformance.helm_values_findings(dataclasses.replace(release, inputs=bad))
    assert sorted(findings) == [
        f"{release.name}: unknown chart value values.grafana.initChwnData",
        f"{release.name}: unknown chart value values.kube-state-metrics.replicaz",
    ]


# --- footprint -------------------------------------------------------------------------------


def test_every_platform_workload_requests_cpu_and_memory(every_stack):
    found = plan_footprint.footprint(every_stack)
    assert found.missing == ()
    charts = {
        r.inputs["chart"].rstrip("/").rsplit("/", 1)[-1] for r in every_stack.of_type(RELEASE)
    }
    assert charts <= set(plan_footprint.CHART_WORKLOADS), charts - set(
        plan_footprint.CHART_WORKLOADS
    )


def test_flux_controllers_request_the_tier_s_values_through_the_instance(stack_run):
    run = stack_run("prod")
    [instance] = run.of_type(plan_footprint.FLUX_INSTANCE)
    controllers = instance.inputs["spec"]["components"]
    counted = {
        r.name: (r.cpu_millicores, r.memory_mib, r.pods)
        for r in plan_footprint.footprint(run).reservations
        if r.owner == instance.name
    }
    prod = {w: footprint_table.FOOTPRINT[w][footprint_table.Tier.prod] for w in controllers}
    assert counted == {w: (millicores(r.cpu), mebibytes(r.memory), 1) for w, r in prod.items()}
    # Without the instance's request patches the operator's profile decides: reported.
    unpatched = copy.deepcopy(instance)
    patches = unpatched.inputs["spec"]["kustomize"]["patches"]
    patches[:] = [p for p in patches if p["target"]["kind"] != "Deployment"]
    run = Run(run.stack, run.preview, {**run.registrations, instance.urn: unpatched}, {}, [])
    assert plan_footprint.footprint(run).missing == tuple(
        f"{instance.name}: {c}" for c in controllers
    )
    # A target name is an anchored regular expression, and a later patch wins (kustomize).
    spec = {
        "components": ["source-controller", "helm-controller"],
        "kustomize": {
            "patches": [
                {"target": {"kind": "Deployment"}, "patch": _requests_patch("1", "1Gi")},
                {
                    "target": {"kind": "Deployment", "name": "(source|helm)-controller"},
                    "patch": _requests_patch("20m", "32Mi"),
                },
                {
                    "target": {"kind": "Deployment", "name": "helm"},
                    "patch": _requests_patch("5m", "8Mi"),
                },
            ]
        },
    }
    assert plan_footprint._flux_requests(spec) == {
        "source-controller": ("20m", "32Mi"),
        "helm-controller": ("20m", "32Mi"),
    }


def _requests_patch(cpu: str, memory: str) -> str:
    value = {"cpu": cpu, "memory": memory}
    return json.dumps([{"op": "add", "path": plan_footprint.FLUX_REQUESTS, "value": value}])


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="shared/schemas is absent")
def test_the_footprint_table_reads_real_chart_keys():
    for chart, workloads in plan_footprint.CHART_WORKLOADS.items():
        folder = Path(conformance.SCHEMAS / conformance.CHART_SCHEMAS[chart])
        defaults = conformance._chart_defaults(chart, folder)
        for w in workloads:
            assert _has(defaults, w.resources), (chart, w.resources)
            if w.replicas is not None:
                assert _has(defaults, w.replicas), (chart, w.replicas)
                default = plan_footprint.value_at(defaults, w.replicas)
                assert default in (None, w.default_replicas), (chart, w.replicas, default)


def _has(values: dict, path: str) -> bool:
    node = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


# What a kind node reserves before the platform: kubeadm's static pods (kube-apiserver 250m,
# kube-controller-manager 200m, kube-scheduler 100m: cmd/kubeadm/app/phases/controlplane/
# manifests.go; etcd 100m/100Mi: phases/etcd/local.go), CoreDNS twice (100m/70Mi each:
# phases/addons/dns/manifests.go), kindnet (100m/50Mi: kind's CNI manifest), and the kubelet's
# default hard eviction threshold (memory.available 100Mi). kube-proxy and the local-path
# provisioner request nothing.
KIND_SYSTEM = (250 + 200 + 100 + 100 + 2 * 100 + 100, 100 + 2 * 70 + 50 + 100)
KIND_NODE = (2000, 4096)
# Left for the team's own app on the dev node.
APP_ROOM = (250, 512)


def test_the_dev_stack_fits_a_small_kind_node_with_room_for_an_app(stack_run):
    cpu, memory = plan_footprint.footprint(stack_run("dev")).total()
    assert cpu + KIND_SYSTEM[0] + APP_ROOM[0] <= KIND_NODE[0], cpu
    assert memory + KIND_SYSTEM[1] + APP_ROOM[1] <= KIND_NODE[1], memory


def test_the_plan_prints_what_the_platform_reserves(stack_run):
    text = plan_footprint.render(stack_run("prod"))
    assert "node-exporter (monitoring-kube-prometheus-stack) x 6" in text
    assert "postgres (app-db) x 3" in text
    assert text.splitlines()[-1].startswith("  total: ")


def test_monitoring_requests_come_from_the_tier_table(stack_run):
    for stack, tier in (("dev", "dev"), ("prod", "prod")):
        stack_values_ = values(stack_run(stack))
        expected = footprint_table.FOOTPRINT["prometheus"][footprint_table.Tier(tier)]
        assert stack_values_["prometheus"]["prometheusSpec"]["resources"] == expected.values()
    assert set(DEFAULT_RESOURCES) <= set(footprint_table.FOOTPRINT)
    assert millicores("0.5") == 500 and mebibytes("1Gi") == 1024


def test_the_docs_show_the_footprint_table_and_the_kind_budget_the_code_uses():
    text = (ROOT / "docs" / "observability.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] in footprint_table.FOOTPRINT:
            rows[cells[0]] = cells[1:]
    assert rows == {
        workload: [f"{r.cpu} / {r.memory}" for r in tiers.values()]
        for workload, tiers in footprint_table.FOOTPRINT.items()
    }
    assert f"reserve {KIND_SYSTEM[0]}m CPU and {KIND_SYSTEM[1]}Mi" in text
    assert f"at least {APP_ROOM[0]}m CPU and {APP_ROOM[1]}Mi for an app" in text
