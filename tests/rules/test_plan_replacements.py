"""The offline plan knows which input changes replace every stateful resource the program
registers, so a reviewer sees a replacement of a cluster, key, bucket or database coming."""

from __future__ import annotations

import dataclasses

from kube_platform.stacks.plan_replacements import force_new_fields


def _unknown_stateful_types(registrations) -> list[str]:
    return sorted(
        {
            r.type
            for r in registrations
            if r.custom and r.protect and not r.type.startswith("pulumi:providers:")
            if not force_new_fields(r.type)
        }
    )


def test_the_plan_knows_what_replaces_every_protected_resource(every_stack):
    """Providers replace a resource when a ForceNew field changes: hashicorp/
    terraform-provider-aws internal/service/{eks/cluster.go,eks/node_group.go,kms/key.go,
    s3/bucket.go}, hashicorp/terraform-provider-google google/services/{container,storage,kms}
    (e03b7622), pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (metadata.name and
    metadata.namespace of every kind). stacks/plan_replacements.py lists those fields; a
    protected type missing there would be compared as if it could always change in place."""
    assert _unknown_stateful_types(every_stack.registrations.values()) == []


def test_the_rule_fires_on_a_stateful_type_the_plan_does_not_know(stack_run):
    registration = next(
        r for r in stack_run("prod").registrations.values() if r.protect and r.custom
    )
    unknown = dataclasses.replace(registration, type="aws:rds/cluster:Cluster")
    assert _unknown_stateful_types([registration, unknown]) == ["aws:rds/cluster:Cluster"]
