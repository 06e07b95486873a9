"""Certificates: cert-manager with Gateway API support, Let's Encrypt issuers (HTTP-01 through
the platform Gateway for the platform's own certificates, DNS-01 through Route53 or Cloud DNS
for any namespace), an optional restricted private CA, and the platform certificate the Gateway
serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.kubernetes.scheduling import spread_constraints
from kube_platform.components.observability import scrapes
from kube_platform.components.traffic.dns_zone import (
    AWS_SECRET_KEY,
    GOOGLE_KEY,
    DnsZone,
    bind_zone_identity,
    credentials_secret,
    require_identity_cloud,
    route53_policy,
)
from kube_platform.components.traffic.gateway_api import GatewayRef
from kube_platform.components.traffic.private_ca import (
    PRIVATE_CA,
    PrivateCaArgs,
    private_ca,
)
from kube_platform.components.validation import DomainName, Email, Hostname, KubernetesName

API_VERSION = "cert-manager.io/v1"
ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
}
SERVICE_ACCOUNT = "cert-manager"
CREDENTIALS_SECRET = "dns01-credentials"
# cert-manager creates an HTTP-01 challenge route in the Certificate's own namespace
# (pkg/issuer/acme/http/httproute.go), and the Gateway's HTTP listener takes routes from its
# own namespace only. So HTTP-01 solves only Certificates carrying this label, which the
# platform puts on the certificates it issues next to the Gateway; any other Certificate gets
# DNS-01 (with a zone) or fails at once instead of waiting for a route that never attaches.
HTTP01_LABEL = "acme.kube-platform.io/http01"
HTTP01_SOLVABLE = "gateway"
# Write challenge records in the zone and check they are there.
RECORD_ACTIONS = ("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets")

_Model = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

DEFAULT_RESOURCES: dict[str, Resources] = {
    "controller": Resources(cpu="50m", memory="128Mi"),
    "webhook": Resources(cpu="20m", memory="64Mi"),
    "cainjector": Resources(cpu="20m", memory="128Mi"),
    "approver-policy": Resources(cpu="20m", memory="64Mi"),
}


Issuer = Literal["private-ca", "letsencrypt-staging", "letsencrypt"]
"""A ClusterIssuer the platform creates."""


class PlatformCertificate(BaseModel):
    """The certificate the Gateway serves: the platform domain (and `*.<domain>`), plus the
    hostnames of the namespaces admitted to the Gateway."""

    model_config = _Model

    domain: DomainName = Field(description="Domain the certificate is for.")
    wildcard: bool = Field(False, description="Also cover `*.<domain>`.")
    issuer: Issuer = Field(description="ClusterIssuer that signs it.")
    namespace: KubernetesName = Field(description="Namespace of its Secret (the Gateway's).")
    secret_name: KubernetesName = Field(description="Name of its Secret.")
    extra_dns_names: tuple[Hostname, ...] = Field(
        (), description="More names to cover (hostnames the Gateway serves beyond the domain)."
    )
    # The Namespace resource of `namespace`, when the platform creates it elsewhere.
    depends_on: Sequence[Any] = Field(
        (), description="Resources to create before the certificate (its namespace)."
    )


class CertificatesArgs(BaseModel):
    """cert-manager and its issuers: Let's Encrypt (HTTP-01 through the Gateway, DNS-01
    through a zone) with an account e-mail, and a private CA restricted to one domain."""

    model_config = _Model

    namespace: KubernetesName = Field("cert-manager", description="Namespace of cert-manager.")
    high_availability: bool = Field(
        False, description="Replicas, PodDisruptionBudgets and zone spread for every component."
    )
    acme_email: Email | None = Field(
        None, description="Let's Encrypt account e-mail; the ACME issuers exist only with it."
    )
    http01_gateway: GatewayRef | None = Field(
        None, description="Gateway listener that serves HTTP-01 challenges."
    )
    dns_zone: DnsZone | None = Field(
        None, description="Zone for DNS-01 challenges (required for wildcard names)."
    )
    private_ca: PrivateCaArgs | None = Field(
        None,
        description="A private CA restricted to the platform domain, for stacks no public CA "
        "serves; None creates none.",
    )
    certificate: PlatformCertificate | None = Field(
        None, description="The platform certificate; None issues none."
    )
    # Resources cert-manager needs first: the Gateway API CRDs it watches.
    depends_on: Sequence[Any] = Field((), description="Resources to create before cert-manager.")
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(
        None,
        description="With it, cert-manager and approver-policy get their charts' "
        "ServiceMonitors and wait for these CRDs.",
    )
    resources: dict[str, Resources] = Field(
        DEFAULT_RESOURCES,
        description=f"Requests per workload: {', '.join(DEFAULT_RESOURCES)}.",
    )
    extra_values: dict[str, Any] = Field(
        {}, description="Extra cert-manager chart values, merged over the platform's."
    )

    @model_validator(mode="after")
    def _issuable(self) -> CertificatesArgs:
        cert = self.certificate
        if cert is not None and cert.issuer == PRIVATE_CA and self.private_ca is None:
            raise ValueError("a certificate from 'private-ca' needs private_ca")
        if cert is None or cert.issuer == PRIVATE_CA:
            return self
        if self.acme_email is None:
            raise ValueError(f"issuer '{cert.issuer}' needs acme_email")
        if cert.wildcard and self.dns_zone is None:
            raise ValueError(f"a wildcard certificate from '{cert.issuer}' needs a DNS-01 zone")
        return self


class Certificates(pulumi.ComponentResource):
    """cert-manager, its ClusterIssuers and the platform certificate.

    Outputs:

    - `release`: the cert-manager release; everything using cert-manager CRDs depends on it.
    - `issuers`: the ClusterIssuers by name (`letsencrypt`, `letsencrypt-staging`,
      `private-ca`), each only when configured.
    """

    release: k8s.helm.v3.Release
    """The cert-manager release: everything using cert-manager CRDs depends on it."""
    issuers: dict[str, k8s.apiextensions.CustomResource]

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: CertificatesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install cert-manager in `cluster` with the issuers `args` asks for; `name`
        prefixes every child's name. `opts` applies to the component itself."""
        super().__init__("platform:index:Certificates", name, None, opts)
        self._cluster, self._name_prefix, self._args = cluster, name, args
        namespace = platform_namespace(cluster, args.namespace, self)

        # Each workload's requests: as given, else the default.
        requests = {**DEFAULT_RESOURCES, **args.resources}
        zone = args.dns_zone
        annotations: dict[str, Any] = {}
        ready: list[pulumi.Resource] = []
        credentials = None
        if zone is not None and zone.static_credentials:
            # In cert-manager's namespace, where ClusterIssuers read secrets from.
            credentials = credentials_secret(
                cluster,
                zone,
                f"{name}-dns01-credentials",
                secret_name=CREDENTIALS_SECRET,
                namespace=args.namespace,
                after=namespace,
                parent=self,
            )
        elif zone is not None:
            identity = self._dns01_identity(zone)
            annotations, ready = identity.service_account_annotations, identity.ready

        self.release = helm_release(
            cluster,
            f"{name}-cert-manager",
            versions.CERT_MANAGER,
            namespace=args.namespace,
            values=cert_manager_values(
                args.high_availability,
                annotations,
                approve_signer_names=approve_signer_names(
                    acme=args.acme_email is not None, private_ca=args.private_ca is not None
                ),
                resources=requests,
                monitoring=args.monitoring_crds is not None,
            ),
            extra_values=args.extra_values,
            parent=self,
            depends_on=[namespace, *args.depends_on, *ready, *self._monitoring()],
        )

        cert = args.certificate
        self.issuers = {}
        if args.private_ca is not None:
            self.issuers[PRIVATE_CA] = private_ca(
                cluster,
                f"{name}-{PRIVATE_CA}",
                args.private_ca,
                cert_manager_namespace=args.namespace,
                cert_manager=self.release,
                cert_manager_service_account=SERVICE_ACCOUNT,
                requester_after=list(cert.depends_on) if cert else [],
                high_availability=args.high_availability,
                parent=self,
                resources=requests["approver-policy"],
                monitoring_crds=args.monitoring_crds,
            ).issuer
        solvers = acme_solvers(args.http01_gateway, zone, credentials)
        if args.acme_email is not None:
            for issuer, server in ACME_SERVERS.items():
                self.issuers[issuer] = self._custom(
                    f"{name}-{issuer}",
                    "ClusterIssuer",
                    {"name": issuer},
                    {
                        "acme": {
                            "server": server,
                            "email": args.acme_email,
                            "privateKeySecretRef": {"name": f"{issuer}-account-key"},
                            "solvers": solvers,
                        }
                    },
                    [],
                )

        self.certificate = None
        if cert is not None:
            self.certificate = self._custom(
                f"{name}-platform",
                "Certificate",
                {
                    "name": cert.secret_name,
                    "namespace": cert.namespace,
                    "labels": {HTTP01_LABEL: HTTP01_SOLVABLE},
                },
                {
                    "secretName": cert.secret_name,
                    "dnsNames": certificate_dns_names(cert),
                    "issuerRef": {
                        "group": "cert-manager.io",
                        "kind": "ClusterIssuer",
                        "name": cert.issuer,
                    },
                    "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                },
                [self.issuers[cert.issuer], *cert.depends_on],
            )

        self.register_outputs({"issuers": sorted(self.issuers)})

    def _monitoring(self) -> list[pulumi.Resource]:
        crds = self._args.monitoring_crds
        return [crds] if crds is not None else []

    def _custom(
        self,
        name: str,
        kind: str,
        metadata: dict[str, Any],
        spec: dict[str, Any],
        depends_on: list[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            name,
            api_version=API_VERSION,
            kind=kind,
            metadata=metadata,
            spec=spec,
            opts=self._cluster.child_opts(self, depends_on=[self.release, *depends_on]),
        )

    def _dns01_identity(self, zone: DnsZone) -> WorkloadIdentity:
        """cert-manager's own cloud identity, allowed to change records in `zone` only."""
        cluster, args = self._cluster, self._args
        require_identity_cloud(cluster, zone, f"{zone.provider_name} DNS-01")
        request = WorkloadIdentityRequest(
            name="cert-manager-dns01",
            namespace=args.namespace,
            service_account=SERVICE_ACCOUNT,
            aws_policy=(
                route53_policy(
                    cluster,
                    zone.route53,
                    record_actions=RECORD_ACTIONS,
                    account_actions=["route53:ListHostedZonesByName"],
                    follow_changes=True,
                )
                if zone.route53
                else None
            ),
        )
        return bind_zone_identity(
            cluster,
            zone,
            request,
            zone_grant_name=f"{self._name_prefix}-dns01-zone-admin",
            parent=self,
        )


def acme_solvers(
    gateway: GatewayRef | None, zone: DnsZone | None, credentials: k8s.core.v1.Secret | None
) -> list[dict[str, Any]]:
    """DNS-01 for names in the zone (the only way to get wildcards), from any namespace;
    HTTP-01 through the Gateway's HTTP listener only for the platform's own certificates, the
    only ones whose challenge routes that listener admits."""
    solvers: list[dict[str, Any]] = []
    if zone is not None:
        solvers.append({"selector": {"dnsZones": [zone.name]}, "dns01": _dns01(zone, credentials)})
    if gateway is not None:
        solvers.append(
            {
                "selector": {"matchLabels": {HTTP01_LABEL: HTTP01_SOLVABLE}},
                "http01": {"gatewayHTTPRoute": {"parentRefs": [gateway.parent_ref()]}},
            }
        )
    return solvers


def _dns01(zone: DnsZone, credentials: k8s.core.v1.Secret | None) -> dict[str, Any]:
    secret = CREDENTIALS_SECRET if credentials is not None else None
    if zone.route53 is not None:
        route53: dict[str, Any] = {
            "region": zone.route53.region,
            "hostedZoneID": zone.route53.hosted_zone_id,
        }
        if secret is not None:
            route53["accessKeyID"] = zone.route53.access_key_id
            route53["secretAccessKeySecretRef"] = {"name": secret, "key": AWS_SECRET_KEY}
        return {"route53": route53}
    cloud_dns: dict[str, Any] = {
        "project": zone.cloud_dns.project,
        "hostedZoneName": zone.cloud_dns.managed_zone,
    }
    if secret is not None:
        cloud_dns["serviceAccountSecretRef"] = {"name": secret, "key": GOOGLE_KEY}
    return {"cloudDNS": cloud_dns}


def certificate_dns_names(cert: PlatformCertificate) -> list[str]:
    """The domain (and `*.domain` when wildcard), then each extra name the first ones do not
    cover (a certificate wildcard covers exactly one label)."""
    names = [cert.domain, f"*.{cert.domain}"] if cert.wildcard else [cert.domain]

    def covered(name: str) -> bool:
        one_label_under = name.count(".") == cert.domain.count(".") + 1
        return name in names or (
            cert.wildcard and one_label_under and name.endswith(f".{cert.domain}")
        )

    return [*names, *dict.fromkeys(n for n in cert.extra_dns_names if not covered(n))]


def approve_signer_names(*, acme: bool, private_ca: bool) -> list[str] | None:
    """What cert-manager's own approver may approve: everything (the chart default, None)
    unless the private CA exists, whose requests (signer `SIGNER`) approver-policy alone
    decides. Never empty: the chart reads an empty list as every signer."""
    if not private_ca:
        return None
    acme_issuers = [f"clusterissuers.cert-manager.io/{i}" for i in ACME_SERVERS] if acme else []
    return ["issuers.cert-manager.io/*", *acme_issuers]


def cert_manager_values(
    high_availability: bool,
    service_account_annotations: dict[str, Any],
    *,
    resources: Mapping[str, Resources],
    approve_signer_names: list[str] | None = None,
    monitoring: bool = False,
) -> dict[str, Any]:
    """Values for the pinned cert-manager chart (keys from its values.schema.json); `resources`
    holds the requests of the controller, webhook and cainjector."""
    values: dict[str, Any] = {
        # The chart owns the CRDs and keeps them on uninstall, so certificates survive it.
        "crds": {"enabled": True, "keep": True},
        "config": {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            # v1.21 name of the former `enableGatewayAPI`.
            "gatewayAPI": {"enabled": True},
        },
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": service_account_annotations},
        "resources": resources["controller"].values(),
        "webhook": {"resources": resources["webhook"].values()},
        "cainjector": {"resources": resources["cainjector"].values()},
    }
    if monitoring:
        values = merge_values(values, scrapes.cert_manager_values())
    if approve_signer_names is not None:
        values["approveSignerNames"] = approve_signer_names
    if high_availability:
        # The webhook answers the API server synchronously, so it gets the most replicas.
        for target, component, replicas in (
            (values, "controller", 2),
            (values["webhook"], "webhook", 3),
            (values["cainjector"], "cainjector", 2),
        ):
            target.update(
                {
                    "replicaCount": replicas,
                    "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                    "topologySpreadConstraints": spread_constraints(
                        {
                            "app.kubernetes.io/instance": "cert-manager",
                            "app.kubernetes.io/component": component,
                        }
                    ),
                }
            )
    return values
