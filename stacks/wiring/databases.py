"""Postgres clusters: the CloudNativePG operator and plugin, then one PostgresCluster per
`platform:databases` entry. Resource names derive only from each entry's `name`."""

from __future__ import annotations

from typing import Any

import pulumi

from kube_platform.components.cluster import Cluster
from kube_platform.components.data.postgres import (
    BackupLocation,
    PostgresBackups,
    PostgresCluster,
    PostgresClusterArgs,
    PostgresDatabase,
    PostgresRestore,
    PostgresRole,
    S3Endpoint,
)
from kube_platform.components.data.postgres_operator import PostgresOperator, PostgresOperatorArgs
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.stacks import footprint
from kube_platform.stacks.config import DatabaseConfig, S3EndpointConfig, StackConfig

OPERATOR_NAMESPACE = "cnpg-system"


class DatabaseNamespace(pulumi.ComponentResource):
    """A namespace holding Postgres clusters; protected like them, since deleting it would
    delete every cluster inside."""

    def __init__(self, cluster: Cluster, name: str, protect: bool) -> None:
        super().__init__(
            "platform:index:DatabaseNamespace",
            f"postgres-ns-{name}",
            None,
            pulumi.ResourceOptions(protect=protect),
        )
        self.namespace = platform_namespace(cluster, name, self)
        self.register_outputs({"name": name})


def build(
    cfg: StackConfig,
    cluster: Cluster,
    stack: str,
    *,
    cert_manager: pulumi.Resource | None,
    monitoring_crds: pulumi.Resource | None = None,
) -> dict[str, Any]:
    if not cfg.databases:
        return {}
    needs_plugin = any(cfg.postgres_backups(db) or db.restore for db in cfg.databases)
    if needs_plugin and cert_manager is None:
        raise ConfigurationError(
            "platform:databases: backups and restores use the Barman Cloud plugin, which needs "
            "cert-manager, and this stack installs none"
        )
    operator = PostgresOperator(
        "postgres-operator",
        cluster,
        PostgresOperatorArgs(
            namespace=OPERATOR_NAMESPACE,
            replicas=2 if cfg.ha else 1,
            install_plugin=needs_plugin,
            cert_manager=cert_manager,
            monitoring_crds=monitoring_crds,
            operator_resources=footprint.requests(cfg.tier, "cloudnative-pg"),
            plugin_resources=footprint.requests(cfg.tier, "barman-cloud-plugin"),
        ),
    )
    namespaces = {
        ns: DatabaseNamespace(cluster, ns, cfg.protect_stateful).namespace
        for ns in sorted({db.namespace_or_default for db in cfg.databases if db.create_namespace})
    }
    built: dict[str, PostgresCluster] = {}
    for db in _sources_first(cfg.databases):
        built[db.name] = PostgresCluster(
            db.name,
            cluster,
            _args(cfg, db, stack, operator, namespaces, built, monitoring_crds),
        )
    return {
        "databases": {
            db.name: {
                "namespace": built[db.name].namespace,
                "connectionSecret": built[db.name].connection_secret,
                "host": built[db.name].host,
                "port": 5432,
                "database": db.database,
                "roleSecrets": built[db.name].role_secrets,
            }
            for db in cfg.databases
        }
    }


def _sources_first(databases: list[DatabaseConfig]) -> list[DatabaseConfig]:
    """Restore sources of this stack before the clusters restored from them."""
    by_name = {db.name: db for db in databases}
    ordered: list[DatabaseConfig] = []

    def visit(db: DatabaseConfig, seen: tuple[str, ...]) -> None:
        if db in ordered or db.name in seen:
            return
        source = by_name.get(db.restore.source) if db.restore and db.restore.source else None
        if source is not None and db.restore and db.restore.backup_path is None:
            visit(source, (*seen, db.name))
        ordered.append(db)

    for db in databases:
        visit(db, ())
    return ordered


def _endpoint(config: S3EndpointConfig | None) -> S3Endpoint | None:
    if config is None:
        return None
    assert config.access_key_id is not None and config.secret_access_key is not None
    return S3Endpoint(
        url=config.url,
        bucket=config.bucket,
        access_key_id=pulumi.Output.secret(config.access_key_id.get_secret_value()),
        secret_access_key=pulumi.Output.secret(config.secret_access_key.get_secret_value()),
    )


def _args(
    cfg: StackConfig,
    db: DatabaseConfig,
    stack: str,
    operator: PostgresOperator,
    namespaces: dict[str, pulumi.Resource],
    built: dict[str, PostgresCluster],
    monitoring_crds: pulumi.Resource | None,
) -> PostgresClusterArgs:
    own_endpoint = _endpoint(db.backups.endpoint)
    backups = (
        PostgresBackups(
            schedule=db.backups.schedule,
            retention=db.backups.retention,
            path_prefix=stack,
            endpoint=own_endpoint,
        )
        if cfg.postgres_backups(db)
        else None
    )
    restore = None
    if db.restore is not None and db.restore.source is not None:
        if db.restore.backup_path is None:
            location = built[db.restore.source].backup_location
            assert location is not None  # config validation guarantees backups on the source
        else:
            location = BackupLocation(
                destination_path=db.restore.backup_path,
                bucket_name=db.restore.backup_bucket,
                endpoint=own_endpoint,
            )
        restore = PostgresRestore(
            source=db.restore.source, location=location, target_time=db.restore.target_time
        )
    namespace = db.namespace_or_default
    return PostgresClusterArgs(
        namespace=namespace,
        postgres_major=db.postgres_version,
        instances=cfg.postgres_instances(db),
        anti_affinity=cfg.postgres_anti_affinity(db),
        storage_size=db.storage.size,
        wal_size=db.storage.wal_size,
        cpu=db.resources.cpu,
        memory=db.resources.memory,
        database=db.database,
        owner=db.owner_or_default,
        databases=tuple(PostgresDatabase(name=d.name, owner=d.owner) for d in db.databases),
        roles=tuple(
            PostgresRole(
                name=r.name,
                login=r.login,
                createdb=r.createdb,
                connection_limit=r.connection_limit,
                in_roles=tuple(r.in_roles),
            )
            for r in db.roles
        ),
        backups=backups,
        restore=restore,
        monitoring=cfg.postgres_monitoring(db) and monitoring_crds is not None,
        monitoring_crds=monitoring_crds,
        backup_sidecar_resources=footprint.requests(cfg.tier, "barman-cloud-sidecar"),
        protect=cfg.protect_stateful,
        operator=operator,
        namespace_resource=namespaces.get(namespace),
    )
