"""The GKE control plane: a Cloud KMS key for Secrets and the hardened regional cluster."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from kube_platform.components.cluster.gke_network import GkeNetwork
from kube_platform.components.errors import ConfigurationError

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def secrets_key(
    name: str,
    *,
    project: str,
    region: str,
    project_number: pulumi.Input[str],
    rotation_days: int,
    protect: bool,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    depends_on: list[pulumi.Resource],
) -> tuple[gcp.kms.CryptoKey, gcp.kms.CryptoKeyIAMMember]:
    """A regional key that envelope-encrypts the cluster's Secrets in etcd, and the grant that
    lets the GKE service agent use it (the cluster cannot be created without it).

    On a fresh project the agent does not exist until GKE first needs it, and IAM refuses a
    grant to an account that does not exist; asking Service Usage for the agent's identity
    creates it, so the grant waits for that."""
    # Key rings and keys cannot be deleted in Google Cloud, only dropped from state; the
    # ring's name is left to Pulumi's auto-naming (a random suffix) so a destroyed dev stack
    # can be created again.
    ring = gcp.kms.KeyRing(
        f"{name}-keyring",
        project=project,
        location=region,
        opts=pulumi.ResourceOptions(
            parent=parent, provider=provider, protect=protect, depends_on=depends_on
        ),
    )
    key = gcp.kms.CryptoKey(
        f"{name}-secrets-key",
        name="kubernetes-secrets",
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=f"{rotation_days * 86400}s",
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect),
    )
    agent_identity = gcp.projects.ServiceIdentity(
        f"{name}-gke-agent",
        project=project,
        service="container.googleapis.com",
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )
    # Built from the project number: not every service returns the agent's e-mail.
    agent = pulumi.Output.concat(
        "serviceAccount:service-",
        project_number,
        "@container-engine-robot.iam.gserviceaccount.com",
    )
    grant = gcp.kms.CryptoKeyIAMMember(
        f"{name}-secrets-key-gke",
        crypto_key_id=key.id,
        role=ENCRYPTER_DECRYPTER,
        member=agent,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[agent_identity]),
    )
    return key, grant


def _endpoint_settings(authorized_networks: Sequence[str]) -> dict:
    """Access to the API server. The DNS-based endpoint (IAM-gated) is always on. IP endpoints
    are off without authorized networks; with them, they accept only those networks, and the
    public IP endpoint exists only when one of them is a public range."""
    dns = {"allow_external_traffic": True}
    if not authorized_networks:
        # With IP endpoints off the API decides the private-endpoint fields itself; setting
        # them, or an empty authorized-networks block, would re-enable IP access.
        return {
            "control_plane_endpoints_config": {
                "dns_endpoint_config": dns,
                "ip_endpoints_config": {"enabled": False},
            },
            "private_cluster_config": {"enable_private_nodes": True},
        }
    # Internet-routable ranges need the public endpoint; RFC 1918, CGNAT (Tailscale) and
    # other non-global ranges reach the private one.
    public = any(ipaddress.ip_network(c).is_global for c in authorized_networks)
    return {
        "control_plane_endpoints_config": {
            "dns_endpoint_config": dns,
            "ip_endpoints_config": {"enabled": True},
        },
        "private_cluster_config": {
            "enable_private_nodes": True,
            "enable_private_endpoint": not public,
        },
        "master_authorized_networks_config": {
            "cidr_blocks": [
                {"cidr_block": c, "display_name": f"authorized-{i}"}
                for i, c in enumerate(authorized_networks)
            ],
            "gcp_public_cidrs_access_enabled": False,
            "private_endpoint_enforcement_enabled": True,
        },
    }


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def minimum_version(
    wanted: str, channel: str, channel_default: str | None, channel_latest: str | None
) -> str | None:
    """The `min_master_version` to ask for: the wanted minor when the release channel's default
    is older; None (the channel's default, which GKE then upgrades within the channel) when the
    default already satisfies it. A channel that does not offer the wanted minor yet is an
    error: asking for it would fail the cluster's creation, and starting older would leave the
    platform below the version it needs (GKE's Gateway API CRDs follow the cluster's version)."""
    if channel_default is None or channel_latest is None:
        return None
    if _minor(wanted) > _minor(channel_latest):
        raise ConfigurationError(
            f"GKE's {channel} release channel offers Kubernetes up to {channel_latest} here, "
            f"older than the wanted {wanted}; set platform:cluster.gke.releaseChannel (the "
            f"component's release_channel) to one that offers {wanted}, such as REGULAR or "
            "RAPID, or wait until this one does"
        )
    if _minor(channel_default) < _minor(wanted):
        return wanted
    return None


def control_plane(
    name: str,
    *,
    project: str,
    region: str,
    zones: list[str],
    kubernetes_version: str,
    release_channel: str,
    network: GkeNetwork,
    authorized_networks: Sequence[str],
    secrets_key_id: pulumi.Input[str],
    bootstrap_node_config: dict,
    protect: bool,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    depends_on: list[pulumi.Resource],
) -> gcp.container.Cluster:
    """A regional cluster with private nodes, Workload Identity, Shielded nodes, Dataplane V2,
    KMS-encrypted Secrets and no legacy credentials. Its default node pool is removed at
    creation; `bootstrap_node_config` hardens that short-lived pool too.

    `kubernetes_version` is a minimum the release channel must offer (see `minimum_version`);
    GKE keeps the cluster up to date within the channel."""
    offered = gcp.container.get_engine_versions_output(
        location=region,
        project=project,
        opts=pulumi.InvokeOutputOptions(parent=parent, provider=provider),
    )
    min_master_version = pulumi.Output.all(
        offered.release_channel_default_version, offered.release_channel_latest_version
    ).apply(
        lambda v: minimum_version(
            kubernetes_version,
            release_channel,
            (v[0] or {}).get(release_channel),
            (v[1] or {}).get(release_channel),
        )
    )
    return gcp.container.Cluster(
        name,
        name=name,
        project=project,
        location=region,
        node_locations=zones,
        min_master_version=min_master_version,
        release_channel={"channel": release_channel},
        network=network.network,
        subnetwork=network.subnetwork,
        networking_mode="VPC_NATIVE",
        ip_allocation_policy={
            "cluster_secondary_range_name": network.pod_range_name,
            "services_secondary_range_name": network.service_range_name,
        },
        remove_default_node_pool=True,
        initial_node_count=1,
        node_config=bootstrap_node_config,
        **_endpoint_settings(authorized_networks),
        database_encryption={"state": "ENCRYPTED", "key_name": secrets_key_id},
        workload_identity_config={"workload_pool": f"{project}.svc.id.goog"},
        enable_shielded_nodes=True,
        datapath_provider="ADVANCED_DATAPATH",
        enable_legacy_abac=False,
        master_auth={"client_certificate_config": {"issue_client_certificate": False}},
        # GKE installs and upgrades the standard Gateway API CRDs (it owns them; the platform
        # applies none on GKE), pinned per GKE version.
        gateway_api_config={"channel": "CHANNEL_STANDARD"},
        addons_config={
            "gce_persistent_disk_csi_driver_config": {"enabled": True},
            "http_load_balancing": {"disabled": False},
            "horizontal_pod_autoscaling": {"disabled": False},
        },
        deletion_protection=protect,
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            protect=protect,
            depends_on=depends_on,
            # The default pool is gone after creation; its settings must never force a
            # replacement of the cluster.
            ignore_changes=["nodeConfig", "initialNodeCount"],
        ),
    )
