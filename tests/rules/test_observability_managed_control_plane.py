"""On EKS and GKE the monitoring stack does not scrape control-plane components it cannot reach,
and node-exporter's host access stays in a namespace of its own.

Managed control planes: EKS and GKE run kube-controller-manager, kube-scheduler and etcd on
machines outside the cluster; no pod labelled `component: kube-scheduler` (or
`kube-controller-manager`, `etcd`) exists for the Services kube-prometheus-stack creates
(88.5.3 templates/exporters/kube-scheduler/service.yaml selects `component: kube-scheduler` in
kube-system). Its default rules then fire for ever: `KubeSchedulerDown` is
`absent(up{job="kube-scheduler"})` (templates/prometheus/rules-1.14/
kubernetes-system-scheduler.yaml), likewise KubeControllerManagerDown, and the etcd rules.
kube-proxy binds its metrics to 127.0.0.1 unless configured otherwise (`--metrics-bind-address`
default 127.0.0.1:10249), and GKE Dataplane V2 runs no kube-proxy: KubeProxyDown fires the
same way. GKE runs kube-dns, not CoreDNS, so the CoreDNS scrape finds nothing there.

node-exporter: the chart (prometheus-node-exporter 4.56.1 values.yaml) defaults `hostNetwork`,
`hostPID` and `hostRootFsMount` to true and mounts /proc and /sys from the host; the Pod
Security Standards' baseline level forbids host namespaces, hostPath volumes and host ports
(https://kubernetes.io/docs/concepts/security/pod-security-standards/), so it needs a
`privileged` namespace, and nothing else may share that namespace's level.
"""

from __future__ import annotations

import copy

from kube_platform.stacks import offline

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
ENFORCE = "pod-security.kubernetes.io/enforce"
MANAGED = {"aws:eks/cluster:Cluster": "EKS", "gcp:container/cluster:Cluster": "GKE"}
CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")


def _stack(run: offline.Run) -> offline.Registration | None:
    found = [r for r in run.of_type(RELEASE) if str(r.inputs["chart"]).endswith("prometheus-stack")]
    return found[0] if found else None


def findings(run: offline.Run) -> list[str]:
    release = _stack(run)
    if release is None:
        return []
    values = release.inputs["values"]
    found = []
    managed = [MANAGED[r.type] for r in run.registrations.values() if r.type in MANAGED]
    for cloud in managed:
        found += [
            f"{release.name}: {component} is scraped, but the {cloud} control plane is managed"
            for component in CONTROL_PLANE
            if (values.get(component) or {}).get("enabled", True) is not False
        ]
        if cloud == "GKE" and (values.get("coreDns") or {}).get("enabled", True) is not False:
            found.append(f"{release.name}: coreDns is scraped, but GKE runs kube-dns")
    levels = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"].get(ENFORCE)
        for r in run.of_type(NAMESPACE)
    }
    node_namespace = (values.get("prometheus-node-exporter") or {}).get("namespaceOverride")
    if not node_namespace:
        found.append(
            f"{release.name}: node-exporter shares the {release.inputs['namespace']} namespace, "
            "whose level must then allow host access"
        )
    elif levels.get(node_namespace) != "privileged":
        found.append(
            f"{release.name}: node-exporter's namespace {node_namespace} is not privileged"
        )
    elif any(r.inputs["namespace"] == node_namespace for r in run.of_type(RELEASE)):
        found.append(f"a release installs into node-exporter's namespace {node_namespace}")
    else:
        found += [
            f"{r.name} is created in node-exporter's namespace {node_namespace}"
            for r in run.registrations.values()
            if r.type.startswith("kubernetes:")
            and (r.inputs.get("metadata") or {}).get("namespace") == node_namespace
        ]
    if levels.get(release.inputs["namespace"]) != "restricted":
        found.append(f"{release.name}: the monitoring namespace is not restricted")
    return found


def test_managed_control_planes_are_not_scraped_and_host_access_is_isolated(every_stack):
    assert findings(every_stack) == []


def _edited(run: offline.Run, edit) -> offline.Run:
    changed = copy.deepcopy(_stack(run))
    edit(changed.inputs["values"])
    return offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )


def test_the_chart_defaults_on_gke_fire(stack_run):
    run = stack_run("gke-prod")
    assert findings(run) == []

    def chart_defaults(values):
        for component in (*CONTROL_PLANE, "coreDns"):
            values.pop(component)

    name = _stack(run).name
    assert findings(_edited(run, chart_defaults)) == [
        *(f"{name}: {c} is scraped, but the GKE control plane is managed" for c in CONTROL_PLANE),
        f"{name}: coreDns is scraped, but GKE runs kube-dns",
    ]


def test_node_exporter_in_the_monitoring_namespace_is_refused(stack_run):
    run = stack_run("dev")

    def chart_default(values):
        del values["prometheus-node-exporter"]["namespaceOverride"]

    assert findings(_edited(run, chart_default)) == [
        f"{_stack(run).name}: node-exporter shares the monitoring namespace, whose level must "
        "then allow host access"
    ]


def test_another_object_in_node_exporter_s_namespace_is_refused(stack_run):
    """A privileged namespace admits any pod: nothing but node-exporter may live there."""
    run = stack_run("dev")
    namespace = _stack(run).inputs["values"]["prometheus-node-exporter"]["namespaceOverride"]
    intruder = copy.deepcopy(run.of_type("kubernetes:core/v1:ConfigMap")[0])
    intruder.urn, intruder.name = "urn:intruder", "intruder"
    intruder.inputs["metadata"]["namespace"] = namespace
    mutated = offline.Run(
        run.stack, run.preview, {**run.registrations, intruder.urn: intruder}, run.outputs, []
    )
    assert findings(mutated) == [f"intruder is created in node-exporter's namespace {namespace}"]
