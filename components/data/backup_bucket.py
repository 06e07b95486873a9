"""A private, versioned, encrypted bucket for one Postgres cluster's backups (S3 or GCS).

Only Barman Cloud's retention policy deletes backups and WAL: under a recovery window it always
keeps the newest base backup older than the window, so the last good backup survives even when
scheduled backups stop. The bucket's lifecycle rules therefore never expire current objects;
they only remove what is already deleted (old versions after `noncurrent_days`, expired delete
markers) and uploads that never completed. Versioning keeps whatever Barman (or anyone) deletes
for `noncurrent_days` more.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.cluster import Cluster


class BackupBucketArgs(BaseModel):
    """How long deleted backups stay recoverable, and whether the bucket is protected."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    noncurrent_days: int = Field(
        30, ge=1, description="Days a deleted or overwritten object version is kept."
    )
    protect: bool = Field(True, description="Protect the bucket and its key from deletion.")


class BackupBucket(pulumi.ComponentResource):
    """A private, versioned, encrypted bucket for one Postgres cluster's backups, on the
    cluster's cloud (S3 with its own KMS key on AWS, GCS on Google Cloud).

    Outputs:

    - `scheme`: `s3` or `gs`.
    - `bucket_name`: the bucket's name.
    - `url`: `s3://<bucket>` or `gs://<bucket>`.
    - `bucket_arn`, `kms_key_arn`: the bucket's and its key's ARNs on AWS, else None.
    """

    scheme: Literal["s3", "gs"]
    bucket_name: pulumi.Output[str]
    url: pulumi.Output[str]
    bucket_arn: pulumi.Output[str] | None = None
    kms_key_arn: pulumi.Output[str] | None = None

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: BackupBucketArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the bucket `name` in `cluster`'s cloud account with the settings of `args`
        (an existing cluster has no cloud account: that raises a `ConfigurationError`). `opts`
        applies to the component itself."""
        super().__init__("platform:index:BackupBucket", name, None, opts)
        if cluster.cloud == "aws":
            self._s3(name, cluster, args)
        elif cluster.cloud == "gcp":
            self._gcs(name, cluster, args)
        else:
            cluster.cloud_opts(self)  # raises the contract's error for an existing cluster
        outputs: dict[str, Any] = {"bucketName": self.bucket_name, "url": self.url}
        if self.kms_key_arn is not None:
            outputs["kmsKeyArn"] = self.kms_key_arn
        self.register_outputs(outputs)

    def _s3(self, name: str, cluster: Cluster, args: BackupBucketArgs) -> None:
        self.scheme = "s3"
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the Postgres backups in bucket {name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        bucket = aws.s3.Bucket(
            name,
            force_destroy=False,
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=cluster.cloud_opts(self),
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=cluster.cloud_opts(self),
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=cluster.cloud_opts(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default={
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    bucket_key_enabled=True,
                )
            ],
            opts=cluster.cloud_opts(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                _s3_rule(
                    "expire-noncurrent-versions",
                    noncurrent_version_expiration={"noncurrent_days": args.noncurrent_days},
                ),
                _s3_rule(
                    "abort-incomplete-uploads",
                    abort_incomplete_multipart_upload={"days_after_initiation": 7},
                ),
                _s3_rule(
                    "remove-expired-delete-markers",
                    expiration={"expired_object_delete_marker": True},
                ),
            ],
            opts=cluster.cloud_opts(self),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(_deny_insecure_transport),
            opts=cluster.cloud_opts(self, depends_on=[public_access, ownership]),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn
        self.url = pulumi.Output.concat("s3://", bucket.bucket)

    def _gcs(self, name: str, cluster: Cluster, args: BackupBucketArgs) -> None:
        self.scheme = "gs"
        bucket = gcp.storage.Bucket(
            name,
            location=cluster.region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=False,
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            # Deleted objects stay recoverable for a week beyond versioning's window.
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                retention_duration_seconds=7 * 24 * 3600
            ),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=args.noncurrent_days, with_state="ARCHIVED"
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(
                        type="AbortIncompleteMultipartUpload"
                    ),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=7),
                ),
            ],
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        self.bucket_name = bucket.name
        self.url = pulumi.Output.concat("gs://", bucket.name)


def _s3_rule(rule_id: str, **action: Any) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """An enabled lifecycle rule over the whole bucket."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        **action,
    )


def _deny_insecure_transport(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )
