"""GitOps: the engine (Flux or Argo CD) that takes over from Pulumi, syncing this stack's path of
the fleet repository, and the platform facts it hands to Git. Runs last: the facts describe
everything built before it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws
import yaml

from kube_platform.components.cluster import Cluster
from kube_platform.components.cluster.eks import DEFAULT_STORAGE_CLASS as EKS_DEFAULT_STORAGE_CLASS
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.gitops import (
    ArgoCd,
    ArgoCdArgs,
    ArgoCdRoute,
    Flux,
    FluxArgs,
    FluxNotifications,
    FluxSource,
    RepositoryCredentials,
    SecretSource,
    SopsDecryption,
)
from kube_platform.components.gitops import argocd as argocd_component
from kube_platform.components.gitops import flux as flux_component
from kube_platform.components.gitops.facts import database_fact
from kube_platform.components.security.secrets import SecretStoreRef
from kube_platform.components.security.sops import ENCRYPTED_REGEX
from kube_platform.stacks import footprint
from kube_platform.stacks.config import GitOpsConfig, GitOpsCredentialsConfig, StackConfig
from kube_platform.stacks.config.gitops import argocd_hostname, oci_registry_cloud
from kube_platform.stacks.wiring.secrets import GITOPS_NAMESPACES, PlatformSecrets, secret_prefix
from kube_platform.stacks.wiring.traffic import Traffic

# GKE's built-in default StorageClass (Persistent Disk CSI, pd-balanced).
GKE_DEFAULT_STORAGE_CLASS = "standard-rwo"
FLUX_SIZES = {"dev": "small", "staging": "medium", "prod": "large"}
CLUSTER_TYPES = {"aws": "aws", "gcp": "gcp", "existing": "kubernetes"}
CREDENTIAL_KINDS = {"token": "token", "sshKey": "ssh-key", "githubApp": "github-app"}


def build(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    *,
    traffic: Traffic,
    secrets: PlatformSecrets,
    outputs: dict[str, Any],
    monitoring_crds: pulumi.Resource | None = None,
) -> dict[str, Any]:
    gitops = cfg.gitops
    if gitops is None:
        return {}
    facts = platform_facts(cfg, cluster, stack, traffic, secrets, outputs)
    path = gitops.repository.path or f"clusters/{stack}"
    credentials = _credentials(gitops.repository.credentials, secrets.store)
    result: dict[str, Any] = {
        "gitops": {
            "engine": gitops.engine,
            "namespace": GITOPS_NAMESPACES[gitops.engine],
            "repository": gitops.repository.url,
            "path": path,
        }
    }
    # The engine reads credentials and notification addresses through the store.
    store_release = secrets.store.dependencies if secrets.store else []
    if gitops.engine == "argocd":
        ArgoCd(
            "argocd",
            cluster,
            ArgoCdArgs(
                namespace=GITOPS_NAMESPACES["argocd"],
                repository_url=gitops.repository.url,
                revision=gitops.repository.ref.value or "main",
                path=path,
                credentials=credentials,
                facts=facts,
                high_availability=cfg.ha,
                admin=gitops.argocd.admin,
                route=_argocd_route(cfg, traffic),
                depends_on=tuple(store_release),
                monitoring_crds=monitoring_crds,
                resources={w: footprint.requests(cfg.tier, w) for w in argocd_component.WORKLOADS},
                extra_values=gitops.argocd.extra_values,
            ),
        )
        return result
    decryption = _decryption(cfg, secrets)
    Flux(
        "flux",
        cluster,
        FluxArgs(
            namespace=GITOPS_NAMESPACES["flux"],
            cluster_type=CLUSTER_TYPES[cluster.cloud],
            size=gitops.flux.size or FLUX_SIZES[cfg.tier.value],
            multitenant=gitops.flux.multitenant,
            image_automation=gitops.image_automation.enabled,
            source=_flux_source(gitops, path, credentials),
            decryption=decryption,
            facts=facts,
            notifications=_notifications(cfg, stack, secrets.store),
            depends_on=tuple(store_release),
            monitoring_crds=monitoring_crds,
            resources={w: footprint.requests(cfg.tier, w) for w in flux_component.WORKLOADS},
            extra_values=gitops.flux.extra_values,
        ),
    )
    if decryption is not None and decryption.age_key is not None:
        result["sopsConfig"] = _age_sops_config(cfg)
    return result


# --- facts -----------------------------------------------------------------------------------


def platform_facts(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    traffic: Traffic,
    secrets: PlatformSecrets,
    outputs: dict[str, Any],
) -> dict[str, pulumi.Input[str]]:
    """Every fact this stack has (components/gitops/facts.py lists them, docs/gitops.md
    documents them)."""
    gateway = traffic.gateway
    assert gateway is not None
    facts: dict[str, pulumi.Input[str]] = {
        "stack": stack,
        "tier": cfg.tier.value,
        "cloud": cluster.cloud,
        "cluster_name": cluster.cluster_name,
        "gateway_name": gateway.name,
        "gateway_namespace": gateway.namespace,
        "storage_class_database": cluster.database_storage_class,
    }
    if cluster.cloud != "existing":
        facts["region"] = cluster.region or ""
        facts["cloud_account"] = _cloud_account(cfg, cluster)
        facts["storage_class"] = (
            EKS_DEFAULT_STORAGE_CLASS if cluster.cloud == "aws" else GKE_DEFAULT_STORAGE_CLASS
        )
    if traffic.issuer is not None:
        facts["cluster_issuer"] = traffic.issuer
    if cfg.ingress.domain:
        facts["platform_domain"] = cfg.ingress.domain
    if cfg.dns.zone is not None and cfg.dns.external_dns_enabled:
        facts["dns_zone"] = cfg.dns.zone
    if secrets.store is not None:
        facts["secret_store"] = secrets.store.name
        facts["secret_prefix"] = secret_prefix(cfg, stack)
    for name, database in (outputs.get("databases") or {}).items():
        facts[database_fact(name, "secret")] = database["connectionSecret"]
        facts[database_fact(name, "namespace")] = database["namespace"]
        facts[database_fact(name, "host")] = database["host"]
    return facts


def _cloud_account(cfg: StackConfig, cluster: Cluster) -> pulumi.Input[str]:
    if cfg.cluster.gke is not None:
        return cfg.cluster.gke.project
    opts = pulumi.InvokeOptions(provider=cluster.cloud_provider)
    return aws.get_caller_identity_output(opts=opts).account_id


# --- credentials, sources, decryption --------------------------------------------------------


def _credentials(
    creds: GitOpsCredentialsConfig | None, store: SecretStoreRef | None
) -> RepositoryCredentials | None:
    if creds is None:
        return None
    value = creds.secret_value
    if value is not None:
        source = SecretSource(value=pulumi.Output.secret(value.get_secret_value()))
    else:
        assert store is not None, "validated: secretKey needs a cloud secret store"
        source = SecretSource(store=store, store_key=creds.secret_key)
    return RepositoryCredentials(
        kind=CREDENTIAL_KINDS[creds.kind],  # type: ignore[arg-type]
        secret=source,
        username=creds.username,
        known_hosts=creds.known_hosts,
        app_id=creds.app_id,
        installation_id=creds.installation_id,
    )


def _flux_source(
    gitops: GitOpsConfig, path: str, credentials: RepositoryCredentials | None
) -> FluxSource:
    repo = gitops.repository
    ref_kind = repo.ref.kind or ("tag" if repo.is_oci else "branch")
    ref = repo.ref.value or ("latest" if repo.is_oci else "main")
    registry = oci_registry_cloud(repo.url) if repo.is_oci else None
    return FluxSource(
        url=repo.url,
        ref_kind=ref_kind,
        ref=ref,
        path=path,
        interval=repo.interval,
        credentials=credentials,
        cloud_registry=registry,
        ecr_repository_arn=_ecr_repository_arn(repo.url) if registry == "aws" else None,
    )


def _ecr_repository_arn(url: str) -> str:
    """oci://<account>.dkr.ecr.<region>.amazonaws.com/<name> -> the repository's ARN."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    account, _, _, region = host.split(".")[:4]
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{parts.path.strip('/')}"


def _decryption(cfg: StackConfig, secrets: PlatformSecrets) -> SopsDecryption | None:
    sops = cfg.gitops.sops if cfg.gitops else None
    if sops is None or sops.enabled is False:
        return None
    if secrets.sops_key is not None:
        return SopsDecryption(
            service_account_annotations=secrets.sops_key.decrypt_annotations,
            ready=(secrets.sops_key,),
        )
    if sops.age_key is not None:
        return SopsDecryption(age_key=pulumi.Output.secret(sops.age_key.get_secret_value()))
    return None


def _age_sops_config(cfg: StackConfig) -> str:
    """`.sops.yaml` for the age recipient, like the KMS key's `sopsConfig` on clouds."""
    assert cfg.gitops is not None
    rule = {
        "path_regex": cfg.secrets.sops.path_regex,
        "encrypted_regex": ENCRYPTED_REGEX,
        "age": cfg.gitops.sops.age_recipient,
    }
    return yaml.safe_dump({"creation_rules": [rule]}, sort_keys=False)


def _notifications(
    cfg: StackConfig, stack: str, store: SecretStoreRef | None
) -> FluxNotifications | None:
    assert cfg.gitops is not None
    notes = cfg.gitops.notifications
    if notes is None:
        return None
    part = notes.secret_part
    value = getattr(notes, part)
    if value is not None:
        source = SecretSource(value=pulumi.Output.secret(value.get_secret_value()))
    else:
        assert store is not None, "validated: secretKey needs a cloud secret store"
        source = SecretSource(store=store, store_key=notes.secret_key)
    return FluxNotifications(
        type=notes.type,
        secret=source,
        # Flux's provider Secret keys the value as the config does: `token` or `address`.
        secret_key=part,
        channel=notes.channel,
        address=_https_address(cfg.gitops.repository.url) if notes.commit_status else None,
        severity=notes.severity,
        namespaces=tuple(n.name for n in cfg.access.namespaces),
        metadata={"stack": stack, "tier": cfg.tier.value},
    )


def _https_address(url: str) -> str:
    """The repository's web address, where commit statuses are set."""
    parts = urlsplit(url)
    path = parts.path.removesuffix(".git").strip("/")
    return f"https://{parts.hostname}/{path}"


def _argocd_route(cfg: StackConfig, traffic: Traffic) -> ArgoCdRoute | None:
    hostname = argocd_hostname(cfg)
    if hostname is None:
        return None
    assert traffic.gateway_api is not None
    return ArgoCdRoute(
        hostname=hostname,
        gateway=traffic.https_listeners[hostname],
        gateway_api=traffic.gateway_api,
    )
