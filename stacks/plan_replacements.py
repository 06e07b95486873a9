"""Which input changes make Pulumi replace a resource, as far as that is knowable offline.

The providers decide replacement in their Diff: the bridged AWS and Google Cloud providers
replace on changes to Terraform schema fields marked `ForceNew`, the Kubernetes provider on the
fields in its `forceNew` table. Listed here, with the Pulumi (camelCase) names, are those fields
for the types the platform keeps state in and the Kubernetes kinds it creates. A field ending
in `/` is a nested block that forces replacement only when it is added or removed (Terraform
`ForceNew` on a block; changes inside it follow the block's own fields).

Sources, read at the versions the pinned providers bridge:
- hashicorp/terraform-provider-aws, internal/service/eks/cluster.go (`resourceCluster`; its
  `CustomizeDiff` replaces only when `encryption_config` is removed, and `vpc_config.subnet_ids`
  and `security_group_ids` are updated in place through `UpdateClusterConfig`),
  internal/service/eks/node_group.go, internal/service/kms/key.go,
  internal/service/s3/bucket.go.
- hashicorp/terraform-provider-google @ e03b7622 (after v7.45.0),
  google/services/container/resource_container_cluster.go,
  google/services/container/resource_container_node_pool.go (`schemaNodePool` and the
  resource's own `project`, `cluster`, `location`), google/services/container/node_config.go
  (`schemaNodeConfig`), google/services/storage/resource_storage_bucket.go,
  google/services/kms/resource_kms_key_ring.go, google/services/kms/resource_kms_crypto_key.go.
- pulumi/pulumi-kubernetes, provider/pkg/provider/diff.go: `metadata.name` and
  `metadata.namespace` for every kind, plus the per-kind `forceNew` table; a Secret's `type`,
  `data` and `stringData` replace it unless the provider sets `enableSecretMutable`.
- pulumi/pulumi, pkg/resource/deploy/step_generator.go: a resource whose `deletedWith`
  resource is replaced is replaced too; a changed provider reference replaces the resource
  when the new provider's `DiffConfig` says so (not knowable offline).
"""

from __future__ import annotations

FORCE_NEW: dict[str, tuple[str, ...]] = {
    "aws:eks/cluster:Cluster": (
        "name",
        "roleArn",
        "bootstrapSelfManagedAddons",
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "kubernetesNetworkConfig.ipFamily",
        "kubernetesNetworkConfig.serviceIpv4Cidr",
        "outpostConfig.controlPlaneInstanceType",
        "outpostConfig.controlPlanePlacement.groupName",
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "launchTemplate.id",
        "launchTemplate.name",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    "aws:kms/key:Key": (
        "customerMasterKeySpec",
        "customKeyStoreId",
        "keyUsage",
        "multiRegion",
        "xksKeyId",
    ),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "gcp:container/cluster:Cluster": (
        "name",
        "location",
        "project",
        "network",
        "subnetwork",
        "clusterIpv4Cidr",
        "description",
        "enableAutopilot",
        "enableKubernetesAlpha",
        "enableTpu",
        "initialNodeCount",
        "networkingMode",
        "datapathProvider",
        "defaultMaxPodsPerNode",
        "confidentialNodes/",
        "confidentialNodes.enabled",
        "ipAllocationPolicy/",
        "ipAllocationPolicy.clusterIpv4CidrBlock",
        "ipAllocationPolicy.servicesIpv4CidrBlock",
        "ipAllocationPolicy.clusterSecondaryRangeName",
        "ipAllocationPolicy.servicesSecondaryRangeName",
        "masterAuth.clientCertificateConfig/",
        "masterAuth.clientCertificateConfig.issueClientCertificate",
        "privateClusterConfig.masterIpv4CidrBlock",
        "privateClusterConfig.privateEndpointSubnetwork",
    ),
    "gcp:container/nodePool:NodePool": (
        "project",
        "cluster",
        "location",
        "name",
        "namePrefix",
        "initialNodeCount",
        "maxPodsPerNode",
        "placementPolicy/",
        "networkConfig.createPodRange",
        "networkConfig.podRange",
        "networkConfig.podIpv4CidrBlock",
        "networkConfig.subnetwork",
        "nodeConfig.bootDiskKmsKey",
        "nodeConfig.enableConfidentialStorage",
        "nodeConfig.guestAccelerators",
        "nodeConfig.localSsdCount",
        "nodeConfig.metadata",
        "nodeConfig.minCpuPlatform",
        "nodeConfig.nodeGroup",
        "nodeConfig.oauthScopes",
        "nodeConfig.preemptible",
        "nodeConfig.reservationAffinity",
        "nodeConfig.sandboxConfig",
        "nodeConfig.serviceAccount",
        "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring",
        "nodeConfig.shieldedInstanceConfig.enableSecureBoot",
        "nodeConfig.spot",
    ),
    "gcp:storage/bucket:Bucket": (
        "name",
        "location",
        "project",
        "enableObjectRetention",
        "customPlacementConfig.dataLocations",
        "hierarchicalNamespace/",
        "hierarchicalNamespace.enabled",
    ),
    "gcp:kms/keyRing:KeyRing": ("name", "location", "project"),
    "gcp:kms/cryptoKey:CryptoKey": (
        "keyRing",
        "name",
        "cryptoKeyBackend",
        "destroyScheduledDuration",
        "importOnly",
        "purpose",
        "versionTemplate.protectionLevel",
    ),
}

# Only removing envelope encryption replaces an EKS cluster; adding it is an update.
REPLACE_WHEN_REMOVED: dict[str, tuple[str, ...]] = {
    "aws:eks/cluster:Cluster": ("encryptionConfig",),
}

_KUBERNETES_METADATA = ("metadata.name", "metadata.namespace")
_LABEL_SELECTOR = ("spec.selector",)
_KUBERNETES_KINDS: dict[str, tuple[str, ...]] = {
    "core/v1:Secret": ("type", "data", "stringData"),
    "core/v1:Service": ("spec.clusterIP",),
    "core/v1:PersistentVolumeClaim": (
        "spec.accessModes",
        "spec.selector",
        "spec.storageClassName",
        "spec.volumeName",
    ),
    "core/v1:ResourceQuota": ("spec.scopes",),
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
    "apps/v1:Deployment": _LABEL_SELECTOR,
    "apps/v1:DaemonSet": _LABEL_SELECTOR,
    "apps/v1:StatefulSet": (
        *_LABEL_SELECTOR,
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "batch/v1:Job": (*_LABEL_SELECTOR, "spec.completions", "spec.parallelism", "spec.template"),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
}
# Kubernetes types that are not single objects: Helm releases and manifest files.
_NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")


def force_new_fields(type_: str) -> tuple[str, ...]:
    """Input paths whose change replaces a resource of `type_` (block paths end in `/`)."""
    if type_ in FORCE_NEW:
        return FORCE_NEW[type_]
    if type_.startswith("kubernetes:") and not type_.startswith(_NOT_OBJECTS):
        kind = type_.removeprefix("kubernetes:")
        return (*_KUBERNETES_METADATA, *_KUBERNETES_KINDS.get(kind, ()))
    return ()


def removal_replaces(type_: str) -> tuple[str, ...]:
    """Input paths whose removal (but not addition) replaces a resource of `type_`."""
    return REPLACE_WHEN_REMOVED.get(type_, ())
