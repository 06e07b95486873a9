"""Ingress, certificates and DNS, and their cross-key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from kube_platform.components import versions
from kube_platform.components.traffic.certificates import Issuer
from kube_platform.components.traffic.dns import DnsPolicy
from kube_platform.components.traffic.ingress import ha_replicas_problem
from kube_platform.components.validation import (
    AwsRegion,
    DomainName,
    Email,
    GcpProjectId,
    KubernetesName,
    Replicas,
    Route53ZoneId,
)
from kube_platform.stacks.config.base import ConfigModel, Tier, camel_to_snake
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

TIER_ISSUERS: dict[Tier, Issuer] = {
    Tier.dev: "private-ca",
    Tier.staging: "letsencrypt-staging",
    Tier.prod: "letsencrypt",
}


class IngressConfig(ConfigModel):
    """Traefik, the platform Gateway and its load balancer."""

    domain: DomainName | None = Field(
        None,
        description="Platform domain; apps are served under it, e.g. `apps.example.com`. "
        "Without it the Gateway serves plain HTTP only and no certificate is issued.",
    )
    service_type: Literal["LoadBalancer", "NodePort"] = Field(
        "LoadBalancer",
        description="Service type of the ingress controller on an existing cluster (EKS and "
        "GKE always use a cloud load balancer).",
    )
    internal: bool = Field(
        False, description="Use an internal (private) load balancer instead of a public one."
    )
    replicas: Replicas | None = Field(
        None, description="Ingress controller replicas. Default: 2 with HA, else 1."
    )


class CertificatesConfig(ConfigModel):
    """cert-manager issuers and the platform certificate."""

    acme_email: Email | None = Field(
        None,
        description="Let's Encrypt account e-mail. Setting it creates the `letsencrypt` and "
        "`letsencrypt-staging` ClusterIssuers; required when one of them issues the platform "
        "certificate.",
    )
    issuer: Issuer | None = Field(
        None,
        description="Issuer of the platform certificate. Default: prod `letsencrypt`, "
        "staging `letsencrypt-staging`, dev `private-ca`.",
    )
    wildcard: bool | None = Field(
        None,
        description="Also cover `*.<domain>`. Default: on when DNS-01 is available (a DNS zone "
        "is configured) or the issuer is `private-ca`; Let's Encrypt issues wildcards only "
        "through DNS-01.",
    )

    def issuer_for(self, tier: Tier) -> Issuer:
        return self.issuer or TIER_ISSUERS[tier]


class Route53Config(ConfigModel):
    """A Route53 hosted zone. EKS clusters reach it through Pod Identity; an existing cluster
    needs an access key."""

    hosted_zone_id: Route53ZoneId = Field(
        description="Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`."
    )
    region: AwsRegion = Field(
        "us-east-1",
        description="AWS region for Route53 API calls from an existing cluster. EKS uses the "
        "cluster's region.",
    )
    access_key_id: str | None = Field(
        None, description="IAM access key id; existing clusters only (EKS uses Pod Identity)."
    )
    secret_access_key: SecretValue | None = Field(
        None, description="IAM secret access key (secret); existing clusters only."
    )

    @model_validator(mode="after")
    def _key_pair(self) -> Route53Config:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("accessKeyId and secretAccessKey go together; set both or neither")
        return self


class CloudDnsConfig(ConfigModel):
    """A Cloud DNS managed zone. GKE clusters reach it through Workload Identity; an existing
    cluster needs a service account key."""

    managed_zone: KubernetesName = Field(
        description="Managed zone name (not its DNS name), e.g. `apps`."
    )
    project: GcpProjectId | None = Field(
        None, description="Project of the zone. Default: the GKE cluster's project."
    )
    service_account_key: SecretValue | None = Field(
        None,
        description="Service account key JSON with `roles/dns.admin` on the zone (secret); "
        "existing clusters only (GKE uses Workload Identity).",
    )


class DnsConfig(ConfigModel):
    """The DNS zone behind the platform domain: DNS-01 challenges and external-dns."""

    zone: DomainName | None = Field(
        None,
        description="DNS zone the platform manages records in, e.g. `example.com`; must "
        "contain `ingress.domain`. Enables DNS-01 (wildcard certificates) and external-dns.",
    )
    route53: Route53Config | None = Field(None, description="The zone on Route53 (EKS).")
    cloud_dns: CloudDnsConfig | None = Field(None, description="The zone on Cloud DNS (GKE).")
    external_dns: bool | None = Field(
        None, description="Run external-dns for the zone. Default: on when a zone is set."
    )
    policy: DnsPolicy | None = Field(
        None,
        description="external-dns policy. Default: `upsert-only` with HA (prod: never "
        "deletes records), `sync` otherwise.",
    )

    @property
    def credentials_given(self) -> bool:
        return bool(
            (self.route53 and self.route53.secret_access_key)
            or (self.cloud_dns and self.cloud_dns.service_account_key)
        )

    @property
    def external_dns_enabled(self) -> bool:
        return self.zone is not None and self.external_dns is not False


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Ingress, certificate and DNS problems: (key path, message) pairs."""
    return [*_ingress_problems(cfg), *_certificate_problems(cfg), *_dns_problems(cfg)]


def _ingress_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind = cfg.cluster.kind
    if kind != "existing" and cfg.ingress.service_type == "NodePort":
        found.append(
            (
                "ingress.serviceType",
                f"NodePort applies to existing clusters only; on {kind.upper()} the "
                "ingress always gets a cloud load balancer (set ingress.internal for a "
                "private one); remove ingress.serviceType",
            )
        )
    gke_floor = versions.GKE_MIN_GATEWAY_API_VERSION
    if kind == "gke" and _minor(cfg.cluster.kubernetes_version) < _minor(gke_floor):
        found.append(
            (
                "cluster.kubernetesVersion",
                f"GKE owns the Gateway API CRDs and pins them per version; the Traefik chart "
                f"{versions.TRAEFIK.version} needs TLSRoute v1 (Gateway API v1.5), which GKE "
                f'ships from {gke_floor} on; set cluster.kubernetesVersion to "{gke_floor}"',
            )
        )
    replicas = cfg.ingress.replicas
    problem = ha_replicas_problem(cfg.ha, replicas) if replicas is not None else None
    if problem is not None:
        found.append(
            (
                "ingress.replicas",
                f"{problem}; raise ingress.replicas or remove it (the default with HA is 2)",
            )
        )
    return found


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _certificate_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    domain, dns, certs = cfg.ingress.domain, cfg.dns, cfg.certificates
    issuer = certs.issuer_for(cfg.tier)
    if issuer != "private-ca" and certs.acme_email is None and (domain or certs.issuer is not None):
        found.append(
            (
                "certificates.acmeEmail",
                f"the platform certificate is issued by '{issuer}' (Let's Encrypt), which "
                "needs an ACME account e-mail; set certificates.acmeEmail, or set "
                "certificates.issuer to 'private-ca'",
            )
        )
    if certs.wildcard and issuer != "private-ca" and dns.zone is None:
        found.append(
            (
                "certificates.wildcard",
                f"a wildcard certificate from '{issuer}' needs the DNS-01 challenge, "
                "which needs a DNS zone; set dns.zone (with dns.route53 or dns.cloudDns), "
                "or set certificates.wildcard to false",
            )
        )
    if certs.wildcard and domain is None:
        found.append(
            ("certificates.wildcard", "a wildcard certificate needs ingress.domain; set it")
        )
    return found


def _dns_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind, dns, domain = cfg.cluster.kind, cfg.dns, cfg.ingress.domain
    providers = [k for k in ("route53", "cloudDns") if getattr(dns, camel_to_snake(k)) is not None]
    if dns.zone is None:
        found += [
            (f"dns.{p}", f"dns.{p} is set without dns.zone; set the zone's DNS name")
            for p in providers
        ]
        if dns.external_dns:
            found.append(("dns.externalDns", "external-dns needs dns.zone; set it"))
        return found
    if domain is not None and not (domain == dns.zone or domain.endswith(f".{dns.zone}")):
        found.append(
            (
                "dns.zone",
                f"zone '{dns.zone}' does not contain ingress.domain '{domain}'; use the "
                "zone the domain belongs to (the domain itself or a parent of it)",
            )
        )
    expected = {"eks": "route53", "gke": "cloudDns"}.get(kind)
    if len(providers) > 1:
        found.append(("dns", "dns.route53 and dns.cloudDns are both set; keep one"))
    elif expected and providers != [expected]:
        what = "hostedZoneId" if expected == "route53" else "managedZone"
        found.append(
            (
                f"dns.{expected}",
                f"dns.zone is set and the cluster runs on {kind.upper()}, which manages "
                f"the zone through dns.{expected}; set dns.{expected}.{what}"
                + (f" and remove dns.{providers[0]}" if providers else ""),
            )
        )
    elif kind == "existing" and not providers:
        found.append(
            (
                "dns",
                "dns.zone is set on an existing cluster; say where the zone is hosted with "
                "dns.route53 or dns.cloudDns, including credentials",
            )
        )
    if kind == "existing" and providers and not dns.credentials_given:
        found.append(
            (
                f"dns.{providers[0]}",
                "DNS-01 and external-dns on an existing cluster need credentials (it has "
                "no cloud workload identity); set "
                + (
                    "dns.route53.accessKeyId and dns.route53.secretAccessKey (secret)"
                    if providers[0] == "route53"
                    else "dns.cloudDns.serviceAccountKey (secret)"
                )
                + ", or remove dns.zone",
            )
        )
    if kind != "existing" and dns.credentials_given:
        found.append(
            (
                f"dns.{expected}",
                "static DNS credentials are for existing clusters; on "
                f"{kind.upper()} cert-manager and external-dns use workload identity, so "
                "remove them",
            )
        )
    if kind == "existing" and dns.cloud_dns and dns.cloud_dns.project is None:
        found.append(
            ("dns.cloudDns.project", "an existing cluster needs the zone's project; set it")
        )
    return found
