"""A highly available Postgres cluster (CloudNativePG) with continuous backups through the
Barman Cloud plugin and, optionally, a point-in-time restore from another cluster's backups.

Every child resource is named from the component name alone, so a configuration change never
renames or re-parents a database resource. On EKS and GKE the backups go to a bucket of their
own, reached through workload identity; on an existing cluster to an S3-compatible store with
keys kept in a Kubernetes Secret.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.data.backup_bucket import BackupBucket, BackupBucketArgs
from kube_platform.components.data.postgres_operator import PLUGIN_NAME, PostgresOperator
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.validation import (
    BackupSchedule,
    ConnectionLimit,
    CpuAmount,
    EndpointUrl,
    KubernetesName,
    MemorySize,
    PgIdentifier,
    PostgresMajor,
    Replicas,
    Retention,
    S3BucketName,
    StorageSize,
    Timestamp,
)

_MODEL = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
AntiAffinity = Literal["required", "preferred"]
"""How strictly instances spread across zones: always, or where there is room."""
_LIST_BUCKET = ["s3:ListBucket", "s3:GetBucketLocation"]


class PostgresRole(BaseModel):
    """A role CloudNativePG manages, with a generated password in the Secret
    `<cluster>-role-<name>`."""

    model_config = _MODEL

    name: PgIdentifier = Field(description="Role name.")
    login: bool = Field(True, description="Whether the role can log in.")
    createdb: bool = Field(False, description="Whether the role can create databases.")
    connection_limit: ConnectionLimit = Field(-1, description="Connection limit; -1 is unlimited.")
    in_roles: tuple[PgIdentifier, ...] = Field((), description="Roles this role is a member of.")


class PostgresDatabase(BaseModel):
    """An extra database, kept in Postgres when it is removed from the arguments."""

    model_config = _MODEL

    name: PgIdentifier = Field(description="Database name.")
    owner: PgIdentifier = Field(description="Owning role: the bootstrap owner or a `roles` entry.")


class S3Endpoint(BaseModel):
    """An S3-compatible store reached with static keys (existing clusters only)."""

    model_config = _MODEL

    url: EndpointUrl = Field(description="Endpoint URL, e.g. `https://minio.example.com:9000`.")
    bucket: S3BucketName = Field(description="Bucket name.")
    # Output[str], secret: pydantic cannot validate Outputs.
    access_key_id: Any = Field(description="Access key id, a secret Output.")
    secret_access_key: Any = Field(description="Secret access key, a secret Output.")


class BackupLocation(BaseModel):
    """Where one cluster's backups are: what a restore reads and what it must be granted."""

    model_config = _MODEL

    # str or Output[str]: `<scheme>://<bucket>/<path>`.
    destination_path: Any = Field(description="The ObjectStore destinationPath.")
    # str or Output[str]; the bucket to grant read access on (clouds).
    bucket_name: Any = Field(None, description="Bucket name, for the read grant on a cloud.")
    # Output[str]; AWS only. None: S3 decrypts with whatever key the bucket uses.
    kms_key_arn: Any = Field(None, description="KMS key of the bucket (AWS).")
    endpoint: S3Endpoint | None = Field(
        None, description="S3-compatible store and keys, when not a cloud bucket."
    )


class PostgresBackups(BaseModel):
    """Continuous backups through the Barman Cloud plugin: WAL archiving and scheduled base
    backups, to a bucket of the cluster's own on EKS and GKE, or to `endpoint`."""

    model_config = _MODEL

    schedule: BackupSchedule = Field("0 0 2 * * *", description="Six-field cron, seconds first.")
    retention: Retention = Field("30d", description="Recovery window, `<n>[dwm]`.")
    path_prefix: str = Field(
        description="Path inside the bucket before the cluster name (the stack name), so "
        "every stack and cluster writes to its own folder."
    )
    endpoint: S3Endpoint | None = Field(
        None, description="S3-compatible store (existing clusters); None: a cloud bucket."
    )


class PostgresRestore(BaseModel):
    """Bootstrap a new cluster from another cluster's backups, up to a point in time or to
    the end of its WAL archive."""

    model_config = _MODEL

    source: KubernetesName = Field(
        description="Name (barman server name) of the cluster to restore."
    )
    location: BackupLocation = Field(description="Where that cluster's backups are.")
    target_time: Timestamp | None = Field(None, description="RFC 3339 recovery target.")


class PostgresClusterArgs(BaseModel):
    """One Postgres cluster: its version, size, databases and roles, backups, an optional
    restore, and the operator that runs it."""

    model_config = _MODEL

    namespace: KubernetesName = Field(description="Namespace of the Cluster and its resources.")
    postgres_major: PostgresMajor = Field(
        versions.POSTGRES_DEFAULT_MAJOR,
        description="Postgres major, one of `versions.POSTGRES_IMAGES` (the image is pinned).",
    )
    instances: Replicas = Field(1, description="Instances: one primary, the rest replicas.")
    anti_affinity: AntiAffinity = Field(
        "preferred", description="How strictly instances spread across zones."
    )
    storage_size: StorageSize = Field("20Gi", description="Data volume size, e.g. `50Gi`.")
    wal_size: StorageSize = Field("5Gi", description="WAL volume size.")
    cpu: CpuAmount = Field("500m", description="CPU request per instance.")
    memory: MemorySize = Field("1Gi", description="Memory request and limit per instance.")
    database: PgIdentifier = Field("app", description="Bootstrap database.")
    owner: PgIdentifier = Field("app", description="Owner of the bootstrap database.")
    databases: tuple[PostgresDatabase, ...] = Field((), description="Extra databases.")
    roles: tuple[PostgresRole, ...] = Field((), description="Extra managed roles.")
    backups: PostgresBackups | None = Field(None, description="Backups; None: off.")
    restore: PostgresRestore | None = Field(None, description="Bootstrap from backups.")
    monitoring: bool = Field(False, description="Create a PodMonitor for the instances.")
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(None, description="What the PodMonitor waits for.")
    backup_sidecar_resources: Resources = Field(
        Resources(cpu="50m", memory="64Mi"),
        description="Requests of the Barman Cloud sidecar in each instance (with backups).",
    )
    protect: bool = Field(True, description="Protect the Cluster and bucket from deletion.")
    operator: PostgresOperator = Field(
        description="The PostgresOperator of this Kubernetes cluster; its releases install "
        "the CRDs every resource here depends on."
    )
    namespace_resource: pulumi.Resource | None = Field(
        None, description="The namespace resource to wait for, when the platform creates it."
    )


class PostgresCluster(pulumi.ComponentResource):
    """One CloudNativePG `Cluster` with its databases, roles, backups and monitoring.

    Applications connect with the Secret `<name>-app` (keys `uri`, `host`, `port`, `dbname`,
    `username`, `password`, ...) that CloudNativePG keeps in `namespace`.

    Outputs (plain values, known before deploy):

    - `cluster_name`: the Cluster's name (the component name).
    - `namespace`: where the Cluster and its Secrets are.
    - `connection_secret`: the Secret of the bootstrap owner, `<name>-app`.
    - `host`: the read-write Service, `<name>-rw.<namespace>.svc`.
    - `role_secrets`: role name to the Secret holding its generated password.
    - `backup_location`: where the backups are (a `BackupLocation`), or None without backups;
      a restore in another cluster reads them from there.
    - `cluster`: the `postgresql.cnpg.io/v1` Cluster resource.
    """

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: PostgresClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the Postgres cluster `name` in `cluster` from `args`. `name` names the
        Cluster and every child resource; never change it. `opts` applies to the component
        itself."""
        super().__init__("platform:index:PostgresCluster", name, None, opts)
        self._cluster = cluster
        self._args = args
        operator: PostgresOperator = args.operator
        uses_plugin = args.backups is not None or args.restore is not None
        self._crd_deps = [
            *operator.crd_dependencies,
            *(operator.plugin_dependencies if uses_plugin else []),
        ]
        if args.namespace_resource is not None:
            self._crd_deps.append(args.namespace_resource)

        self.cluster_name = name
        self.namespace = args.namespace
        self.connection_secret = f"{name}-app"
        self.host = f"{name}-rw.{args.namespace}.svc"
        self.backup_location: BackupLocation | None = None

        depends_on: list[pulumi.Resource] = []
        role_secrets = self._roles(name, depends_on)
        self.role_secrets = role_secrets
        plugins, bucket = self._backups(name, depends_on)
        external = self._restore(name, depends_on)
        annotations = self._identity(name, bucket, depends_on)

        self.cluster = k8s.apiextensions.CustomResource(
            name,
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=self._metadata(name),
            spec=self._spec(name, role_secrets, plugins, external, annotations),
            opts=cluster.child_opts(
                self, depends_on=[*self._crd_deps, *depends_on], protect=args.protect
            ),
        )
        for database in args.databases:
            self._after_cluster(
                f"{name}-db-{_kube(database.name)}",
                "postgresql.cnpg.io/v1",
                "Database",
                f"{name}-{_kube(database.name)}",
                {
                    "cluster": {"name": name},
                    "name": database.name,
                    "owner": database.owner,
                    "ensure": "present",
                    # Removing a database from config never drops its data.
                    "databaseReclaimPolicy": "retain",
                },
            )
        if args.backups is not None:
            self._after_cluster(
                f"{name}-scheduled-backup",
                "postgresql.cnpg.io/v1",
                "ScheduledBackup",
                f"{name}-backup",
                {
                    "cluster": {"name": name},
                    "schedule": args.backups.schedule,
                    "method": "plugin",
                    "pluginConfiguration": {"name": PLUGIN_NAME},
                    "backupOwnerReference": "self",
                    "immediate": True,
                },
            )
        if args.monitoring:
            # A PodMonitor of its own, as CloudNativePG 1.30 recommends (docs/src/monitoring.md:
            # `spec.monitoring.enablePodMonitor` is deprecated). Its instances' exporter also
            # reports the Barman Cloud plugin's backup metrics.
            monitoring = [args.monitoring_crds] if args.monitoring_crds is not None else []
            self._after_cluster(
                f"{name}-pod-monitor",
                "monitoring.coreos.com/v1",
                "PodMonitor",
                name,
                {
                    "selector": {"matchLabels": {"cnpg.io/cluster": name}},
                    "podMetricsEndpoints": [{"port": "metrics"}],
                },
                depends_on=monitoring,
            )

        self.register_outputs(
            {
                "namespace": self.namespace,
                "connectionSecret": self.connection_secret,
                "host": self.host,
                "roleSecrets": role_secrets,
            }
        )

    # --- pieces ------------------------------------------------------------------------------

    def _after_cluster(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        name: str,
        spec: dict[str, Any],
        depends_on: list[pulumi.Resource] | None = None,
    ) -> k8s.apiextensions.CustomResource:
        """A custom resource about the Cluster, created once the Cluster exists."""
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=api_version,
            kind=kind,
            metadata=self._metadata(name),
            spec=spec,
            opts=self._cluster.child_opts(
                self, depends_on=[*self._crd_deps, self.cluster, *(depends_on or [])]
            ),
        )

    def _metadata(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": self._args.namespace,
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
        }

    def _roles(self, name: str, depends_on: list[pulumi.Resource]) -> dict[str, str]:
        """A generated password per role, in a basic-auth Secret CloudNativePG reads."""
        secrets: dict[str, str] = {}
        for role in self._args.roles:
            password = random.RandomPassword(
                f"{name}-role-{_kube(role.name)}",
                length=32,
                special=False,  # safe to paste into connection URIs
                opts=pulumi.ResourceOptions(parent=self),
            )
            secret_name = f"{name}-role-{_kube(role.name)}"
            secret = k8s.core.v1.Secret(
                secret_name,
                metadata={
                    **self._metadata(secret_name),
                    "labels": {"app.kubernetes.io/managed-by": "pulumi", "cnpg.io/reload": "true"},
                },
                type="kubernetes.io/basic-auth",
                string_data={
                    "username": role.name,
                    "password": pulumi.Output.secret(password.result),
                },
                opts=self._cluster.child_opts(self, depends_on=self._namespace_deps()),
            )
            depends_on.append(secret)
            secrets[role.name] = secret_name
        return secrets

    def _namespace_deps(self) -> list[pulumi.Resource]:
        resource = self._args.namespace_resource
        return [resource] if resource is not None else []

    def _backups(
        self, name: str, depends_on: list[pulumi.Resource]
    ) -> tuple[list[dict[str, Any]], BackupBucket | None]:
        backups = self._args.backups
        if backups is None:
            return [], None
        bucket = None
        if backups.endpoint is not None:
            url: Any = f"s3://{backups.endpoint.bucket}"
            location = BackupLocation(
                destination_path=f"{url}/{backups.path_prefix}/{name}",
                endpoint=backups.endpoint,
            )
        else:
            bucket = BackupBucket(
                f"{name}-backups",
                self._cluster,
                BackupBucketArgs(protect=self._args.protect),
                opts=pulumi.ResourceOptions(parent=self),
            )
            location = BackupLocation(
                destination_path=pulumi.Output.concat(bucket.url, f"/{backups.path_prefix}/{name}"),
                bucket_name=bucket.bucket_name,
                kms_key_arn=bucket.kms_key_arn,
            )
        self.backup_location = location
        store = self._object_store(
            f"{name}-backups", location, depends_on, retention=backups.retention
        )
        depends_on.append(store)
        plugin = {
            "name": PLUGIN_NAME,
            "enabled": True,
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": f"{name}-backups"},
        }
        return [plugin], bucket

    def _restore(self, name: str, depends_on: list[pulumi.Resource]) -> list[dict[str, Any]]:
        restore = self._args.restore
        if restore is None:
            return []
        store = self._object_store(f"{name}-restore", restore.location, depends_on)
        depends_on.append(store)
        return [
            {
                "name": restore.source,
                "plugin": {
                    "name": PLUGIN_NAME,
                    "parameters": {
                        "barmanObjectName": f"{name}-restore",
                        "serverName": restore.source,
                    },
                },
            }
        ]

    def _object_store(
        self,
        store_name: str,
        location: BackupLocation,
        depends_on: list[pulumi.Resource],
        retention: str | None = None,
    ) -> k8s.apiextensions.CustomResource:
        configuration: dict[str, Any] = {
            "destinationPath": location.destination_path,
            "wal": {"compression": "gzip", "maxParallel": 4},
            "data": {"compression": "gzip", "jobs": 2},
        }
        if location.endpoint is not None:
            secret = self._s3_keys(store_name, location.endpoint)
            depends_on.append(secret)
            configuration["endpointURL"] = location.endpoint.url
            configuration["s3Credentials"] = {
                "accessKeyId": {"name": store_name + "-s3", "key": "ACCESS_KEY_ID"},
                "secretAccessKey": {"name": store_name + "-s3", "key": "ACCESS_SECRET_KEY"},
            }
        elif self._cluster.cloud == "aws":
            # The regional endpoint: SSE-KMS needs SigV4 in the bucket's own region.
            configuration["endpointURL"] = f"https://s3.{self._cluster.region}.amazonaws.com"
            configuration["s3Credentials"] = {"inheritFromIAMRole": True}
        else:
            configuration["googleCredentials"] = {"gkeEnvironment": True}
        spec: dict[str, Any] = {"configuration": configuration}
        if retention is not None:
            spec["retentionPolicy"] = retention
            # The store the cluster archives to configures the sidecar in every instance.
            spec["instanceSidecarConfiguration"] = {
                "resources": self._args.backup_sidecar_resources.values()
            }
        return k8s.apiextensions.CustomResource(
            store_name,
            api_version="barmancloud.cnpg.io/v1",
            kind="ObjectStore",
            metadata=self._metadata(store_name),
            spec=spec,
            opts=self._cluster.child_opts(self, depends_on=self._crd_deps),
        )

    def _s3_keys(self, store_name: str, endpoint: S3Endpoint) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{store_name}-s3",
            metadata=self._metadata(f"{store_name}-s3"),
            type="Opaque",
            string_data={
                "ACCESS_KEY_ID": pulumi.Output.secret(endpoint.access_key_id),
                "ACCESS_SECRET_KEY": pulumi.Output.secret(endpoint.secret_access_key),
            },
            opts=self._cluster.child_opts(self, depends_on=self._namespace_deps()),
        )

    def _identity(
        self, name: str, bucket: BackupBucket | None, depends_on: list[pulumi.Resource]
    ) -> dict[str, Any]:
        """Bind the Cluster's service account (CloudNativePG names it after the Cluster) to a
        cloud identity that can use this cluster's bucket and read the restore source.

        On EKS the binding is IRSA: the Barman Cloud plugin documents IRSA and static keys for
        S3 (plugin-barman-cloud web/docs/object_stores.md), and EKS Pod Identity is an open
        request there (cloudnative-pg/plugin-barman-cloud#772, #876)."""
        restore = self._args.restore
        reads = restore.location if restore and restore.location.endpoint is None else None
        if self._cluster.cloud not in ("aws", "gcp") or (bucket is None and reads is None):
            return {}
        request = WorkloadIdentityRequest(
            name=f"postgres-{name}",
            namespace=self._args.namespace,
            service_account=name,
            aws_mechanism="irsa",
            aws_policy=(
                _aws_policy(bucket, reads, self._cluster.region or "")
                if self._cluster.cloud == "aws"
                else None
            ),
        )
        identity = self._cluster.bind_workload_identity(request, self)
        depends_on.extend(identity.ready)
        if self._cluster.cloud == "gcp":
            member = pulumi.Output.concat("serviceAccount:", identity.principal)
            grants: list[tuple[str, Any, str]] = []
            if bucket is not None:
                grants += [
                    ("backups-objects", bucket.bucket_name, "roles/storage.objectAdmin"),
                    # barman-cloud checks that the bucket exists (storage.buckets.get).
                    ("backups-bucket", bucket.bucket_name, "roles/storage.legacyBucketReader"),
                ]
            if reads is not None:
                grants += [
                    ("restore-objects", reads.bucket_name, "roles/storage.objectViewer"),
                    ("restore-bucket", reads.bucket_name, "roles/storage.legacyBucketReader"),
                ]
            for suffix, bucket_name, role in grants:
                depends_on.append(
                    gcp.storage.BucketIAMMember(
                        f"{name}-{suffix}",
                        bucket=bucket_name,
                        role=role,
                        member=member,
                        opts=self._cluster.cloud_opts(self),
                    )
                )
        return dict(identity.service_account_annotations)

    def _spec(
        self,
        name: str,
        role_secrets: dict[str, str],
        plugins: list[dict[str, Any]],
        external: list[dict[str, Any]],
        annotations: dict[str, Any],
    ) -> dict[str, Any]:
        args = self._args
        storage_class = self._cluster.database_storage_class
        spec: dict[str, Any] = {
            "instances": args.instances,
            "imageName": versions.POSTGRES_IMAGES[args.postgres_major],
            "imagePullPolicy": "IfNotPresent",
            "primaryUpdateStrategy": "unsupervised",
            # With one instance a disruption budget would block every node drain.
            "enablePDB": args.instances > 1,
            "storage": {"size": args.storage_size, "storageClass": storage_class},
            "walStorage": {"size": args.wal_size, "storageClass": storage_class},
            "resources": {
                "requests": {"cpu": args.cpu, "memory": args.memory},
                "limits": {"memory": args.memory},
            },
            "bootstrap": self._bootstrap(),
        }
        if args.instances > 1:
            spec["affinity"] = {
                "enablePodAntiAffinity": True,
                "topologyKey": "topology.kubernetes.io/zone",
                "podAntiAffinityType": args.anti_affinity,
            }
        if args.roles:
            spec["managed"] = {
                "roles": [
                    {
                        "name": role.name,
                        "ensure": "present",
                        "login": role.login,
                        "createdb": role.createdb,
                        "connectionLimit": role.connection_limit,
                        "inRoles": list(role.in_roles),
                        "passwordSecret": {"name": role_secrets[role.name]},
                    }
                    for role in args.roles
                ]
            }
        if plugins:
            spec["plugins"] = plugins
        if external:
            spec["externalClusters"] = external
        if annotations:
            spec["serviceAccountTemplate"] = {"metadata": {"annotations": annotations}}
        return spec

    def _bootstrap(self) -> dict[str, Any]:
        args = self._args
        if args.restore is None:
            return {
                "initdb": {"database": args.database, "owner": args.owner, "dataChecksums": True}
            }
        recovery: dict[str, Any] = {
            "source": args.restore.source,
            "database": args.database,
            "owner": args.owner,
        }
        if args.restore.target_time is not None:
            recovery["recoveryTarget"] = {"targetTime": args.restore.target_time}
        return {"recovery": recovery}


def _kube(identifier: str) -> str:
    """A Postgres identifier as a Kubernetes name segment."""
    return identifier.replace("_", "-")


def _aws_policy(
    bucket: BackupBucket | None,
    reads: BackupLocation | None,
    region: str,
) -> pulumi.Output[str]:
    """Read-write on this cluster's bucket and key; read-only on the restore source."""
    own = [bucket.bucket_arn, bucket.kms_key_arn] if bucket is not None else [None, None]
    source = [reads.bucket_name, reads.kms_key_arn] if reads is not None else [None, None]

    def document(values: list[Any]) -> str:
        own_arn, own_key, source_bucket, source_key = values
        statements: list[dict[str, Any]] = []
        if own_arn is not None:
            statements += [
                _allow("ListBackupBucket", _LIST_BUCKET, own_arn),
                _allow(
                    "ReadWriteBackups",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    f"{own_arn}/*",
                ),
                _allow("UseBackupKey", ["kms:Decrypt", "kms:GenerateDataKey"], own_key),
            ]
        if source_bucket is not None:
            source_arn = f"arn:{partition(region)}:s3:::{source_bucket}"
            statements += [
                _allow("ListRestoreSource", _LIST_BUCKET, source_arn),
                _allow("ReadRestoreSource", ["s3:GetObject"], f"{source_arn}/*"),
                _decrypt_source(source_key, source_arn, region),
            ]
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    return pulumi.Output.all(*own, *source).apply(document)


def _allow(sid: str, actions: list[str], resource: str, **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _decrypt_source(key_arn: str | None, bucket_arn: str, region: str) -> dict[str, Any]:
    if key_arn is not None:
        return _allow("DecryptRestoreSource", ["kms:Decrypt"], key_arn)
    # A bucket of another stack: its key is unknown here, so decrypt is limited to S3 reading
    # that bucket's objects.
    return _allow(
        "DecryptRestoreSource",
        ["kms:Decrypt"],
        "*",
        Condition={
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        },
    )
