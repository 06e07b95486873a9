"""What a stack's platform reserves on its nodes: the CPU and memory requests of every
long-running pod the program installs, read from what it registers.

How it counts: each chart workload's `resources.requests` (from the release's values) times its
replica count (the values', else the chart's default); a DaemonSet once per node, with nodes
counted at the node pools' minimum size (an existing cluster counts as one node); a Postgres
cluster's requests times its instances, plus the Barman Cloud sidecar in each instance of a
cluster that archives WAL; each controller a FluxInstance lists in `spec.components`, one pod
(Flux's manifests run one replica; the platform does not shard), with the requests its
`spec.kustomize.patches` set on the controller's Deployment. Jobs and Helm hooks (certificate
checks, initdb) run to completion and are not counted, nor is anything the cloud installs (EKS
add-ons, GKE system pods).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from kube_platform.components.gitops.flux import MANAGER_REQUESTS
from kube_platform.components.kubernetes.resources import mebibytes, millicores
from kube_platform.stacks.offline import Registration, Run

RELEASE = "kubernetes:helm.sh/v3:Release"
POSTGRES_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
FLUX_INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance"
# Where the Flux component's JSON patches set a controller's requests (its manager container).
FLUX_REQUESTS = MANAGER_REQUESTS


@dataclass(frozen=True)
class Workload:
    """Where a chart keeps one workload's requests and replica count (dotted value paths)."""

    name: str
    resources: str
    replicas: str | None = None
    default_replicas: int = 1
    containers: int = 1
    daemonset: bool = False
    enabled: tuple[tuple[str, bool], ...] = ()
    """Value paths that must all be true for the workload to run, each with the chart's
    default for when the values leave it unset."""
    replaced_by: str | None = None
    """A value path that, when true, runs something else instead (Redis -> redis-ha)."""

    def runs(self, values: Any) -> bool:
        for path, default in self.enabled:
            value = value_at(values, path)
            if (default if value is None else value) is not True:
                return False
        return self.replaced_by is None or value_at(values, self.replaced_by) is not True


# Chart -> its long-running workloads, read at the pinned chart versions (values.yaml).
CHART_WORKLOADS: dict[str, tuple[Workload, ...]] = {
    "traefik": (Workload("traefik", "resources", "deployment.replicas"),),
    "aws-load-balancer-controller": (
        Workload("aws-load-balancer-controller", "resources", "replicaCount", 2),
    ),
    "cert-manager": (
        Workload("cert-manager", "resources", "replicaCount"),
        Workload("cert-manager-webhook", "webhook.resources", "webhook.replicaCount"),
        Workload("cert-manager-cainjector", "cainjector.resources", "cainjector.replicaCount"),
    ),
    "cert-manager-approver-policy": (Workload("approver-policy", "resources", "replicaCount"),),
    "external-dns": (Workload("external-dns", "resources"),),
    "external-secrets": (
        Workload("external-secrets", "resources", "replicaCount"),
        Workload("external-secrets-webhook", "webhook.resources", "webhook.replicaCount"),
        Workload(
            "external-secrets-cert-controller",
            "certController.resources",
            "certController.replicaCount",
        ),
    ),
    "cloudnative-pg": (Workload("cloudnative-pg", "resources", "replicaCount"),),
    "plugin-barman-cloud": (Workload("barman-cloud-plugin", "resources", "replicaCount"),),
    "tailscale-operator": (Workload("tailscale-operator", "operatorConfig.resources"),),
    "cluster-autoscaler": (Workload("cluster-autoscaler", "resources", "replicaCount"),),
    "kube-prometheus-stack": (
        Workload("prometheus-operator", "prometheusOperator.resources"),
        Workload(
            "prometheus",
            "prometheus.prometheusSpec.resources",
            "prometheus.prometheusSpec.replicas",
        ),
        Workload(
            "prometheus config-reloader",
            "prometheusOperator.prometheusConfigReloader.resources",
            "prometheus.prometheusSpec.replicas",
        ),
        Workload(
            "alertmanager",
            "alertmanager.alertmanagerSpec.resources",
            "alertmanager.alertmanagerSpec.replicas",
        ),
        Workload(
            "alertmanager config-reloader",
            "prometheusOperator.prometheusConfigReloader.resources",
            "alertmanager.alertmanagerSpec.replicas",
        ),
        Workload(
            "grafana",
            "grafana.resources",
            "grafana.replicas",
            enabled=(("grafana.enabled", True),),
        ),
        Workload(
            "grafana sidecars",
            "grafana.sidecar.resources",
            "grafana.replicas",
            containers=2,
            enabled=(("grafana.enabled", True),),
        ),
        Workload(
            "kube-state-metrics", "kube-state-metrics.resources", "kube-state-metrics.replicas"
        ),
        Workload("node-exporter", "prometheus-node-exporter.resources", daemonset=True),
    ),
    # The controllers come from the FluxInstance, not from this chart (see `footprint`).
    "flux-operator": (Workload("flux-operator", "resources"),),
    "argo-cd": (
        Workload("argocd-application-controller", "controller.resources", "controller.replicas"),
        Workload("argocd-repo-server", "repoServer.resources", "repoServer.replicas"),
        Workload("argocd-server", "server.resources", "server.replicas"),
        Workload(
            "argocd-applicationset-controller",
            "applicationSet.resources",
            "applicationSet.replicas",
        ),
        Workload(
            "argocd-notifications-controller",
            "notifications.resources",
            enabled=(("notifications.enabled", True),),
        ),
        Workload("argocd-dex-server", "dex.resources", enabled=(("dex.enabled", True),)),
        Workload(
            "argocd-redis",
            "redis.resources",
            enabled=(("redis.enabled", True),),
            replaced_by="redis-ha.enabled",
        ),
        # The redis-ha sub-chart: a StatefulSet of three pods of three containers, HAProxy.
        *(
            Workload(
                name,
                f"redis-ha.{key}.resources",
                "redis-ha.replicas",
                3,
                enabled=(("redis-ha.enabled", False),),
            )
            for name, key in (
                ("argocd-redis-ha", "redis"),
                ("argocd-redis-ha-sentinel", "sentinel"),
                ("argocd-redis-ha-split-brain-fix", "splitBrainDetection"),
            )
        ),
        Workload(
            "argocd-redis-ha-haproxy",
            "redis-ha.haproxy.resources",
            "redis-ha.haproxy.replicas",
            3,
            enabled=(("redis-ha.enabled", False), ("redis-ha.haproxy.enabled", True)),
        ),
    ),
}


@dataclass(frozen=True)
class Reservation:
    """One workload's share: requests of one pod and how many pods."""

    name: str
    owner: str
    cpu_millicores: int
    memory_mib: float
    pods: int
    database: bool = False

    @property
    def total_cpu(self) -> int:
        return self.cpu_millicores * self.pods

    @property
    def total_memory(self) -> float:
        return self.memory_mib * self.pods


@dataclass(frozen=True)
class Footprint:
    reservations: tuple[Reservation, ...]
    nodes: int
    """Nodes DaemonSets were counted on."""
    missing: tuple[str, ...]
    """Workloads without explicit CPU and memory requests."""

    def total(self, *, database: bool | None = None) -> tuple[int, float]:
        """CPU (millicores) and memory (MiB); `database` selects databases or the rest."""
        chosen = [r for r in self.reservations if database is None or r.database == database]
        return sum(r.total_cpu for r in chosen), sum(r.total_memory for r in chosen)


def value_at(values: Any, path: str) -> Any:
    """The Helm value at a dotted `path` (`server.metrics.enabled`), None where it is unset."""
    for part in path.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def chart_name(release: Registration) -> str:
    """The chart a Helm release installs: the last part of its chart reference."""
    return str(release.inputs.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def node_count(run: Run) -> int:
    """Nodes at the pools' minimum size; one for a cluster the platform does not create."""
    eks = [r.inputs.get("scalingConfig", {}).get("minSize", 0) for r in run.of_type(EKS_NODE_GROUP)]
    gke = [
        r.inputs.get("autoscaling", {}).get("totalMinNodeCount", 0)
        for r in run.of_type(GKE_NODE_POOL)
    ]
    if not eks and not gke:
        return 1
    return max(1, int(sum(eks) + sum(gke)))


def _requests(block: Any) -> tuple[str | None, str | None]:
    requests = block.get("requests", {}) if isinstance(block, dict) else {}
    return requests.get("cpu"), requests.get("memory")


def footprint(run: Run) -> Footprint:
    nodes = node_count(run)
    reservations: list[Reservation] = []
    missing: list[str] = []
    for release in sorted(run.of_type(RELEASE), key=lambda r: r.name):
        values = release.inputs.get("values") or {}
        for workload in CHART_WORKLOADS.get(chart_name(release), ()):
            if not workload.runs(values):
                continue
            cpu, memory = _requests(value_at(values, workload.resources))
            if cpu is None or memory is None:
                missing.append(f"{release.name}: {workload.name}")
                continue
            if workload.daemonset:
                pods = nodes
            else:
                replicas = value_at(values, workload.replicas) if workload.replicas else None
                pods = int(replicas if replicas is not None else workload.default_replicas)
            reservations.append(
                Reservation(
                    workload.name,
                    release.name,
                    millicores(cpu) * workload.containers,
                    mebibytes(memory) * workload.containers,
                    pods,
                )
            )
    for instance in sorted(run.of_type(FLUX_INSTANCE), key=lambda r: r.name):
        spec = instance.inputs.get("spec", {})
        patched = _flux_requests(spec)
        for controller in spec.get("components", []):
            cpu, memory = patched.get(controller, (None, None))
            if cpu is None or memory is None:
                missing.append(f"{instance.name}: {controller}")
                continue
            reservations.append(
                Reservation(controller, instance.name, millicores(cpu), mebibytes(memory), 1)
            )
    sidecars = _sidecars(run)
    for cluster in sorted(run.of_type(POSTGRES_CLUSTER), key=lambda r: r.name):
        spec = cluster.inputs.get("spec", {})
        instances = int(spec.get("instances", 1))
        cpu, memory = _requests(spec.get("resources"))
        if cpu is None or memory is None:
            missing.append(f"{cluster.name}: postgres")
            continue
        reservations.append(
            Reservation(
                "postgres", cluster.name, millicores(cpu), mebibytes(memory), instances, True
            )
        )
        sidecar = _archiver_sidecar(spec, sidecars)
        if sidecar is not None:
            reservations.append(
                Reservation(
                    "barman-cloud sidecar", cluster.name, sidecar[0], sidecar[1], instances, True
                )
            )
    return Footprint(tuple(reservations), nodes, tuple(missing))


def _flux_requests(spec: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """Controller -> the requests the instance's JSON patches give its Deployment (a later
    patch wins, as kustomize applies them in order)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    controllers = spec.get("components", [])
    for patch in spec.get("kustomize", {}).get("patches", []):
        target, text = patch.get("target", {}), patch.get("patch")
        if target.get("kind") != "Deployment" or not isinstance(text, str):
            continue
        operations = yaml.safe_load(text)
        if not isinstance(operations, list):
            continue  # a strategic merge patch; the platform sets requests by JSON patch
        # Kustomize matches a target name as an anchored regular expression.
        named = [c for c in controllers if re.fullmatch(target.get("name", ".*"), c)]
        for operation in operations:
            if operation.get("op") in ("add", "replace") and operation.get("path") == (
                FLUX_REQUESTS
            ):
                value = operation.get("value")
                for controller in named:
                    found[controller] = _requests(
                        {"requests": value if isinstance(value, dict) else {}}
                    )
    return found


def _sidecars(run: Run) -> dict[tuple[str, str], tuple[int, float]]:
    """(namespace, ObjectStore name) -> the sidecar requests it configures."""
    found = {}
    for store in run.of_type(OBJECT_STORE):
        metadata = store.inputs.get("metadata", {})
        sidecar = store.inputs.get("spec", {}).get("instanceSidecarConfiguration", {})
        cpu, memory = _requests(sidecar.get("resources"))
        if cpu is not None and memory is not None:
            key = (metadata.get("namespace"), metadata.get("name"))
            found[key] = (millicores(cpu), mebibytes(memory))
    return found


def _archiver_sidecar(
    spec: dict[str, Any], sidecars: dict[tuple[str, str], tuple[int, float]]
) -> tuple[int, float] | None:
    for plugin in spec.get("plugins", []):
        if plugin.get("isWALArchiver"):
            store = plugin.get("parameters", {}).get("barmanObjectName")
            for (_, name), requests in sidecars.items():
                if name == store:
                    return requests
    return None


def _cpu(millis: float) -> str:
    return f"{millis / 1000:g}" if millis >= 1000 else f"{millis:g}m"


def _memory(mib: float) -> str:
    return f"{mib / 1024:.1f}Gi" if mib >= 1024 else f"{mib:g}Mi"


def render(run: Run) -> str:
    """The reservation table and totals, for the plan's text output."""
    found = footprint(run)
    lines = [
        "Requests the platform reserves (CPU, memory): each pod's requests times its replicas;",
        f"DaemonSets on {found.nodes} node(s) (node pools at their minimum size, an existing "
        "cluster as one node);",
        "Jobs, Helm hooks and what the cloud itself installs are not counted.",
    ]
    for r in found.reservations:
        pods = f" x {r.pods}" if r.pods != 1 else ""
        lines.append(
            f"  {_cpu(r.total_cpu):>7}  {_memory(r.total_memory):>8}  {r.name} ({r.owner}){pods}"
        )
    for label, database in (("platform services", False), ("databases", True)):
        cpu, memory = found.total(database=database)
        lines.append(f"  {label}: {_cpu(cpu)} CPU, {_memory(memory)} memory")
    cpu, memory = found.total()
    lines.append(f"  total: {_cpu(cpu)} CPU, {_memory(memory)} memory")
    lines += [f"  without explicit requests: {m}" for m in found.missing]
    return "\n".join(lines)
