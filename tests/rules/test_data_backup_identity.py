"""On EKS, Postgres backups reach S3 through IRSA, the path the Barman Cloud plugin documents.

- plugin-barman-cloud v0.13.0 (the appVersion of chart 0.7.0), web/docs/object_stores.md:
  S3 authentication is IRSA ("recommended for clusters running on EKS", the
  `eks.amazonaws.com/role-arn` annotation in the Cluster's `serviceAccountTemplate`) or
  access keys; nothing else is documented, at that tag or on the main branch.
- EKS Pod Identity is an open request (cloudnative-pg/plugin-barman-cloud#772) and whether it
  works is an open question (#876, no maintainer answer). The sidecar passes its environment
  to barman-cloud (internal/cnpgi/common/wal.go uses `os.Environ()`), so Pod Identity may well
  work, but nothing upstream tests or promises it; a backup path has to be the supported one.

The rule: every CloudNativePG Cluster with a Barman Cloud plugin on EKS carries the IRSA
annotation, for a role that trusts exactly that service account through the cluster's OIDC
provider, and no Pod Identity association competes for it.
"""

from __future__ import annotations

import copy
import json

from kube_platform.components.data.postgres_operator import PLUGIN_NAME
from kube_platform.stacks import offline

EKS_CLUSTER = "aws:eks/cluster:Cluster"
PG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
ROLE = "aws:iam/role:Role"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def _uses_plugin(spec: dict) -> bool:
    plugins = [p.get("name") for p in spec.get("plugins", [])]
    external = [c.get("plugin", {}).get("name") for c in spec.get("externalClusters", [])]
    return PLUGIN_NAME in plugins + external


def backup_identity_problems(run: offline.Run) -> list[str]:
    if not run.of_type(EKS_CLUSTER):
        return []
    roles = {r.outputs.get("arn"): r for r in run.of_type(ROLE)}
    # The cluster's own issuer: another provider of the account (GitHub's, for CI) would let
    # tokens of another issuer assume the role.
    [eks] = run.of_type(EKS_CLUSTER)
    issuer = eks.outputs["identities"][0]["oidcs"][0]["issuer"]
    providers = {
        p.outputs.get("arn") for p in run.of_type(OIDC_PROVIDER) if p.inputs["url"] == issuer
    }
    subject_claim = f"{issuer.removeprefix('https://')}:sub"
    associations = {
        (a.inputs.get("namespace"), a.inputs.get("serviceAccount"))
        for a in run.of_type(ASSOCIATION)
    }
    found = []
    for cluster in run.of_type(PG_CLUSTER):
        spec = cluster.inputs["spec"]
        if not _uses_plugin(spec):
            continue
        name = cluster.inputs["metadata"]["name"]
        namespace = cluster.inputs["metadata"]["namespace"]
        if (namespace, name) in associations:
            found.append(f"{name}: its service account has an EKS Pod Identity association")
        annotations = (
            spec.get("serviceAccountTemplate", {}).get("metadata", {}).get("annotations", {})
        )
        role = roles.get(annotations.get(IRSA_ANNOTATION))
        if role is None:
            found.append(f"{name}: no {IRSA_ANNOTATION} annotation naming a platform role")
            continue
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        claims = statement.get("Condition", {}).get("StringEquals", {})
        subjects = {k: v for k, v in claims.items() if k.endswith(":sub")}
        if (
            statement.get("Action") != "sts:AssumeRoleWithWebIdentity"
            or statement.get("Principal", {}).get("Federated") not in providers
            or subjects != {subject_claim: f"system:serviceaccount:{namespace}:{name}"}
        ):
            found.append(f"{name}: role {role.name} is not an IRSA role for {namespace}/{name}")
    return found


def test_postgres_backups_on_eks_use_irsa(every_stack):
    assert backup_identity_problems(every_stack) == []


def test_the_rule_covers_the_eks_fixture(stack_run):
    run = stack_run("prod")
    assert [c for c in run.of_type(PG_CLUSTER) if _uses_plugin(c.inputs["spec"])]
    assert backup_identity_problems(run) == []


# --- the rule can fail ---------------------------------------------------------------------


def test_a_cluster_bound_through_pod_identity_is_refused(stack_run):
    run = stack_run("prod")
    cluster = next(c for c in run.of_type(PG_CLUSTER) if _uses_plugin(c.inputs["spec"]))
    changed = copy.deepcopy(cluster)
    del changed.inputs["spec"]["serviceAccountTemplate"]
    association = copy.deepcopy(next(iter(run.of_type(ROLE))))
    association.type, association.urn = ASSOCIATION, "urn:association"
    association.inputs = {
        "namespace": cluster.inputs["metadata"]["namespace"],
        "serviceAccount": cluster.inputs["metadata"]["name"],
    }
    registrations = {**run.registrations, changed.urn: changed, association.urn: association}
    name = cluster.inputs["metadata"]["name"]
    assert backup_identity_problems(
        offline.Run(run.stack, run.preview, registrations, run.outputs, [])
    ) == [
        f"{name}: its service account has an EKS Pod Identity association",
        f"{name}: no {IRSA_ANNOTATION} annotation naming a platform role",
    ]


def test_a_role_trusting_another_issuer_is_refused(stack_run):
    """GitHub's OIDC provider lives in the same account (CI identities): a backup role trusting
    it, for the same subject, would take tokens the cluster never issued."""
    run = stack_run("staging")
    cluster = next(c for c in run.of_type(PG_CLUSTER) if _uses_plugin(c.inputs["spec"]))
    name, namespace = cluster.inputs["metadata"]["name"], cluster.inputs["metadata"]["namespace"]
    annotations = cluster.inputs["spec"]["serviceAccountTemplate"]["metadata"]["annotations"]
    role = next(
        r for r in run.of_type(ROLE) if r.outputs.get("arn") == annotations[IRSA_ANNOTATION]
    )
    github = next(p for p in run.of_type(OIDC_PROVIDER) if "token.actions" in p.inputs["url"])
    changed = copy.deepcopy(role)
    changed.inputs["assumeRolePolicy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": github.outputs["arn"]},
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:sub": (
                                f"system:serviceaccount:{namespace}:{name}"
                            )
                        }
                    },
                }
            ],
        }
    )
    registrations = {**run.registrations, changed.urn: changed}
    assert backup_identity_problems(
        offline.Run(run.stack, run.preview, registrations, run.outputs, [])
    ) == [f"{name}: role {role.name} is not an IRSA role for {namespace}/{name}"]
