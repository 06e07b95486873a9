"""Private access to the cluster API (Tailscale) and application namespaces, and their
cross-key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from kube_platform.components.security.private_access import Tailnet, TailscaleTag
from kube_platform.components.traffic.ingress import MAX_HTTPS_LISTENERS, listener_name_clash
from kube_platform.components.validation import Hostname, KubernetesName
from kube_platform.stacks.config.base import ConfigModel
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.cluster import EksConfig
    from kube_platform.stacks.config.stack import StackConfig


class TailscaleConfig(ConfigModel):
    """The Tailscale Kubernetes operator with its API server proxy (auth mode): engineers on
    the tailnet reach the API with their tailnet identity, mapped to Kubernetes RBAC."""

    enabled: bool = Field(False, description="Install the operator and its API server proxy.")
    hostname: KubernetesName | None = Field(
        None, description="Tailnet machine name of the API proxy. Default: the cluster name."
    )
    tailnet: Tailnet | None = Field(
        None, description="Tailnet DNS name, e.g. `tail1234.ts.net` (required when enabled)."
    )
    tags: list[TailscaleTag] = Field(
        ["tag:k8s-operator"],
        min_length=1,
        description="ACL tags of the operator's tailnet device.",
    )
    oauth_client_id: str | None = Field(None, description="Tailscale OAuth client id.")
    oauth_client_secret: SecretValue | None = Field(
        None, description="Tailscale OAuth client secret (secret; `pulumi config set --secret`)."
    )
    oauth_secret_key: str | None = Field(
        None,
        description="Instead of oauthClientId/oauthClientSecret: a cloud secret (relative "
        'to `secrets.prefix`) holding JSON `{"client_id": ..., "client_secret": ...}`, '
        "copied into the cluster by External Secrets.",
    )



class AppNamespaceConfig(ConfigModel):
    """An application namespace: Pod Security `restricted`, default-deny network policy with
    DNS allowed, admitted to the platform Gateway for the hostnames it lists."""

    name: KubernetesName = Field(description="Namespace name.")
    hostnames: list[Hostname] = Field(
        [],
        description="Hostnames this namespace alone may serve through the platform Gateway "
        "(HTTPS only), e.g. `shop.apps.example.com` or `*.shop.apps.example.com`; each is "
        "`ingress.domain` or a name under it. The platform certificate covers them (issued "
        "in the `ingress` namespace, HTTP-01 or DNS-01). Empty: no route of this namespace "
        "is served.",
    )
    labels: dict[str, str] = Field({}, description="Extra namespace labels.")
    allow_same_namespace: bool = Field(
        True, description="Allow traffic between pods of this namespace."
    )
    allow_from_namespaces: list[KubernetesName] = Field(
        [],
        description="Namespaces whose pods may connect to this namespace (e.g. the ingress "
        "controller's).",
    )


class AccessConfig(ConfigModel):
    """Private access to the cluster API and the namespace baseline."""

    tailscale: TailscaleConfig = Field(
        TailscaleConfig(), description="Tailscale API server proxy (EKS and existing clusters)."
    )
    namespaces: list[AppNamespaceConfig] = Field(
        [], description="Application namespaces the platform creates with the baseline."
    )


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Private access and namespace problems: (key path, message) pairs."""
    found: list[tuple[str, str]] = []
    tailscale = cfg.access.tailscale
    if tailscale.enabled:
        from_config = tailscale.oauth_client_id is not None or (
            tailscale.oauth_client_secret is not None
        )
        if not from_config and tailscale.oauth_secret_key is None:
            found.append(
                (
                    "access.tailscale",
                    "Tailscale is enabled without OAuth credentials; set "
                    "access.tailscale.oauthClientId and oauthClientSecret (with `pulumi "
                    "config set --secret --path`), or oauthSecretKey to read them from the "
                    "cloud secret manager",
                )
            )
        if from_config and tailscale.oauth_secret_key is not None:
            found.append(
                (
                    "access.tailscale.oauthSecretKey",
                    "OAuth credentials are given both in config and as oauthSecretKey; "
                    "keep one source",
                )
            )
        elif from_config and (
            tailscale.oauth_client_id is None or tailscale.oauth_client_secret is None
        ):
            found.append(
                (
                    "access.tailscale",
                    "set both oauthClientId and oauthClientSecret (the secret with "
                    "`pulumi config set --secret --path`)",
                )
            )
        if tailscale.oauth_secret_key is not None and not cfg.has_cloud_secret_store():
            found.append(
                (
                    "access.tailscale.oauthSecretKey",
                    "reads the OAuth credentials from the cloud secret store, which this "
                    "stack does not have; set oauthClientId and oauthClientSecret instead",
                )
            )
        if tailscale.tailnet is None:
            found.append(
                (
                    "access.tailscale.tailnet",
                    "required when Tailscale is enabled: the tailnet DNS name from the "
                    "admin console's DNS page, e.g. 'tail1234.ts.net'",
                )
            )
    eks = cfg.cluster.eks
    if (
        eks is not None
        and not eks.public_access_cidrs
        and not tailscale.enabled
        and not _routed_into_vpc(eks)
    ):
        found.append(
            (
                "cluster.eks.publicAccessCidrs",
                "the API endpoint is private only (cluster.eks.publicAccessCidrs is empty) "
                "and access.tailscale.enabled is false, so nothing outside the VPC can "
                "reach the cluster API; enable access.tailscale, list the networks that "
                "need the endpoint in cluster.eks.publicAccessCidrs, or list a VPN routed "
                "into the VPC in cluster.eks.network.privateAccessCidrs",
            )
        )
    names = [n.name for n in cfg.access.namespaces]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        found.append(("access.namespaces", f"namespace '{dup}' is listed twice"))
    return found + _hostname_problems(cfg)


def _hostname_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Each hostname, of an application namespace or a platform service (`platform_routes`),
    lies in the platform domain, belongs to one namespace only (no wildcard of one namespace
    covers another's names: Traefik gives no listener precedence, so two routes for one name
    would race), can be certified, and fits the Gateway's listeners."""
    found: list[tuple[str, str]] = []
    domain = cfg.ingress.domain
    owners = [
        (f"access.namespaces[{i}].hostnames", n.name, h)
        for i, n in enumerate(cfg.access.namespaces)
        for h in n.hostnames
    ]
    owners += [(r.key, r.namespace, r.hostname) for r in cfg.platform_routes()]
    for position, (key, namespace, hostname) in enumerate(owners):
        if domain is None:
            found.append(
                (key, "hostnames are served over HTTPS under ingress.domain; set ingress.domain")
            )
            break
        if not within(hostname, domain):
            found.append(
                (
                    key,
                    f"'{hostname}' is outside ingress.domain '{domain}'; list names under it, "
                    f"such as 'shop.{domain}'",
                )
            )
            continue
        same = [h for k, n, h in owners if (k, n) == (key, namespace)]
        if same.count(hostname) > 1:
            found.append((key, f"'{hostname}' is listed twice; list it once"))
        # Across namespaces such names overlap, which is reported below.
        earlier = [h for k, n, h in owners[:position] if (k, n) == (key, namespace)]
        clash = listener_name_clash(hostname, earlier)
        if clash is not None:
            found.append((key, clash))
        for other_key, other, taken in owners[:position]:
            if other != namespace and overlaps(hostname, taken):
                found.append(
                    (
                        key,
                        f"'{hostname}' overlaps '{taken}' of namespace '{other}' "
                        f"(platform:{other_key}); give each name to one namespace only",
                    )
                )
                break
        issuer = cfg.certificates.issuer_for(cfg.tier)
        if hostname.startswith("*.") and issuer != "private-ca" and cfg.dns.zone is None:
            found.append(
                (
                    key,
                    f"'{hostname}' needs a wildcard certificate from '{issuer}', which needs "
                    "the DNS-01 challenge; set dns.zone, or list exact hostnames",
                )
            )
    if len(owners) > MAX_HTTPS_LISTENERS:
        services = [r.hostname for r in cfg.platform_routes()]
        served = f" (with {', '.join(services)} of platform services)" if services else ""
        found.append(
            (
                "access.namespaces",
                f"{len(owners)} hostnames{served} need an HTTPS listener each; the Gateway "
                f"holds at most {MAX_HTTPS_LISTENERS}; use wildcards for application hostnames",
            )
        )
    return list(dict.fromkeys(found))


def within(hostname: str, domain: str) -> bool:
    """Whether `hostname` (possibly `*.x`) is `domain` or a name under it."""
    name = hostname.removeprefix("*.") if hostname.startswith("*.") else hostname
    return name == domain or name.endswith(f".{domain}")


def overlaps(a: str, b: str) -> bool:
    """Whether a request could match both listener hostnames (a Gateway API wildcard matches
    any number of leading labels)."""
    return a == b or _covers(a, b) or _covers(b, a)


def _covers(wildcard: str, name: str) -> bool:
    return wildcard.startswith("*.") and name.removeprefix("*.").endswith(wildcard[1:])


def _routed_into_vpc(eks: EksConfig) -> bool:
    """Whether `network.privateAccessCidrs` lets in a network from outside the VPC (a VPN or
    Direct Connect route): that is an access path to the private endpoint."""
    net = eks.network
    outside = [c for c in net.private_access_cidrs if net.vpc_id or not c.subnet_of(net.vpc_cidr)]
    return bool(outside)
