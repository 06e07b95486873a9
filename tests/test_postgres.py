"""Postgres clusters: HA per tier, backups through workload identity, restores, protection and
the configuration errors a user sees."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from kube_platform.components import versions
from kube_platform.stacks import loader, offline
from kube_platform.stacks.wiring import databases
from tests.conftest import ROOT, stack_config
from tests.fakes import FakeCloudCluster
from tests.test_config_errors import EKS, GKE, assert_rejected, base, cloud

CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
DATABASE = "kubernetes:postgresql.cnpg.io/v1:Database"
SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"

ORDERS = {
    "name": "orders",
    "roles": [{"name": "reporting"}],
    "databases": [{"name": "reports", "owner": "reporting"}],
    "backups": {"retention": "30d"},
}
PITR = {
    "name": "orders-pitr",
    "restore": {"source": "orders", "targetTime": "2026-09-30T14:05:00Z"},
}
BASE_STACK = {("aws", "prod"): "prod", ("aws", "staging"): "staging", ("gcp", "prod"): "gke-prod"}


def run_fake(entries: list[dict[str, Any]], cloud_: str = "aws", tier: str = "prod") -> offline.Run:
    """Wire `entries` onto a FakeCloudCluster, with config validated as a shipped cloud stack
    of `tier` would be."""
    config = stack_config(BASE_STACK[(cloud_, tier)])
    config["platform:databases"] = entries

    def program() -> dict[str, Any]:
        cfg = loader.from_pulumi(file_config=config, project_dir=ROOT)
        cluster = FakeCloudCluster("c", cloud_)
        cert_manager = k8s.helm.v3.Release(
            "cert-manager",
            chart="cert-manager",
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
        monitoring_crds = k8s.yaml.v2.ConfigGroup(
            "monitoring-crds", files=[], opts=pulumi.ResourceOptions(provider=cluster.provider)
        )
        return databases.build(
            cfg, cluster, "prod", cert_manager=cert_manager, monitoring_crds=monitoring_crds
        )

    return offline.run("test", config=config, program=program, project_dir=ROOT)


def named(run: offline.Run, type_: str, name: str) -> offline.Registration:
    found = [r for r in run.of_type(type_) if r.name == name]
    assert len(found) == 1, [r.name for r in run.of_type(type_)]
    return found[0]


def is_secret(r: offline.Registration, path: str) -> bool:
    """Whether the input at `path` (or an object enclosing it) is a Pulumi secret."""
    return any(path == s or path.startswith(f"{s}.") for s in r.secret_inputs)


def spec(run: offline.Run, name: str = "app-db") -> dict[str, Any]:
    return named(run, CLUSTER, name).inputs["spec"]


@pytest.fixture(scope="module")
def aws_run() -> offline.Run:
    return run_fake([ORDERS, PITR], "aws")


@pytest.fixture(scope="module")
def gcp_run() -> offline.Run:
    return run_fake([ORDERS, PITR], "gcp")


# --- high availability ---------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "instances"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_instances_follow_the_tier(stack_run, stack, instances):
    assert spec(stack_run(stack))["instances"] == instances


def test_prod_spreads_instances_across_zones_strictly(stack_run):
    affinity = spec(stack_run("prod"))["affinity"]
    assert affinity == {
        "enablePodAntiAffinity": True,
        "topologyKey": "topology.kubernetes.io/zone",
        "podAntiAffinityType": "required",
    }
    staging = spec(stack_run("staging"))["affinity"]
    assert staging["topologyKey"] == "topology.kubernetes.io/zone"
    assert staging["podAntiAffinityType"] == "preferred"


def test_a_single_instance_has_no_disruption_budget_or_spread(stack_run):
    dev = spec(stack_run("dev"))
    assert dev["enablePDB"] is False  # a one-instance PDB would block every node drain
    assert "affinity" not in dev
    assert spec(stack_run("prod"))["enablePDB"] is True


def test_data_and_wal_live_on_separate_retained_volumes(aws_run):
    cluster = spec(aws_run, "orders")
    assert cluster["storage"] == {"size": "20Gi", "storageClass": "retain"}
    assert cluster["walStorage"] == {"size": "5Gi", "storageClass": "retain"}
    assert cluster["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert cluster["resources"]["limits"] == {"memory": "1Gi"}


@pytest.mark.parametrize("major", sorted(versions.POSTGRES_IMAGES))
def test_the_image_is_pinned_per_major(major):
    run = run_fake([{"name": "pg", "postgresVersion": major}])
    image = spec(run, "pg")["imageName"]
    assert image == versions.POSTGRES_IMAGES[major]
    assert image.startswith(f"ghcr.io/cloudnative-pg/postgresql:{major}.")


def test_bootstrap_creates_the_database_and_owner(stack_run):
    initdb = spec(stack_run("prod"))["bootstrap"]["initdb"]
    assert (initdb["database"], initdb["owner"]) == ("app", "app")


# --- databases and roles -------------------------------------------------------------------


def test_extra_databases_are_declarative_and_retained(aws_run):
    database = named(aws_run, DATABASE, "orders-db-reports").inputs
    assert database["spec"] == {
        "cluster": {"name": "orders"},
        "name": "reports",
        "owner": "reporting",
        "ensure": "present",
        "databaseReclaimPolicy": "retain",
    }
    assert database["metadata"]["namespace"] == "orders"


def test_role_passwords_are_generated_and_secret(aws_run):
    secret = named(aws_run, SECRET, "orders-role-reporting")
    assert secret.inputs["type"] == "kubernetes.io/basic-auth"
    assert secret.inputs["metadata"]["labels"]["cnpg.io/reload"] == "true"
    assert secret.inputs["stringData"]["username"] == "reporting"
    assert is_secret(secret, "stringData.password")
    role = spec(aws_run, "orders")["managed"]["roles"][0]
    assert role["name"] == "reporting"
    assert role["passwordSecret"] == {"name": "orders-role-reporting"}


def test_the_connection_secret_is_a_stack_output(stack_run):
    output = stack_run("prod").outputs["databases"]
    assert not output.secret
    assert output.value["app-db"] == {
        "namespace": "app-db",
        "connectionSecret": "app-db-app",
        "host": "app-db-rw.app-db.svc",
        "port": 5432,
        "database": "app",
        "roleSecrets": {"reporting": "app-db-role-reporting"},
    }


# --- backups -------------------------------------------------------------------------------


def test_the_s3_bucket_is_private_versioned_and_kms_encrypted(aws_run):
    bucket = named(aws_run, "aws:s3/bucket:Bucket", "orders-backups")
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    key = named(aws_run, "aws:kms/key:Key", "orders-backups-key")
    assert key.protect and key.inputs["enableKeyRotation"] is True
    block = named(
        aws_run,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "orders-backups-public-access",
    ).inputs
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioning = named(
        aws_run, "aws:s3/bucketVersioning:BucketVersioning", "orders-backups-versioning"
    ).inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    encryption = named(
        aws_run,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "orders-backups-encryption",
    ).inputs["rules"][0]
    assert encryption["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    rules = named(
        aws_run,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "orders-backups-lifecycle",
    ).inputs["rules"]
    # Deleted backups stay recoverable as old versions for a while; current ones never expire
    # (tests/rules/test_data_backup_lifecycle.py).
    [noncurrent] = [r for r in rules if "noncurrentVersionExpiration" in r]
    assert noncurrent["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
    ownership = named(
        aws_run,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "orders-backups-ownership",
    ).inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_the_gcs_bucket_is_private_versioned_and_retained(gcp_run):
    bucket = named(gcp_run, "gcp:storage/bucket:Bucket", "orders-backups")
    assert bucket.protect
    inputs = bucket.inputs
    assert inputs["uniformBucketLevelAccess"] is True
    assert inputs["publicAccessPrevention"] == "enforced"
    assert inputs["versioning"] == {"enabled": True}
    assert inputs["forceDestroy"] is False
    conditions = [rule["condition"] for rule in inputs["lifecycleRules"]]
    assert {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"} in conditions
    assert inputs["softDeletePolicy"]["retentionDurationSeconds"] >= 7 * 24 * 3600


def _policy(run: offline.Run, name: str) -> dict[str, Any]:
    [policy] = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith(name)]
    return json.loads(policy.inputs["policy"])


def test_the_aws_identity_reaches_only_its_own_bucket_and_key(aws_run):
    statements = _policy(aws_run, "postgres-orders")["Statement"]
    resources = {s["Resource"] for s in statements}
    bucket_arn = named(aws_run, "aws:s3/bucket:Bucket", "orders-backups").outputs["arn"]
    key_arn = named(aws_run, "aws:kms/key:Key", "orders-backups-key").outputs["arn"]
    assert resources == {bucket_arn, f"{bucket_arn}/*", key_arn}
    assert all(not a.endswith("*") for s in statements for a in s["Action"])


def _bucket_grants(run, name_prefix: str) -> set[tuple[str, str]]:
    """(bucket, role) of the GCS bucket grants whose resource names start with the prefix."""
    return {
        (r.inputs["bucket"], r.inputs["role"])
        for r in run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if r.name.startswith(name_prefix)
    }


def test_the_gcp_identity_gets_bucket_level_roles_only(gcp_run):
    grants = _bucket_grants(gcp_run, "orders-backups")
    assert grants == {
        ("orders-backups", "roles/storage.objectAdmin"),
        ("orders-backups", "roles/storage.legacyBucketReader"),
    }
    assert not [r for r in gcp_run.registrations.values() if "projectIam" in r.type]
    annotations = spec(gcp_run, "orders")["serviceAccountTemplate"]["metadata"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")


def test_backups_go_through_the_plugin(aws_run):
    store = named(aws_run, OBJECT_STORE, "orders-backups").inputs["spec"]
    assert store["configuration"]["destinationPath"] == "s3://orders-backups/prod/orders"
    assert store["configuration"]["s3Credentials"] == {"inheritFromIAMRole": True}
    assert store["configuration"]["wal"]["compression"] == "gzip"
    assert store["configuration"]["data"]["compression"] == "gzip"
    assert store["retentionPolicy"] == "30d"
    cluster = spec(aws_run, "orders")
    assert cluster["plugins"] == [
        {
            "name": "barman-cloud.cloudnative-pg.io",
            "enabled": True,
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": "orders-backups"},
        }
    ]
    assert "backup" not in cluster  # never the deprecated in-tree barmanObjectStore
    schedule = named(aws_run, SCHEDULED_BACKUP, "orders-scheduled-backup").inputs["spec"]
    assert len(schedule["schedule"].split()) == 6
    assert schedule["method"] == "plugin"
    assert schedule["pluginConfiguration"] == {"name": "barman-cloud.cloudnative-pg.io"}
    assert schedule["backupOwnerReference"] == "self"
    assert schedule["cluster"] == {"name": "orders"}


def test_gcs_backups_use_the_gke_identity(gcp_run):
    store = named(gcp_run, OBJECT_STORE, "orders-backups").inputs["spec"]["configuration"]
    assert store["destinationPath"] == "gs://orders-backups/prod/orders"
    assert store["googleCredentials"] == {"gkeEnvironment": True}


def test_dev_has_no_backups_by_default(stack_run):
    run = stack_run("dev")
    assert not run.of_type(OBJECT_STORE) and not run.of_type(SCHEDULED_BACKUP)
    assert "plugins" not in spec(run)
    assert [r.name for r in run.of_type(RELEASE) if "barman" in r.name] == []


def test_an_existing_cluster_backs_up_to_an_s3_endpoint_with_secret_keys(run_config):
    config = stack_config("dev")
    config["platform:databases"] = [
        {
            "name": "pg",
            "backups": {
                "enabled": True,
                "endpoint": {
                    "url": "https://minio.example.com:9000",
                    "bucket": "pg-backups",
                    "accessKeyId": {"secure": "v1:AAAA"},
                    "secretAccessKey": {"secure": "v1:BBBB"},
                },
            },
        }
    ]
    run = run_config(config, stack="dev")
    store = named(run, OBJECT_STORE, "pg-backups").inputs["spec"]["configuration"]
    assert store["endpointURL"] == "https://minio.example.com:9000"
    assert store["destinationPath"] == "s3://pg-backups/dev/pg"
    assert store["s3Credentials"] == {
        "accessKeyId": {"name": "pg-backups-s3", "key": "ACCESS_KEY_ID"},
        "secretAccessKey": {"name": "pg-backups-s3", "key": "ACCESS_SECRET_KEY"},
    }
    keys = named(run, SECRET, "pg-backups-s3")
    assert is_secret(keys, "stringData.ACCESS_KEY_ID")
    assert is_secret(keys, "stringData.ACCESS_SECRET_KEY")
    assert not [r for r in run.registrations.values() if r.type.split(":")[0] in {"aws", "gcp"}]


# --- restore -------------------------------------------------------------------------------


def test_a_restore_recovers_another_clusters_backups_to_a_point_in_time(aws_run):
    cluster = spec(aws_run, "orders-pitr")
    assert cluster["bootstrap"] == {
        "recovery": {
            "source": "orders",
            "database": "app",
            "owner": "app",
            "recoveryTarget": {"targetTime": "2026-09-30T14:05:00Z"},
        }
    }
    assert cluster["externalClusters"] == [
        {
            "name": "orders",
            "plugin": {
                "name": "barman-cloud.cloudnative-pg.io",
                "parameters": {"barmanObjectName": "orders-pitr-restore", "serverName": "orders"},
            },
        }
    ]
    source = named(aws_run, OBJECT_STORE, "orders-pitr-restore").inputs["spec"]
    assert source["configuration"]["destinationPath"] == "s3://orders-backups/prod/orders"
    assert "retentionPolicy" not in source  # a restore never prunes the source's archive
    # The restored cluster archives to its own bucket, not the source's.
    own = named(aws_run, OBJECT_STORE, "orders-pitr-backups").inputs["spec"]
    assert own["configuration"]["destinationPath"] == "s3://orders-pitr-backups/prod/orders-pitr"


def test_a_restore_may_only_read_the_source_bucket(aws_run, gcp_run):
    statements = {s["Sid"]: s for s in _policy(aws_run, "postgres-orders-pitr")["Statement"]}
    assert statements["ReadRestoreSource"] == {
        "Sid": "ReadRestoreSource",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::orders-backups/*",
    }
    source_key = named(aws_run, "aws:kms/key:Key", "orders-backups-key").outputs["arn"]
    assert statements["DecryptRestoreSource"]["Resource"] == source_key
    assert statements["DecryptRestoreSource"]["Action"] == ["kms:Decrypt"]
    grants = _bucket_grants(gcp_run, "orders-pitr-restore")
    assert grants == {
        ("orders-backups", "roles/storage.objectViewer"),
        ("orders-backups", "roles/storage.legacyBucketReader"),
    }


def test_a_restore_from_another_stacks_path():
    run = run_fake(
        [
            {
                "name": "orders-copy",
                "backups": {"enabled": False},
                "restore": {"source": "orders", "backupPath": "s3://old-bucket/prod/orders"},
            }
        ]
    )
    store = named(run, OBJECT_STORE, "orders-copy-restore").inputs["spec"]["configuration"]
    assert store["destinationPath"] == "s3://old-bucket/prod/orders"
    assert "plugins" not in spec(run, "orders-copy")
    decrypt = {s["Sid"]: s for s in _policy(run, "postgres-orders-copy")["Statement"]}[
        "DecryptRestoreSource"
    ]
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        "arn:aws:s3:::old-bucket",
        "arn:aws:s3:::old-bucket/*",
    ]


# --- ordering, protection, names -----------------------------------------------------------


def test_every_postgres_resource_waits_for_the_operator_and_plugin(aws_run):
    operator = named(aws_run, RELEASE, "postgres-operator-cloudnative-pg").urn
    plugin = named(aws_run, RELEASE, "postgres-operator-barman-cloud").urn
    custom = [
        r
        for r in aws_run.registrations.values()
        if r.type.startswith(("kubernetes:postgresql", "kubernetes:barmancloud"))
    ]
    assert custom
    for r in [*custom, *aws_run.of_type(POD_MONITOR)]:
        assert operator in r.dependencies, r.name
        assert plugin in r.dependencies, r.name


def test_the_plugin_installs_after_cert_manager_and_the_operator(aws_run):
    plugin = named(aws_run, RELEASE, "postgres-operator-barman-cloud")
    assert plugin.inputs["namespace"] == "cnpg-system"
    assert plugin.inputs["version"] == versions.BARMAN_CLOUD_PLUGIN.version
    assert named(aws_run, RELEASE, "cert-manager").urn in plugin.dependencies
    assert named(aws_run, RELEASE, "postgres-operator-cloudnative-pg").urn in plugin.dependencies


def test_stateful_resources_are_protected_outside_dev(stack_run):
    for stack in ("staging", "prod", "gke-prod"):
        run = stack_run(stack)
        assert named(run, CLUSTER, "app-db").protect, stack
        buckets = [r for r in run.registrations.values() if r.name == "app-db-backups" and r.custom]
        protected = [r.protect for r in buckets if r.type.endswith(("Bucket", "bucket:Bucket"))]
        assert protected and all(protected), stack
        namespace = named(run, "kubernetes:core/v1:Namespace", "postgres-ns-app-db-app-db-ns")
        assert namespace.protect, stack
    assert not named(stack_run("dev"), CLUSTER, "app-db").protect


def test_a_config_change_never_renames_or_reparents_a_database_resource():
    before = run_fake([ORDERS])
    changed = {
        **ORDERS,
        "namespace": "shop",
        "instances": 5,
        "antiAffinity": "preferred",
        "postgresVersion": 17,
        "storage": {"size": "50Gi"},
        "backups": {"retention": "8w", "schedule": "0 30 1 * * *"},
    }
    after = run_fake([changed])

    def shape(run: offline.Run) -> set[tuple[str, str]]:
        return {
            (r.urn, r.parent)
            for r in run.registrations.values()
            if r.name.startswith("orders") and "Namespace" not in r.type
        }

    assert shape(before) == shape(after)


def test_monitoring_adds_a_pod_monitor_for_the_cluster():
    run = run_fake([{**ORDERS, "monitoring": True}])
    monitor = named(run, POD_MONITOR, "orders-pod-monitor")
    # It waits for the prometheus-operator CRDs, not only for the CloudNativePG operator.
    assert named(run, "kubernetes:yaml/v2:ConfigGroup", "monitoring-crds").urn in (
        monitor.dependencies
    )
    monitor = monitor.inputs
    assert monitor["metadata"]["namespace"] == "orders"
    assert monitor["spec"] == {
        "selector": {"matchLabels": {"cnpg.io/cluster": "orders"}},
        "podMetricsEndpoints": [{"port": "metrics"}],
    }
    assert "monitoring" not in spec(run, "orders")  # not the deprecated enablePodMonitor


def test_preview_registers_the_same_postgres_resources():
    config = stack_config("prod")
    config["platform:databases"] = [ORDERS, PITR]
    update = offline.run("prod", config=config, project_dir=ROOT)
    preview = offline.run("prod", config=config, project_dir=ROOT, preview=True)

    def shape(run: offline.Run) -> set[tuple[str, str, bool]]:
        return {(r.urn, r.parent, r.protect) for r in run.registrations.values()}

    assert shape(update) == shape(preview)


# --- configuration errors ------------------------------------------------------------------

DEV = {"name": "pg"}


def _eks_prod(**db):
    return cloud(EKS, "prod", databases=[{"name": "pg", **db}])


CASES = {
    "prod with fewer than three instances": (
        _eks_prod(instances=2),
        "platform:databases[0].instances: prod runs at least three Postgres instances, one per "
        "zone, so losing a zone keeps the database up; 2 is set. Raise instances to 3, or set "
        "allowFewerInstancesInProd: true to accept the risk",
    ),
    "unsupported Postgres major": (
        base(databases=[{"name": "pg", "postgresVersion": 13}]),
        "platform:databases[0].postgresVersion: Postgres 13 is not supported; use one of 16, 17, "
        "18 (the majors with a pinned image)",
    ),
    "storage size without a unit": (
        base(databases=[{"name": "pg", "storage": {"size": "20GB"}}]),
        "platform:databases[0].storage.size: '20GB' is not a storage size; write a Kubernetes "
        "quantity in Mi, Gi or Ti, such as '20Gi'",
    ),
    "five-field cron": (
        base(databases=[{"name": "pg", "backups": {"schedule": "0 2 * * *"}}]),
        "platform:databases[0].backups.schedule: '0 2 * * *' has 5 fields; a backup schedule has "
        "six, seconds first (second minute hour day-of-month month day-of-week), such as "
        "'0 0 2 * * *'",
    ),
    "duplicate cluster names": (
        base(databases=[DEV, DEV]),
        "platform:databases: database cluster name 'pg' is used more than once; names must be "
        "unique",
    ),
    "duplicate database names": (
        base(databases=[{"name": "pg", "databases": [{"name": "app", "owner": "app"}]}]),
        "platform:databases[0].databases: database 'app' is defined more than once in cluster "
        "'pg' (the bootstrap database is 'app'); give each database its own name",
    ),
    "restore without a source": (
        base(databases=[{"name": "pg", "restore": {"targetTime": "2026-09-30T14:05:00Z"}}]),
        "platform:databases[0].restore.source: restore has no source; set restore.source to the "
        "name of the cluster whose backups to restore",
    ),
    "restore target that is not a timestamp": (
        base(databases=[{"name": "pg", "restore": {"source": "a", "targetTime": "yesterday"}}]),
        "platform:databases[0].restore.targetTime: 'yesterday' is not an RFC 3339 timestamp",
    ),
    "restore from an unknown cluster": (
        cloud(EKS, databases=[{"name": "pg", "restore": {"source": "gone"}}]),
        "platform:databases[0].restore: 'gone' is not a cluster of this stack with backups; set "
        "restore.backupPath to where its backups are",
    ),
    "restore from a bucket of another cloud": (
        cloud(
            EKS,
            databases=[
                {"name": "pg", "restore": {"source": "old", "backupPath": "gs://old/prod/old"}}
            ],
        ),
        "platform:databases[0].restore.backupPath: 'gs://old/prod/old' cannot be read from the "
        "eks cluster, which restores from S3; write s3://<bucket>/<path>",
    ),
    "backups on an existing cluster without an endpoint": (
        base(tier="staging", databases=[DEV]),
        "platform:databases[0].backups: backups are enabled but an existing cluster has no cloud "
        "bucket; set backups.endpoint (url, bucket, and accessKeyId and secretAccessKey as "
        "secrets) or set backups.enabled: false",
    ),
    "plaintext S3 secret key": (
        base(
            databases=[
                {
                    "name": "pg",
                    "backups": {
                        "enabled": True,
                        "endpoint": {
                            "url": "https://minio.example.com",
                            "bucket": "pg-backups",
                            "accessKeyId": {"secure": "v1:AAAA"},
                            "secretAccessKey": "plain",
                        },
                    },
                }
            ]
        ),
        "platform:databases[0].backups.endpoint.secretAccessKey: this value is stored in "
        "plaintext; store it encrypted with `pulumi config set --secret --path "
        "'platform:databases[0].backups.endpoint.secretAccessKey' <value>`",
    ),
    "database owned by an unknown role": (
        base(databases=[{"name": "pg", "databases": [{"name": "b", "owner": "nobody"}]}]),
        "platform:databases[0].databases[0].owner: owner 'nobody' is neither the bootstrap owner "
        "'app' nor one of the cluster's roles",
    ),
    "endpoint on a cloud cluster": (
        cloud(
            EKS,
            databases=[
                {
                    "name": "pg",
                    "backups": {
                        "endpoint": {
                            "url": "https://minio.example.com",
                            "bucket": "pg-backups",
                            "accessKeyId": {"secure": "v1:AAAA"},
                            "secretAccessKey": {"secure": "v1:BBBB"},
                        }
                    },
                }
            ],
        ),
        "platform:databases[0].backups.endpoint: on a eks cluster backups go to a bucket the "
        "platform creates",
    ),
    "more instances than zones with required spread": (
        cloud(GKE, "prod", databases=[{"name": "pg"}]),
        "platform:databases[0].instances: 3 instances need 3 zones with required anti-affinity, "
        "but the cluster spans 2",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_database_config_is_rejected_with_a_clear_message(case):
    assert_rejected(*CASES[case])


def test_the_documented_override_allows_two_instances_in_prod(run_config):
    config = stack_config("prod")
    [db] = config["platform:databases"]
    config["platform:databases"] = [{**db, "instances": 2, "allowFewerInstancesInProd": True}]
    assert spec(run_config(config, stack="prod"), db["name"])["instances"] == 2
