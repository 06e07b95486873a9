"""Ingress, certificates and DNS: Traefik and the platform Gateway, cert-manager with its
issuers and the platform certificate, and external-dns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.traffic.certificates import (
    Certificates,
    CertificatesArgs,
    PlatformCertificate,
)
from kube_platform.components.traffic.dns import ExternalDns, ExternalDnsArgs
from kube_platform.components.traffic.dns_zone import CloudDnsZone, DnsZone, Route53Zone
from kube_platform.components.traffic.gateway_api import GatewayRef
from kube_platform.components.traffic.ingress import Ingress, IngressArgs, RouteNamespace
from kube_platform.components.traffic.private_ca import PRIVATE_CA, PrivateCaArgs
from kube_platform.stacks import footprint
from kube_platform.stacks.config import PROJECT, StackConfig

TLS_SECRET = "platform-tls"


@dataclass
class Traffic:
    outputs: dict[str, Any] = field(default_factory=dict)
    # The cert-manager release; components that need cert-manager's CRDs depend on it.
    cert_manager: pulumi.Resource | None = None
    # Where routes attach (the Gateway, and its HTTPS listener per hostname), and what
    # installs the Gateway API CRDs routes need.
    gateway: GatewayRef | None = None
    https_listeners: dict[str, GatewayRef] = field(default_factory=dict)
    gateway_api: pulumi.Resource | None = None
    # The tier's ClusterIssuer, when the stack has one (a domain or an ACME account).
    issuer: str | None = None


def build(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    *,
    monitoring_crds: pulumi.Resource | None = None,
) -> Traffic:
    domain = cfg.ingress.domain
    tier = cfg.tier
    ingress = Ingress(
        "ingress",
        cluster,
        IngressArgs(
            tls_secret_name=TLS_SECRET if domain else None,
            route_namespaces=route_namespaces(cfg),
            # GKE installs and upgrades the Gateway API CRDs itself (gateway_api_config).
            gateway_api_crds_from_cluster=cfg.cluster.kind == "gke",
            replicas=cfg.ingress.replicas or (2 if cfg.ha else 1),
            high_availability=cfg.ha,
            service_type=cfg.ingress.service_type,
            internal=cfg.ingress.internal,
            deletion_protection=cfg.protect_stateful,
            aws_vpc_id=getattr(cluster, "vpc_id", None) if cluster.cloud == "aws" else None,
            monitoring_crds=monitoring_crds,
            traefik_resources=footprint.requests(tier, "traefik"),
            load_balancer_controller_resources=footprint.requests(
                tier, "aws-load-balancer-controller"
            ),
        ),
    )
    zone = dns_zone(cfg, cluster)
    issuer = cfg.certificates.issuer_for(cfg.tier)
    certificates = Certificates(
        "certificates",
        cluster,
        CertificatesArgs(
            high_availability=cfg.ha,
            acme_email=cfg.certificates.acme_email,
            http01_gateway=ingress.http_listener,
            dns_zone=zone,
            private_ca=(
                PrivateCaArgs(
                    common_name=f"{cfg.cluster_name(stack)} private CA",
                    domain=domain,
                    requester_namespace=ingress.gateway.namespace,
                )
                # Where a public CA serves the domain there is no private CA at all.
                if domain and issuer == PRIVATE_CA
                else None
            ),
            certificate=(
                PlatformCertificate(
                    domain=domain,
                    wildcard=wildcard(cfg),
                    issuer=issuer,
                    namespace=ingress.gateway.namespace,
                    secret_name=TLS_SECRET,
                    extra_dns_names=tuple(h for ns in route_namespaces(cfg) for h in ns.hostnames),
                    depends_on=[ingress.namespace],
                )
                if domain
                else None
            ),
            depends_on=[ingress.crds] if ingress.crds is not None else [],
            monitoring_crds=monitoring_crds,
            resources={
                workload: footprint.requests(tier, key)
                for workload, key in (
                    ("controller", "cert-manager"),
                    ("webhook", "cert-manager-webhook"),
                    ("cainjector", "cert-manager-cainjector"),
                    ("approver-policy", "approver-policy"),
                )
            },
        ),
    )
    outputs: dict[str, Any] = {
        "gateway": {"name": ingress.gateway.name, "namespace": ingress.gateway.namespace},
    }
    if domain:
        outputs |= {"platformDomain": domain, "certificateIssuer": issuer}
    if zone is not None and cfg.dns.external_dns_enabled:
        ExternalDns(
            "external-dns",
            cluster,
            ExternalDnsArgs(
                zone=zone,
                txt_owner_id=f"{PROJECT}-{stack}",
                policy=cfg.dns.policy or ("upsert-only" if cfg.ha else "sync"),
                monitoring_crds=monitoring_crds,
                resources=footprint.requests(tier, "external-dns"),
            ),
        )
        outputs["dnsZone"] = zone.name
    return Traffic(
        outputs=outputs,
        cert_manager=certificates.release,
        gateway=ingress.gateway,
        https_listeners=ingress.https_listeners,
        gateway_api=ingress.crds,
        issuer=issuer if issuer in certificates.issuers else None,
    )


def route_namespaces(cfg: StackConfig) -> tuple[RouteNamespace, ...]:
    """The application namespaces that list hostnames, and the namespaces of platform services
    served through the Gateway (validated by `StackConfig.problems`)."""
    if cfg.ingress.domain is None:
        return ()
    hostnames: dict[str, list[str]] = {
        n.name: list(n.hostnames) for n in cfg.access.namespaces if n.hostnames
    }
    for route in cfg.platform_routes():
        hostnames.setdefault(route.namespace, []).append(route.hostname)
    return tuple(RouteNamespace(name=n, hostnames=tuple(h)) for n, h in hostnames.items())


def wildcard(cfg: StackConfig) -> bool:
    """Wildcards by default wherever they can be issued: with DNS-01, or from the private CA."""
    if cfg.certificates.wildcard is not None:
        return cfg.certificates.wildcard
    return cfg.dns.zone is not None or cfg.certificates.issuer_for(cfg.tier) == "private-ca"


def dns_zone(cfg: StackConfig, cluster: Cluster) -> DnsZone | None:
    """The configured zone and how to reach it (validated by `StackConfig.problems`)."""
    dns = cfg.dns
    if dns.zone is None:
        return None
    if dns.route53 is not None:
        r53 = dns.route53
        secret = r53.secret_access_key
        return DnsZone(
            name=dns.zone,
            route53=Route53Zone(
                hosted_zone_id=r53.hosted_zone_id,
                region=cluster.region or r53.region,
                access_key_id=r53.access_key_id,
                secret_access_key=(
                    pulumi.Output.secret(secret.get_secret_value()) if secret else None
                ),
            ),
        )
    cloud_dns = dns.cloud_dns
    assert cloud_dns is not None
    key = cloud_dns.service_account_key
    return DnsZone(
        name=dns.zone,
        cloud_dns=CloudDnsZone(
            project=cloud_dns.project or getattr(cluster, "project", None),
            managed_zone=cloud_dns.managed_zone,
            service_account_key=pulumi.Output.secret(key.get_secret_value()) if key else None,
        ),
    )
