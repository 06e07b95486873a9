"""Private access to the cluster API and the namespace baseline."""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.security.baseline import (
    AppNamespace,
    NamespaceBaseline,
    NamespaceBaselineArgs,
)
from kube_platform.components.security.private_access import TailscaleAccess, TailscaleArgs
from kube_platform.components.security.secrets import SecretStoreRef
from kube_platform.stacks import footprint
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.wiring.secrets import TAILSCALE_NAMESPACE


def build(
    cfg: StackConfig, cluster: Cluster, stack: str, *, secret_store: SecretStoreRef | None
) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    name = cfg.cluster_name(stack)
    tailscale = cfg.access.tailscale
    if cfg.cluster.gke is not None:
        outputs["apiAccess"] = _gke_dns_endpoint(cfg, name)
    if tailscale.enabled and tailscale.tailnet is not None:
        from_store = tailscale.oauth_secret_key is not None
        secret = tailscale.oauth_client_secret
        access = TailscaleAccess(
            f"{name}-tailscale",
            cluster,
            TailscaleArgs(
                namespace=TAILSCALE_NAMESPACE,
                hostname=tailscale.hostname or name,
                tailnet=tailscale.tailnet,
                tags=tuple(tailscale.tags),
                oauth_client_id=(
                    None if from_store else pulumi.Output.secret(tailscale.oauth_client_id)
                ),
                oauth_client_secret=(
                    pulumi.Output.secret(secret.get_secret_value())
                    if secret is not None and not from_store
                    else None
                ),
                oauth_from_store=secret_store if from_store else None,
                oauth_secret_key=tailscale.oauth_secret_key,
                resources=footprint.requests(cfg.tier, "tailscale-operator"),
            ),
        )
        outputs["apiAccess"] = {
            "path": "tailscale",
            "server": access.server,
            "command": f"tailscale configure kubeconfig {tailscale.hostname or name}",
        }
        outputs["tailnetKubeconfig"] = access.kubeconfig
    if cfg.access.namespaces:
        baseline = NamespaceBaseline(
            f"{name}-baseline",
            cluster,
            NamespaceBaselineArgs(
                namespaces=tuple(
                    AppNamespace(
                        name=n.name,
                        labels=n.labels,
                        allow_same_namespace=n.allow_same_namespace,
                        allow_from_namespaces=tuple(n.allow_from_namespaces),
                    )
                    for n in cfg.access.namespaces
                )
            ),
        )
        outputs["appNamespaces"] = sorted(baseline.namespaces)
    return outputs


def _gke_dns_endpoint(cfg: StackConfig, name: str) -> dict[str, str]:
    """GKE's DNS-based endpoint needs nothing in the cluster: IAM decides who may call it."""
    gke = cfg.cluster.gke
    assert gke is not None
    return {
        "path": "gke-dns-endpoint",
        "command": f"gcloud container clusters get-credentials {name} --region {gke.region} "
        f"--project {gke.project} --dns-endpoint",
    }
