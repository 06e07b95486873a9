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
CLOUDNATIVE_PG = Chart("cloudnative-pg", "0.29.0", "https://cloudnative-pg.github.io/charts")
BARMAN_CLOUD_PLUGIN = Chart(
    "plugin-barman-cloud", "0.7.0", "https://cloudnative-pg.github.io/charts"
)
TRAEFIK = Chart("traefik", "41.3.0", "https://traefik.github.io/charts")
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts"
)
EXTERNAL_DNS = Chart("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/")
EXTERNAL_SECRETS = Chart("external-secrets", "2.9.0", "https://charts.external-secrets.io")
TAILSCALE_OPERATOR = Chart("tailscale-operator", "1.102.3", "https://pkgs.tailscale.com/helmcharts")
KARPENTER = Chart("karpenter", "1.14.1", "oci://public.ecr.aws/karpenter/karpenter")
CLUSTER_AUTOSCALER = Chart(
    "cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler"
)

# Gateway API standard channel, applied from the upstream release asset.
GATEWAY_API = "v1.6.1"
GATEWAY_API_CRDS_URL = (
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
    f"{GATEWAY_API}/standard-install.yaml"
)
