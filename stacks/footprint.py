"""The CPU and memory every platform workload requests, per tier: one table to review.

Requests are what the scheduler reserves on a node whether or not the pod uses it. Dev values
are sized for an idle cluster, so the dev stack, monitoring included, fits one small kind node;
staging and prod leave headroom for traffic and more objects to watch. They are estimates:
compare them with what Prometheus shows (`container_cpu_usage_seconds_total`,
`container_memory_working_set_bytes`, the "Kubernetes / Compute Resources" dashboards) and
change them here. Memory limits are kept where a workload had one already (the CloudNativePG
operator and plugin, cluster-autoscaler); a limit below use restarts a pod.

Postgres instances are not here: each database says what it needs (`databases[].resources`).
"""

from __future__ import annotations

from kube_platform.components.kubernetes.resources import Resources
from kube_platform.stacks.config import Tier

# Requests of one pod (one container unless noted): (CPU, memory) in dev, staging and prod.
# fmt: off
_TABLE: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    # ingress
    "traefik":                          (("25m", "64Mi"), ("100m", "128Mi"), ("200m", "192Mi")),
    "aws-load-balancer-controller":     (("20m", "64Mi"), ("50m", "128Mi"),  ("50m", "128Mi")),
    # certificates and DNS
    "cert-manager":                     (("10m", "48Mi"), ("50m", "128Mi"),  ("50m", "128Mi")),
    "cert-manager-webhook":             (("10m", "24Mi"), ("20m", "48Mi"),   ("20m", "48Mi")),
    "cert-manager-cainjector":          (("10m", "64Mi"), ("20m", "128Mi"),  ("20m", "128Mi")),
    "approver-policy":                  (("10m", "32Mi"), ("20m", "64Mi"),   ("20m", "64Mi")),
    "external-dns":                     (("10m", "32Mi"), ("20m", "64Mi"),   ("20m", "64Mi")),
    # databases; the sidecar runs in every instance of a cluster with backups
    "cloudnative-pg":                   (("25m", "96Mi"), ("100m", "200Mi"), ("100m", "200Mi")),
    "barman-cloud-plugin":              (("10m", "64Mi"), ("50m", "100Mi"),  ("50m", "100Mi")),
    "barman-cloud-sidecar":             (("10m", "32Mi"), ("50m", "64Mi"),   ("50m", "128Mi")),
    # secrets and access
    "external-secrets":                 (("10m", "48Mi"), ("20m", "64Mi"),   ("20m", "96Mi")),
    "external-secrets-webhook":         (("10m", "24Mi"), ("10m", "32Mi"),   ("10m", "32Mi")),
    "external-secrets-cert-controller": (("10m", "32Mi"), ("10m", "64Mi"),   ("10m", "64Mi")),
    "tailscale-operator":               (("10m", "64Mi"), ("20m", "96Mi"),   ("20m", "96Mi")),
    # the cluster (EKS)
    "cluster-autoscaler":               (("50m", "128Mi"), ("100m", "300Mi"), ("100m", "300Mi")),
    # monitoring; a config reloader runs beside every Prometheus and Alertmanager, two
    # sidecars (dashboards, datasources) beside Grafana, node-exporter on every node
    "prometheus-operator":              (("10m", "48Mi"), ("20m", "64Mi"),   ("50m", "128Mi")),
    "config-reloader":                  (("5m", "16Mi"),  ("10m", "32Mi"),   ("10m", "32Mi")),
    "prometheus":                       (("100m", "512Mi"), ("200m", "1Gi"), ("500m", "3Gi")),
    "alertmanager":                     (("5m", "32Mi"),  ("10m", "48Mi"),   ("10m", "64Mi")),
    "grafana":                          (("25m", "128Mi"), ("50m", "192Mi"), ("100m", "256Mi")),
    "grafana-sidecar":                  (("5m", "48Mi"),  ("10m", "64Mi"),   ("10m", "64Mi")),
    "kube-state-metrics":               (("10m", "32Mi"), ("20m", "64Mi"),   ("50m", "128Mi")),
    "node-exporter":                    (("10m", "24Mi"), ("20m", "32Mi"),   ("20m", "32Mi")),
    # GitOps, Flux: the operator (a chart) and the controllers its FluxInstance installs, one
    # pod each; staging and prod request what the operator's medium and large size profiles do
    # for source, kustomize and helm, whose limits (and GOMEMLIMIT) the profile keeps setting
    "flux-operator":                    (("10m", "64Mi"), ("50m", "96Mi"),   ("100m", "128Mi")),
    "source-controller":                (("10m", "64Mi"), ("100m", "128Mi"), ("100m", "256Mi")),
    "kustomize-controller":             (("10m", "64Mi"), ("100m", "128Mi"), ("100m", "256Mi")),
    "helm-controller":                  (("10m", "64Mi"), ("100m", "128Mi"), ("100m", "256Mi")),
    "notification-controller":          (("10m", "32Mi"), ("20m", "64Mi"),   ("50m", "64Mi")),
    "image-reflector-controller":       (("10m", "32Mi"), ("20m", "64Mi"),   ("50m", "128Mi")),
    "image-automation-controller":      (("10m", "48Mi"), ("50m", "64Mi"),   ("100m", "128Mi")),
    # GitOps, Argo CD; with high availability Redis runs as redis-ha: three server pods (redis,
    # sentinel and split-brain-fix containers) behind three HAProxy pods
    "argocd-application-controller":    (("50m", "256Mi"), ("250m", "512Mi"), ("500m", "1Gi")),
    "argocd-repo-server":               (("10m", "64Mi"), ("50m", "128Mi"),  ("100m", "256Mi")),
    "argocd-server":                    (("10m", "64Mi"), ("50m", "128Mi"),  ("50m", "128Mi")),
    "argocd-applicationset-controller": (("10m", "48Mi"), ("20m", "64Mi"),   ("20m", "96Mi")),
    "argocd-notifications-controller":  (("10m", "32Mi"), ("10m", "48Mi"),   ("20m", "64Mi")),
    "argocd-redis":                     (("10m", "32Mi"), ("50m", "64Mi"),   ("50m", "128Mi")),
    "argocd-redis-ha":                  (("10m", "32Mi"), ("50m", "64Mi"),   ("50m", "128Mi")),
    "argocd-redis-ha-sentinel":         (("5m", "16Mi"),  ("10m", "24Mi"),   ("10m", "32Mi")),
    "argocd-redis-ha-split-brain-fix":  (("5m", "16Mi"),  ("5m", "16Mi"),    ("5m", "16Mi")),
    "argocd-redis-ha-haproxy":          (("10m", "32Mi"), ("20m", "64Mi"),   ("20m", "64Mi")),
}
# fmt: on
# Memory limits, the same in every tier, kept where a workload had one already.
_MEMORY_LIMITS = {
    "cloudnative-pg": "500Mi",
    "barman-cloud-plugin": "300Mi",
    "cluster-autoscaler": "600Mi",
}

FOOTPRINT: dict[str, dict[Tier, Resources]] = {
    workload: {
        tier: Resources(cpu=cpu, memory=memory, memory_limit=_MEMORY_LIMITS.get(workload))
        for tier, (cpu, memory) in zip((Tier.dev, Tier.staging, Tier.prod), row, strict=True)
    }
    for workload, row in _TABLE.items()
}


def requests(tier: Tier, workload: str) -> Resources:
    """What `workload` requests in `tier`."""
    return FOOTPRINT[workload][tier]
