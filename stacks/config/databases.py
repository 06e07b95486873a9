"""Postgres clusters (CloudNativePG): their models, value checks and cross-key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from kube_platform.components import versions
from kube_platform.components.data.postgres import AntiAffinity
from kube_platform.components.validation import (
    BackupPath,
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
from kube_platform.components.validation.postgres import BACKUP_PATH_RE
from kube_platform.stacks.config.base import ConfigModel, Tier
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

# What each cluster kind's ObjectStore can read: a cloud bucket, or the S3 endpoint.
_OBJECT_STORES = {"eks": "S3", "gke": "Cloud Storage", "existing": "an S3-compatible endpoint"}
# Roles CloudNativePG itself manages; declaring them would fight the operator.
_RESERVED_ROLES = {"postgres", "streaming_replica"}


class PostgresStorageConfig(ConfigModel):
    """Volumes of each instance, on the cluster's retain-policy database StorageClass."""

    size: StorageSize = Field("20Gi", description="Data volume size, e.g. `20Gi`.")
    wal_size: StorageSize = Field(
        "5Gi", description="Separate WAL volume size, so a full WAL disk never fills the data."
    )


class PostgresResourcesConfig(ConfigModel):
    """Resources of each Postgres instance; memory is also the limit (no overcommit)."""

    cpu: CpuAmount = Field("500m", description="CPU request, e.g. `500m` or `2`.")
    memory: MemorySize = Field("1Gi", description="Memory request and limit, e.g. `2Gi`.")


class PostgresRoleConfig(ConfigModel):
    """A role managed in the cluster; its password is generated and kept in the Kubernetes
    Secret `<cluster>-role-<name>` (type basic-auth)."""

    name: PgIdentifier = Field(description="Role name.")
    login: bool = Field(True, description="Whether the role can log in.")
    createdb: bool = Field(False, description="Whether the role can create databases.")
    connection_limit: ConnectionLimit = Field(-1, description="Connection limit; -1 is unlimited.")
    in_roles: list[PgIdentifier] = Field([], description="Roles this role is a member of.")


class PostgresDatabaseConfig(ConfigModel):
    """An extra database, created declaratively (a `Database` resource) and retained in
    Postgres when removed from config."""

    name: PgIdentifier = Field(description="Database name.")
    owner: PgIdentifier = Field(
        description="Owning role: the bootstrap owner or one of the cluster's `roles`."
    )


class S3EndpointConfig(ConfigModel):
    """An S3-compatible object store (MinIO, Ceph, a cloud bucket with keys), for backups from
    an existing cluster, which has no cloud workload identity."""

    url: EndpointUrl = Field(description="Endpoint URL, e.g. `https://minio.example.com:9000`.")
    bucket: S3BucketName = Field(
        description="Bucket name; backups go under `<stack>/<cluster>/` in it."
    )
    # Optional in the type only so the secret marker survives validation; both are required.
    access_key_id: SecretValue | None = Field(None, description="Access key id (secret).")
    secret_access_key: SecretValue | None = Field(None, description="Secret access key (secret).")

    @model_validator(mode="after")
    def _keys(self) -> S3EndpointConfig:
        if self.access_key_id is None or self.secret_access_key is None:
            raise ValueError(
                "an endpoint needs both accessKeyId and secretAccessKey; store each with "
                "`pulumi config set --secret --path`"
            )
        return self



class PostgresBackupConfig(ConfigModel):
    """Continuous backup (WAL archive plus scheduled base backups) through the Barman Cloud
    plugin: to a bucket per cluster on EKS and GKE, to `endpoint` on an existing cluster."""

    enabled: bool | None = Field(
        None, description="Back up this cluster. Default: the tier's (off in dev, on otherwise)."
    )
    schedule: BackupSchedule = Field(
        "0 0 2 * * *",
        description="Base backup schedule: six cron fields, seconds first. Default: 02:00 daily.",
    )
    retention: Retention = Field(
        "30d", description="How far back a restore can go: `<n>d`, `<n>w` or `<n>m`."
    )
    endpoint: S3EndpointConfig | None = Field(
        None, description="Existing clusters only: the S3-compatible store to back up to."
    )


class PostgresRestoreConfig(ConfigModel):
    """Create this cluster from another cluster's backups, optionally up to a point in time.
    Read only when the cluster is first created."""

    source: KubernetesName | None = Field(
        None, description="Name of the cluster whose backups to restore (its server name)."
    )
    backup_path: BackupPath | None = Field(
        None,
        description="Where the source's backups are (`s3://bucket/<stack>/<cluster>` or "
        "`gs://...`). Default: the backup path of cluster `source` in this stack.",
    )
    target_time: Timestamp | None = Field(
        None,
        description="Recover up to this RFC 3339 time (e.g. `2026-09-30T14:05:00Z`). Default: "
        "the end of the archive.",
    )

    @property
    def backup_bucket(self) -> str | None:
        match = BACKUP_PATH_RE.match(self.backup_path or "")
        return match["bucket"] if match else None


class DatabaseConfig(ConfigModel):
    """One Postgres cluster (CloudNativePG). The application connects with the Secret
    `<name>-app` in the cluster's namespace (keys `uri`, `host`, `username`, `password`, ...)."""

    name: KubernetesName = Field(
        description="Postgres cluster name, unique in the stack. Never change it: it names "
        "every resource of the cluster."
    )
    namespace: KubernetesName | None = Field(
        None, description="Namespace of the cluster. Default: `name`."
    )
    create_namespace: bool = Field(
        True, description="Create the namespace; set false when it already exists."
    )
    postgres_version: PostgresMajor = Field(
        versions.POSTGRES_DEFAULT_MAJOR,
        description="Postgres major version: "
        f"{', '.join(str(v) for v in versions.POSTGRES_IMAGES)} (image pinned per major).",
    )
    instances: Replicas | None = Field(
        None,
        description="Instances (one primary, the rest replicas). Default: the tier's "
        "(dev 1, staging 2, prod 3).",
    )
    allow_fewer_instances_in_prod: bool = Field(
        False,
        description="Accept fewer than three instances in prod (a zone outage can then stop "
        "the database).",
    )
    anti_affinity: AntiAffinity | None = Field(
        None,
        description="Spread instances across zones strictly (`required`) or best effort. "
        "Default: required in prod, preferred elsewhere.",
    )
    storage: PostgresStorageConfig = Field(PostgresStorageConfig(), description="Volumes.")
    resources: PostgresResourcesConfig = Field(
        PostgresResourcesConfig(), description="Per-instance resources."
    )
    database: PgIdentifier = Field("app", description="Database created at bootstrap.")
    owner: PgIdentifier | None = Field(
        None, description="Owner of the bootstrap database. Default: `database`."
    )
    databases: list[PostgresDatabaseConfig] = Field([], description="Extra databases.")
    roles: list[PostgresRoleConfig] = Field([], description="Extra roles with generated passwords.")
    backups: PostgresBackupConfig = Field(PostgresBackupConfig(), description="Backups.")
    restore: PostgresRestoreConfig | None = Field(
        None, description="Create the cluster from another cluster's backups."
    )
    monitoring: bool | None = Field(
        None,
        description="A PodMonitor for the cluster's instances (metrics and backup status) "
        "and the Postgres alerts. Default: on whenever `observability` is enabled.",
    )

    @property
    def namespace_or_default(self) -> str:
        return self.namespace or self.name

    @property
    def owner_or_default(self) -> str:
        return self.owner or self.database


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Postgres problems: (key path, message) pairs."""
    found: list[tuple[str, str]] = []
    names = [db.name for db in cfg.databases]
    found.extend(
        (
            "databases",
            f"database cluster name '{dup}' is used more than once; names must be unique",
        )
        for dup in sorted({n for n in names if names.count(n) > 1})
    )
    by_name = {db.name: db for db in cfg.databases}
    existing = cfg.cluster.kind == "existing"
    zones = _zones(cfg)
    for i, db in enumerate(cfg.databases):
        key = f"databases[{i}]"
        instances = cfg.postgres_instances(db)
        if cfg.tier is Tier.prod and instances < 3 and not db.allow_fewer_instances_in_prod:
            found.append(
                (
                    f"{key}.instances",
                    f"prod runs at least three Postgres instances, one per zone, so losing a "
                    f"zone keeps the database up; {instances} is set. Raise instances to 3, or "
                    "set allowFewerInstancesInProd: true to accept the risk",
                )
            )
        if cfg.postgres_anti_affinity(db) == "required" and zones and instances > len(zones):
            found.append(
                (
                    f"{key}.instances",
                    f"{instances} instances need {instances} zones with required "
                    f"anti-affinity, but the cluster spans {len(zones)}; lower instances "
                    "or set antiAffinity: preferred",
                )
            )
        found.extend(_name_problems(key, db))
        if cfg.postgres_backups(db) and existing and db.backups.endpoint is None:
            found.append(
                (
                    f"{key}.backups",
                    "backups are enabled but an existing cluster has no cloud bucket; set "
                    "backups.endpoint (url, bucket, and accessKeyId and secretAccessKey as "
                    "secrets) or set backups.enabled: false",
                )
            )
        if not existing and db.backups.endpoint is not None:
            found.append(
                (
                    f"{key}.backups.endpoint",
                    f"on a {cfg.cluster.kind} cluster backups go to a bucket the platform "
                    "creates, reached through workload identity; remove backups.endpoint",
                )
            )
        if db.restore is not None:
            found.extend(_restore_problems(cfg, key, db, by_name, existing))
    return found


def _zones(cfg: StackConfig) -> list[str]:
    cluster = cfg.cluster
    section = cluster.eks or cluster.gke
    if section is not None:
        return list(section.zones)
    return list(cluster.existing_or_default.zones)


def _name_problems(key: str, db: DatabaseConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    databases = [db.database, *(d.name for d in db.databases)]
    found.extend(
        (
            f"{key}.databases",
            f"database '{dup}' is defined more than once in cluster '{db.name}' (the "
            f"bootstrap database is '{db.database}'); give each database its own name",
        )
        for dup in sorted({n for n in databases if databases.count(n) > 1})
    )
    roles = [r.name for r in db.roles]
    found.extend(
        (f"{key}.roles", f"role '{dup}' is defined more than once in cluster '{db.name}'")
        for dup in sorted({n for n in roles if roles.count(n) > 1})
    )
    owner = db.owner_or_default
    for j, role in enumerate(db.roles):
        if role.name == owner or role.name in _RESERVED_ROLES:
            found.append(
                (
                    f"{key}.roles[{j}].name",
                    f"role '{role.name}' is managed by CloudNativePG (the bootstrap owner's "
                    f"credentials are in the Secret '{db.name}-app'); remove it from roles",
                )
            )
    known = {owner, *roles}
    for j, extra in enumerate(db.databases):
        if extra.owner not in known:
            found.append(
                (
                    f"{key}.databases[{j}].owner",
                    f"owner '{extra.owner}' is neither the bootstrap owner '{owner}' nor one "
                    "of the cluster's roles; add it to roles or pick one of those",
                )
            )
    return found


def _restore_problems(
    cfg: StackConfig,
    key: str,
    db: DatabaseConfig,
    by_name: dict[str, DatabaseConfig],
    existing: bool,
) -> list[tuple[str, str]]:
    restore = db.restore
    assert restore is not None
    if restore.source is None:
        return [
            (
                f"{key}.restore.source",
                "restore has no source; set restore.source to the name of the cluster whose "
                "backups to restore",
            )
        ]
    if restore.source == db.name:
        return [
            (
                f"{key}.restore.source",
                f"cluster '{db.name}' cannot restore from its own name: its new backups would "
                "collide with the archive it restores from; restore into a new cluster name",
            )
        ]
    scheme = "gs" if cfg.cluster.kind == "gke" else "s3"
    if restore.backup_path is not None and not restore.backup_path.startswith(f"{scheme}://"):
        return [
            (
                f"{key}.restore.backupPath",
                f"'{restore.backup_path}' cannot be read from the {cfg.cluster.kind} cluster, "
                f"which restores from {_OBJECT_STORES[cfg.cluster.kind]}; write "
                f"{scheme}://<bucket>/<path>",
            )
        ]
    source = by_name.get(restore.source)
    if restore.backup_path is None and (source is None or not cfg.postgres_backups(source)):
        return [
            (
                f"{key}.restore",
                f"'{restore.source}' is not a cluster of this stack with backups; set "
                "restore.backupPath to where its backups are",
            )
        ]
    if existing:
        store = source.backups.endpoint if source and restore.backup_path is None else None
        if store is None and db.backups.endpoint is None:
            return [
                (
                    f"{key}.restore",
                    "restoring on an existing cluster reads the backups with S3 credentials; "
                    "set backups.endpoint on this cluster (its url and keys are used)",
                )
            ]
    return []
