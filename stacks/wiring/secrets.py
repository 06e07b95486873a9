"""External Secrets, SOPS keys and secret replication."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.gitops.argocd import ARGOCD_NAMESPACE
from kube_platform.components.gitops.flux import FLUX_NAMESPACE
from kube_platform.components.security.secrets import (
    ReplicatedSecret,
    Secrets,
    SecretsArgs,
    SecretStoreRef,
    StaticStoreArgs,
)
from kube_platform.components.security.sops import SopsKey, SopsKeyArgs
from kube_platform.stacks import footprint
from kube_platform.stacks.config import PROJECT, StackConfig
from kube_platform.stacks.config.observability import MONITORING_NAMESPACE

ESO_NAMESPACE = "external-secrets"
TAILSCALE_NAMESPACE = "tailscale"
GITOPS_NAMESPACES = {"flux": FLUX_NAMESPACE, "argocd": ARGOCD_NAMESPACE}


@dataclass
class PlatformSecrets:
    outputs: dict[str, Any] = field(default_factory=dict)
    # The cloud store application ExternalSecrets read from; None without one.
    store: SecretStoreRef | None = None
    # The SOPS key, bound to the GitOps controller that decrypts; None without one.
    sops_key: SopsKey | None = None


def secret_prefix(cfg: StackConfig, stack: str) -> str:
    """The name prefix of this stack's secrets: given, or derived from project and stack."""
    if cfg.secrets.prefix is not None:
        return cfg.secrets.prefix
    if cfg.secret_store_cloud() == "gcp":
        return f"{PROJECT}_{re.sub(r'[^A-Za-z0-9_-]', '-', stack)}_"
    return f"{PROJECT}/{stack}/"


def store_namespaces(cfg: StackConfig) -> tuple[str, ...]:
    """Namespaces allowed to use the cloud store: the configured ones (default: the
    application namespaces) and the platform's own consumers."""
    configured = cfg.secrets.store_namespaces
    names = list(configured) if configured is not None else [n.name for n in cfg.access.namespaces]
    tailscale = cfg.access.tailscale
    if tailscale.enabled and tailscale.oauth_secret_key is not None:
        names.append(TAILSCALE_NAMESPACE)
    names.extend(gitops_store_namespaces(cfg))
    obs = cfg.observability
    if obs.enabled and obs.alerting.secret_key is not None:
        names.append(MONITORING_NAMESPACE)
    return tuple(dict.fromkeys(names))


def gitops_store_namespaces(cfg: StackConfig) -> list[str]:
    """The GitOps engine's namespace, when it reads credentials from the cloud store."""
    gitops = cfg.gitops
    if gitops is None:
        return []
    credentials = gitops.repository.credentials
    reads = (credentials is not None and credentials.secret_key is not None) or (
        gitops.notifications is not None and gitops.notifications.secret_key is not None
    )
    return [GITOPS_NAMESPACES[gitops.engine]] if reads else []


def build(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    *,
    monitoring_crds: pulumi.Resource | None = None,
) -> PlatformSecrets:
    result = PlatformSecrets()
    secrets = cfg.secrets
    name = cfg.cluster_name(stack)
    prefix = secret_prefix(cfg, stack)
    gcp_project = cfg.cluster.gke.project if cfg.cluster.gke is not None else None
    if secrets.enabled:
        platform = Secrets(
            f"{name}-secrets",
            cluster,
            SecretsArgs(
                namespace=ESO_NAMESPACE,
                prefix=prefix,
                gcp_project=gcp_project,
                static_store=_static_store(cfg),
                store_namespaces=store_namespaces(cfg),
                replicated=tuple(
                    ReplicatedSecret(
                        name=r.name,
                        key=r.key,
                        namespaces=tuple(r.namespaces),
                        namespace_labels=r.namespace_labels,
                        secret_type=r.type,
                        refresh_interval=r.refresh_interval,
                    )
                    for r in secrets.replicate
                ),
                high_availability=cfg.ha,
                monitoring_crds=monitoring_crds,
                resources={
                    workload: footprint.requests(cfg.tier, key)
                    for workload, key in (
                        ("controller", "external-secrets"),
                        ("webhook", "external-secrets-webhook"),
                        ("cert-controller", "external-secrets-cert-controller"),
                    )
                },
            ),
        )
        result.store = platform.store
        result.outputs |= {
            "secretStore": platform.store.name if platform.store else None,
            "secretPrefix": prefix if platform.store else None,
        }
    if cfg.sops_enabled():
        sops = secrets.sops
        key = SopsKey(
            f"{name}-sops",
            cluster,
            SopsKeyArgs(
                decrypt_namespace=sops.decrypt_namespace,
                decrypt_service_account=sops.decrypt_service_account,
                encrypters=tuple(sops.encrypters),
                administrators=_sops_administrators(cfg),
                path_regex=sops.path_regex,
                gcp_project=gcp_project,
                protect=cfg.protect_stateful,
            ),
        )
        result.sops_key = key
        result.outputs |= {
            "sopsKey": key.key_id,
            "sopsConfig": key.sops_config,
            "sopsDecryptIdentity": key.decrypt_principal,
        }
    return result


def _sops_administrators(cfg: StackConfig) -> tuple[str, ...]:
    """Who manages an EKS SOPS key: as configured, else the cluster's admins; empty lets the
    key fall back to the deploying identity."""
    configured = cfg.secrets.sops.administrators
    if configured is not None:
        return tuple(configured)
    eks = cfg.cluster.eks
    return tuple(eks.admin_principals) if cfg.cluster.kind == "eks" and eks is not None else ()


def _static_store(cfg: StackConfig) -> StaticStoreArgs | None:
    store = cfg.secrets.store
    if cfg.cluster.kind != "existing" or store is None or not store.has_credentials:
        return None

    def secret(value) -> pulumi.Output[str] | None:
        return pulumi.Output.secret(value.get_secret_value()) if value is not None else None

    return StaticStoreArgs(
        cloud=store.provider,
        region=store.region,
        project=store.project,
        access_key_id=secret(store.access_key_id),
        secret_access_key=secret(store.secret_access_key),
        service_account_key=secret(store.service_account_key),
    )
