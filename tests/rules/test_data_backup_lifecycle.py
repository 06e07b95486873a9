"""No bucket lifecycle rule deletes a current Postgres backup object: only Barman's retention
policy decides which backups go, and it never drops the last good one.

- Barman's recovery-window policy keeps, besides every backup inside the window, the newest
  base backup older than it (EnterpriseDB/barman, barman/retention_policies.py,
  `RecoveryWindowRetentionPolicy._backup_report`: the first DONE backup past the point of
  recoverability stays VALID). When scheduled backups stop, that backup and its WAL remain.
- An age-based expiration of current objects knows nothing of that. On a versioned S3 bucket,
  `Expiration` with `Days` turns every current object older than that into a noncurrent
  version, which `NoncurrentVersionExpiration` then deletes (Amazon S3 User Guide, "Lifecycle
  configuration elements", Expiration action). On GCS, a `Delete` action on live objects of a
  versioned bucket does the same, and the `ARCHIVED` rule removes them (Cloud Storage docs,
  "Object Lifecycle Management", Delete action and the `isLive` / `withState` condition).
  Either way, backups stopping for longer than the age leaves nothing to restore.

Allowed: expiring noncurrent versions, expired delete markers and incomplete uploads.
"""

from __future__ import annotations

import copy

import pytest

from kube_platform.stacks import offline

S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
BACKUP_BUCKET = "platform:index:BackupBucket"


def _backup_resources(run: offline.Run, type_: str) -> list[offline.Registration]:
    return [r for r in run.of_type(type_) if r.parent_type == BACKUP_BUCKET]


def current_object_expiry(run: offline.Run) -> list[str]:
    """Lifecycle rules of backup buckets that delete current objects, one line each."""
    found = []
    for config in _backup_resources(run, S3_LIFECYCLE):
        for rule in config.inputs.get("rules", []):
            expiration = rule.get("expiration") or {}
            if rule.get("status") == "Enabled" and ("days" in expiration or "date" in expiration):
                found.append(f"{config.name}: rule {rule.get('id')} expires current objects")
    for bucket in _backup_resources(run, GCS_BUCKET):
        for rule in bucket.inputs.get("lifecycleRules", []):
            condition = rule.get("condition") or {}
            noncurrent_only = condition.get("withState") == "ARCHIVED" or (
                condition.get("isLive") is False
            )
            if rule["action"]["type"] == "Delete" and not noncurrent_only:
                found.append(f"{bucket.name}: a Delete rule matches live objects ({condition})")
    return found


def test_no_lifecycle_rule_deletes_a_current_backup(every_stack):
    assert current_object_expiry(every_stack) == []


# --- the rule can fail ---------------------------------------------------------------------


def _mutated(run: offline.Run, registration: offline.Registration, inputs: dict) -> offline.Run:
    changed = copy.deepcopy(registration)
    changed.inputs = inputs
    return offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )


@pytest.mark.parametrize("days", [{"days": 60}, {"date": "2027-01-01T00:00:00Z"}])
def test_an_s3_expiration_of_current_objects_is_refused(stack_run, days):
    run = stack_run("prod")
    [config] = _backup_resources(run, S3_LIFECYCLE)
    inputs = copy.deepcopy(config.inputs)
    inputs["rules"][0]["expiration"] = days
    assert current_object_expiry(_mutated(run, config, inputs)) == [
        f"{config.name}: rule {inputs['rules'][0]['id']} expires current objects"
    ]


@pytest.mark.parametrize("state", [{"withState": "LIVE"}, {"withState": "ANY"}, {}])
def test_a_gcs_delete_of_live_objects_is_refused(stack_run, state):
    run = stack_run("gke-prod")
    [bucket] = _backup_resources(run, GCS_BUCKET)
    inputs = copy.deepcopy(bucket.inputs)
    live = {"action": {"type": "Delete"}, "condition": {"age": 60, **state}}
    inputs["lifecycleRules"].append(live)
    [finding] = current_object_expiry(_mutated(run, bucket, inputs))
    assert finding.startswith(f"{bucket.name}: a Delete rule matches live objects")


def test_the_buckets_still_clean_up_what_is_already_deleted(stack_run):
    [config] = _backup_resources(stack_run("prod"), S3_LIFECYCLE)
    actions = {key for rule in config.inputs["rules"] for key in rule} - {
        "id",
        "status",
        "filter",
    }
    assert actions == {
        "noncurrentVersionExpiration",
        "abortIncompleteMultipartUpload",
        "expiration",
    }
    [marker] = [r for r in config.inputs["rules"] if "expiration" in r]
    assert marker["expiration"] == {"expiredObjectDeleteMarker": True}
    [bucket] = _backup_resources(stack_run("gke-prod"), GCS_BUCKET)
    assert {r["action"]["type"] for r in bucket.inputs["lifecycleRules"]} == {
        "Delete",
        "AbortIncompleteMultipartUpload",
    }
