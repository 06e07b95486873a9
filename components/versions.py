"""Every chart, CRD bundle, add-on and image version the platform installs, pinned exactly.

An upgrade is a one-line, reviewed change here. Nothing else in the code names a version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    """A Helm chart at an exact version. `repo` is an HTTPS index or an `oci://` registry path."""

    name: str
    version: str
    repo: str

    @property
    def reference(self) -> str:
        """The chart argument Helm expects: the OCI URL itself, or the bare name with `repo`."""
        return self.repo if self.repo.startswith("oci://") else self.name

    @property
    def repository(self) -> str | None:
        return None if self.repo.startswith("oci://") else self.repo


# Kubernetes versions the platform is tested against (minor versions, inclusive window).
KUBERNETES_MIN = "1.33"
KUBERNETES_MAX = "1.36"
KUBERNETES_DEFAULT = "1.35"

# Helm charts.
CERT_MANAGER = Chart("cert-manager", "v1.21.1", "https://charts.jetstack.io")
CERT_MANAGER_APPROVER_POLICY = Chart(
    "cert-manager-approver-policy", "v0.27.0", "https://charts.jetstack.io"
)
CLOUDNATIVE_PG = Chart("cloudnative-pg", "0.29.0", "https://cloudnative-pg.github.io/charts")
BARMAN_CLOUD_PLUGIN = Chart(
    "plugin-barman-cloud", "0.7.0", "https://cloudnative-pg.github.io/charts"
)
# CloudNativePG operand images, `standard` flavour on Debian trixie (the `system` flavour only
# adds the deprecated in-tree Barman Cloud tools), one exact tag per supported Postgres major.
POSTGRES_IMAGES = {
    16: "ghcr.io/cloudnative-pg/postgresql:16.15-standard-trixie",
    17: "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
    18: "ghcr.io/cloudnative-pg/postgresql:18.6-standard-trixie",
}
POSTGRES_DEFAULT_MAJOR = 18
TRAEFIK = Chart("traefik", "41.3.0", "https://traefik.github.io/charts")
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts"
)
EXTERNAL_DNS = Chart("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/")
EXTERNAL_SECRETS = Chart("external-secrets", "2.9.0", "https://charts.external-secrets.io")
TAILSCALE_OPERATOR = Chart("tailscale-operator", "1.102.3", "https://pkgs.tailscale.com/helmcharts")
CLUSTER_AUTOSCALER = Chart(
    "cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler"
)
# The Flux operator chart is published with the operator's own version; the FluxInstance pins
# the Flux release itself (one the operator embeds: operator 0.58.1 embeds up to Flux 2.9.4).
FLUX_OPERATOR = Chart(
    "flux-operator", "0.58.1", "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator"
)
# renovate: datasource=github-releases depName=fluxcd/flux2
FLUX = "2.9.4"
FLUX_REGISTRY = "ghcr.io/fluxcd"
# Chart argo-cd 10.1.1 installs Argo CD v3.4.4 and its CRDs.
ARGO_CD = Chart("argo-cd", "10.1.1", "https://argoproj.github.io/argo-helm")
# prometheus-operator v0.93.1, Prometheus, Alertmanager, Grafana 12.11.1 (grafana-community),
# kube-state-metrics 8.4.0 and prometheus-node-exporter 4.56.1 (the chart's Chart.yaml).
KUBE_PROMETHEUS_STACK = Chart(
    "kube-prometheus-stack",
    "88.5.3",
    "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack",
)

# CRDs of charts that keep them in crds/, which Helm installs once and never upgrades: the
# platform applies them itself from the chart's tagged source, so they follow the chart.
AWS_LOAD_BALANCER_CONTROLLER_CRDS_URLS = tuple(
    "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/"
    f"v{AWS_LOAD_BALANCER_CONTROLLER.version}/helm/aws-load-balancer-controller/crds/{name}"
    for name in ("crds.yaml", "gateway-crds.yaml")
)

# The prometheus-operator CRDs exactly as kube-prometheus-stack bundles them (its crds/
# sub-chart, which Helm never upgrades), from the chart's release tag. Several exceed the
# 256 KiB annotation client-side apply keeps, so they are applied server-side.
MONITORING_CRDS = (
    "alertmanagerconfigs",
    "alertmanagers",
    "podmonitors",
    "probes",
    "prometheusagents",
    "prometheuses",
    "prometheusrules",
    "scrapeconfigs",
    "servicemonitors",
    "thanosrulers",
)
MONITORING_CRDS_URLS = tuple(
    "https://raw.githubusercontent.com/prometheus-community/helm-charts/"
    f"kube-prometheus-stack-{KUBE_PROMETHEUS_STACK.version}/charts/kube-prometheus-stack/"
    f"charts/crds/crds/crd-{name}.yaml"
    for name in MONITORING_CRDS
)

# Grafana dashboards, downloaded by Grafana's init container at start from their upstream
# sources at these pins (nothing is copied into this repository). Traefik's is the one its
# docs name for Kubernetes, at the Traefik release the pinned chart deploys; Flux's is the
# flux-operator's own, at the operator release the platform pins for Flux; Argo CD's is the
# example its metrics docs link, at the Argo CD release the pinned chart deploys.
# renovate: datasource=github-releases depName=traefik/traefik
TRAEFIK_APP_VERSION = "v3.7.11"
TRAEFIK_DASHBOARD_URL = (
    "https://raw.githubusercontent.com/traefik/traefik/"
    f"{TRAEFIK_APP_VERSION}/contrib/grafana/traefik-kubernetes.json"
)
FLUX_OPERATOR_VERSION = f"v{FLUX_OPERATOR.version}"
FLUX_DASHBOARD_URL = (
    "https://raw.githubusercontent.com/controlplaneio-fluxcd/flux-operator/"
    f"{FLUX_OPERATOR_VERSION}/config/monitoring/dashboards/flux-performance.json"
)
# renovate: datasource=github-releases depName=argoproj/argo-cd
ARGO_CD_APP_VERSION = "v3.4.4"
ARGO_CD_DASHBOARD_URL = (
    "https://raw.githubusercontent.com/argoproj/argo-cd/"
    f"{ARGO_CD_APP_VERSION}/examples/dashboard.json"
)
# grafana.com dashboard 11001 ("Cert-manager"), its first revision.
CERT_MANAGER_DASHBOARD = (11001, 1)

# Google Cloud Managed Service for Prometheus: the Prometheus fork of self-deployed collection
# (GoogleCloudPlatform/prometheus-engine manifests/operator.yaml), which exports to Monarch
# with the pod's workload identity. Used only when remote write to Google is enabled.
GMP_PROMETHEUS_IMAGE = "gke.gcr.io/prometheus-engine/prometheus:v2.53.5-gmp.2-gke.0"
# The upstream Prometheus release the fork is built on (its tag up to `-gmp`), for the operator.
GMP_PROMETHEUS_VERSION = GMP_PROMETHEUS_IMAGE.rsplit(":", 1)[1].split("-gmp")[0]


def image_parts(image: str) -> tuple[str, str, str]:
    """`registry/repository:tag` as (registry, repository, tag)."""
    name, tag = image.rsplit(":", 1)
    registry, repository = name.split("/", 1)
    return registry, repository, tag

# Gateway API standard channel, applied from the upstream release asset where the cluster does
# not manage these CRDs itself (GKE does: see GKE_MIN_GATEWAY_API_VERSION).
# renovate: datasource=github-releases depName=kubernetes-sigs/gateway-api
GATEWAY_API = "v1.6.1"
GATEWAY_API_CRDS_URL = (
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
    f"{GATEWAY_API}/standard-install.yaml"
)

# GKE installs and reconciles the Gateway API CRDs itself, pinned per GKE version. Traefik v3.7
# (chart 41.3.0) watches TLSRoute v1, in the standard channel from Gateway API v1.5.0, which GKE
# pins from 1.36.0 on (CRD component-version 1.5.0-gke.3505).
GKE_MIN_GATEWAY_API_VERSION = "1.36"

# EKS managed add-ons (`aws eks describe-addon-versions --kubernetes-version <minor>
# --addon-name <name>`). These work on every minor in the window...
EKS_ADDONS = {
    "vpc-cni": "v1.21.1-eksbuild.7",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.2",
    "aws-ebs-csi-driver": "v1.59.0-eksbuild.1",
}
# ...these follow the cluster's minor version (and override the above where a minor needs
# newer builds); an EKS cluster needs an entry for its minor.
EKS_ADDONS_BY_MINOR = {
    "1.33": {"coredns": "v1.12.4-eksbuild.18", "kube-proxy": "v1.33.10-eksbuild.2"},
    "1.34": {"coredns": "v1.13.2-eksbuild.11", "kube-proxy": "v1.34.6-eksbuild.2"},
    "1.35": {"coredns": "v1.14.3-eksbuild.3", "kube-proxy": "v1.35.3-eksbuild.2"},
    "1.36": {
        "coredns": "v1.14.3-eksbuild.16",
        "kube-proxy": "v1.36.0-eksbuild.21",
        "vpc-cni": "v1.22.4-eksbuild.3",
        "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    },
}


# cluster-autoscaler is released per Kubernetes minor and should match the cluster's; the
# chart's default image follows only its newest minor. Same minors as the add-ons above.
# renovate: datasource=docker depName=registry.k8s.io/autoscaling/cluster-autoscaler
CLUSTER_AUTOSCALER_IMAGE_TAGS = {
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}

# The CodeBuild-curated image the EKS deploy runner's jobs run on: Ubuntu 22.04, because
# actions/setup-python installs Python only on the operating systems of GitHub's own runners.
CODEBUILD_RUNNER_IMAGE = "aws/codebuild/standard:7.0"


def eks_addons(kubernetes_version: str) -> dict[str, str]:
    """Every EKS add-on version for a cluster at `kubernetes_version` (a minor, e.g. 1.35)."""
    return {**EKS_ADDONS, **EKS_ADDONS_BY_MINOR[kubernetes_version]}
