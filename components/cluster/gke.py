"""GKE behind the cluster contract: private, KMS-encrypted, Workload Identity, autoscaled pools.

Engineers and the Kubernetes provider reach the API server through the DNS-based control-plane
endpoint, which is gated by IAM; the kubeconfig is exec-based (`gke-gcloud-auth-plugin`), so no
token is stored in state.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kube_platform.components.cluster.base import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.cluster.cloud_access import exec_kubeconfig, storage_class
from kube_platform.components.cluster.gke_control_plane import control_plane, secrets_key
from kube_platform.components.cluster.gke_identity import bind_workload_identity
from kube_platform.components.cluster.gke_network import GkeNetworkArgs, gke_network
from kube_platform.components.cluster.gke_node_pools import (
    GkeNodePoolArgs,
    node_config,
    node_identity,
    node_pool,
)
from kube_platform.components.validation import (
    EndpointCidr,
    GcpProjectId,
    GcpRegion,
    KubernetesVersion,
    zones_problem,
)

DATABASE_STORAGE_CLASS = "database-retain"

# APIs the cluster and the platform on it use (Secret Manager for External Secrets, Cloud DNS
# for certificates and records, Cloud Storage for database backups). Left enabled on destroy:
# other things in the project may use them.
_REQUIRED_SERVICES = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "cloudkms.googleapis.com",
    "iam.googleapis.com",
    "secretmanager.googleapis.com",
    "dns.googleapis.com",
    "storage.googleapis.com",
)


GKE_MAX_NAME = 40
"""GKE cluster names have at most 40 characters."""
GkeReleaseChannel = Literal["RAPID", "REGULAR", "STABLE"]
"""A GKE release channel; GKE upgrades the cluster within it."""
DatabaseDiskType = Literal["pd-balanced", "pd-ssd"]
"""A Persistent Disk type for database volumes."""
# Cloud KMS rotates a key at most every 100 years.
KeyRotationDays = Annotated[int, Field(ge=1, le=36500)]


def cluster_name_problem(name: str) -> str | None:
    """Why GKE would reject `name` as a cluster name, or None."""
    if len(name) <= GKE_MAX_NAME:
        return None
    return (
        f"GKE cluster names have at most {GKE_MAX_NAME} characters; '{name}' has "
        f"{len(name)}, shorten it"
    )


class GkeClusterArgs(BaseModel):
    """What to build: the project and region, the network (created or existing), who may reach
    the IP endpoints, and the node pools. Defaults are the secure choice: the IAM-gated
    DNS endpoint only, Secrets encrypted with a rotated KMS key, protection on."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    project: GcpProjectId = Field(description="Google Cloud project id.")
    region: GcpRegion = Field(description="Region of the regional cluster, e.g. `europe-west1`.")
    zones: tuple[str, ...] = Field(description="Zones of `region` the nodes run in.")
    kubernetes_version: KubernetesVersion = Field(
        description="Minimum Kubernetes minor version, e.g. 1.35; asked for when the release "
        "channel's default is older. A channel that does not offer it yet is an error."
    )
    release_channel: GkeReleaseChannel = Field(
        "REGULAR", description="GKE release channel; GKE upgrades within it."
    )
    network: GkeNetworkArgs = Field(GkeNetworkArgs(), description="Network to create or use.")
    authorized_networks: tuple[EndpointCidr, ...] = Field(
        (),
        description="CIDRs allowed on the IP endpoints. Empty: IP endpoints are off and the "
        "DNS-based endpoint is the only way in.",
    )
    node_pools: tuple[GkeNodePoolArgs, ...] = Field(
        min_length=1, description="Node pools; the cluster has no default pool."
    )
    secrets_key_rotation_days: KeyRotationDays = Field(
        90, description="Rotation period of the KMS key encrypting Secrets."
    )
    database_disk_type: DatabaseDiskType = Field(
        "pd-balanced", description="Persistent Disk type of the database StorageClass."
    )
    enable_services: bool = Field(
        True, description="Enable the Google APIs the cluster needs in the project."
    )
    protect: bool = Field(
        True, description="Deletion protection and Pulumi `protect` on the cluster and its key."
    )

    @field_validator("node_pools")
    @classmethod
    def _unique_pools(cls, value: tuple[GkeNodePoolArgs, ...]) -> tuple[GkeNodePoolArgs, ...]:
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError(f"node pool names must be unique, got {names}")
        return value

    @model_validator(mode="after")
    def _zones_of_region(self) -> GkeClusterArgs:
        problem = zones_problem("gcp", self.region, self.zones, minimum=1)
        if problem is not None:
            raise ValueError(problem)
        return self


class GkeCluster(Cluster):
    """A regional GKE Standard cluster behind the `Cluster` contract, with its network, KMS
    key for Secrets, and node pools that each have their own least-privilege identity.

    Outputs: the contract's `provider`, `kubeconfig` (secret, `gke-gcloud-auth-plugin`),
    `cluster_name`, `endpoint` (the DNS-based endpoint), `zones`, `region`,
    `kubernetes_version`, `cloud_provider` (the `gcp.Provider` of the project and region) and
    `database_storage_class` (`database-retain`), and:

    - `project`: the project every cloud resource of the platform lives in.
    - `gke`: the `gcp.container.Cluster` resource.
    - `node_pools`: the node pools.

    `bind_workload_identity` gives a Kubernetes service account a Google service account
    through GKE Workload Identity.
    """

    cloud = "gcp"

    project: str
    """The Google Cloud project id every cloud resource of the platform lives in."""
    gke: gcp.container.Cluster
    """The GKE cluster resource (also the `deletion_anchor`)."""
    node_pools: list[gcp.container.NodePool]

    def __init__(
        self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Build the GKE cluster `name` (also the prefix of every child's name) from `args`.
        `opts` applies to the component itself (e.g. `protect`, `aliases`)."""
        problem = cluster_name_problem(name)
        if problem is not None:
            raise ValueError(f"name: {problem}")
        super().__init__("platform:index:GkeCluster", name, None, opts)
        self.project = args.project
        self.region = args.region
        self.zones = list(args.zones)
        self.kubernetes_version = args.kubernetes_version
        self.cloud_provider = gcp.Provider(
            f"{name}-gcp",
            project=args.project,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        provider = self.cloud_provider
        services = self._services(name, args) if args.enable_services else []

        project_number = gcp.organizations.get_project_output(
            project_id=args.project,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider),
        ).number
        key, key_grant = secrets_key(
            name,
            project=args.project,
            region=args.region,
            project_number=project_number,
            rotation_days=args.secrets_key_rotation_days,
            protect=args.protect,
            parent=self,
            provider=provider,
            depends_on=services,
        )
        network = gke_network(
            name,
            args.network,
            project=args.project,
            region=args.region,
            parent=self,
            provider=provider,
            depends_on=services,
        )
        identities = {
            pool.name: node_identity(
                name,
                pool,
                project=args.project,
                parent=self,
                provider=provider,
                depends_on=services,
            )
            for pool in args.node_pools
        }
        first = args.node_pools[0]
        self.gke = control_plane(
            name,
            project=args.project,
            region=args.region,
            zones=self.zones,
            kubernetes_version=args.kubernetes_version,
            release_channel=args.release_channel,
            network=network,
            authorized_networks=args.authorized_networks,
            secrets_key_id=key.id,
            bootstrap_node_config=node_config(first, identities[first.name].account.email),
            protect=args.protect,
            parent=self,
            provider=provider,
            depends_on=[key_grant, *identities[first.name].grants, *services],
        )
        self.node_pools = [
            node_pool(
                name,
                pool,
                cluster=self.gke,
                identity=identities[pool.name],
                project=args.project,
                region=args.region,
                zones=self.zones,
                parent=self,
                provider=provider,
                depends_on=network.ready,
            )
            for pool in args.node_pools
        ]

        self.deletion_anchor = self.gke
        self.workload_dependencies = list(self.node_pools)
        self.cluster_name = self.gke.name
        dns_endpoint = self.gke.control_plane_endpoints_config.apply(_dns_endpoint)
        self.endpoint = dns_endpoint.apply(lambda host: f"https://{host}")
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.gke.name, dns_endpoint).apply(
                lambda v: _kubeconfig(
                    context=f"gke_{args.project}_{args.region}_{v[0]}", server=f"https://{v[1]}"
                )
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.database_storage_class = DATABASE_STORAGE_CLASS
        self.database_storage = self._database_storage_class(name, args.database_disk_type)

        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "endpoint": self.endpoint,
                "name": self.cluster_name,
                "project": self.project,
                "region": self.region,
            }
        )

    def bind_workload_identity(
        self, request: WorkloadIdentityRequest, parent: pulumi.Resource
    ) -> WorkloadIdentity:
        """A Google service account for `request`, impersonable only by that namespace's
        Kubernetes service account (GKE Workload Identity)."""
        return bind_workload_identity(
            cluster_name=self._name,
            project=self.project,
            request=request,
            parent=parent,
            provider=self.cloud_provider,
            pool_ready=self.gke,
        )

    def _services(self, name: str, args: GkeClusterArgs) -> list[pulumi.Resource]:
        return [
            gcp.projects.Service(
                f"{name}-{service.split('.')[0]}-api",
                project=args.project,
                service=service,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self, provider=self.cloud_provider),
            )
            for service in _REQUIRED_SERVICES
        ]

    def _database_storage_class(self, name: str, disk_type: str) -> k8s.storage.v1.StorageClass:
        """Volumes for databases: kept when their claim is deleted."""
        return storage_class(
            self,
            f"{name}-database-storage",
            name=DATABASE_STORAGE_CLASS,
            provisioner="pd.csi.storage.gke.io",
            parameters={"type": disk_type},
            reclaim_policy="Retain",
        )


def _dns_endpoint(config: dict | object | None) -> str:
    """The DNS-based endpoint host from the cluster's control_plane_endpoints_config."""
    if config is None:
        return ""
    dns = (
        config.get("dns_endpoint_config") or config.get("dnsEndpointConfig")
        if isinstance(config, dict)
        else getattr(config, "dns_endpoint_config", None)
    )
    if dns is None:
        return ""
    endpoint = dns.get("endpoint") if isinstance(dns, dict) else getattr(dns, "endpoint", None)
    return endpoint or ""


def _kubeconfig(*, context: str, server: str) -> str:
    """A kubeconfig that asks gke-gcloud-auth-plugin for a short-lived token on every call.
    The DNS endpoint serves a publicly trusted certificate, so no CA data is needed."""
    return exec_kubeconfig(
        context,
        {"server": server},
        {
            "command": "gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
            "interactiveMode": "IfAvailable",
            "installHint": "Install gke-gcloud-auth-plugin: "
            "gcloud components install gke-gcloud-auth-plugin (see "
            "https://cloud.google.com/kubernetes-engine/docs/how-to/"
            "cluster-access-for-kubectl#install_plugin)",
        },
    )
