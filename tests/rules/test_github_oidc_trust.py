"""Rule: a cloud identity that trusts GitHub Actions tokens pins the audience and exact
subjects of one repository, never a wildcard.

Sources: GitHub, "Configuring OpenID Connect in Amazon Web Services" (docs.github.com/en/actions/
security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-
amazon-web-services): "ensure that the `sub` condition is limited" with `StringEquals` on
`token.actions.githubusercontent.com:sub` and `:aud` = `sts.amazonaws.com`, since a trust
without them lets any repository's workflow assume the role; google-github-actions/auth v3.0.0
docs/SECURITY_CONSIDERATIONS.md: always restrict the pool with an attribute condition on the
numeric `repository_id`/`repository_owner_id`, and never use `*` in a binding.
"""

from __future__ import annotations

import dataclasses
import json

from kube_platform.stacks.offline import Registration

ISSUER = "token.actions.githubusercontent.com"


def github_trust_findings(r: Registration) -> list[str]:
    """Problems of one IAM role's trust in GitHub's token issuer, or of one GitHub pool."""
    findings = []
    if r.type == "aws:iam/role:Role":
        for statement in json.loads(r.inputs["assumeRolePolicy"])["Statement"]:
            federated = statement.get("Principal", {}).get("Federated", "")
            if not federated.endswith(f"oidc-provider/{ISSUER}"):
                continue
            condition = statement.get("Condition", {})
            equals = condition.get("StringEquals", {})
            subjects = equals.get(f"{ISSUER}:sub")
            subjects = [subjects] if isinstance(subjects, str) else subjects or []
            if set(condition) != {"StringEquals"}:
                findings.append(f"{r.name}: trust uses {sorted(condition)}, not StringEquals")
            if equals.get(f"{ISSUER}:aud") != "sts.amazonaws.com":
                findings.append(f"{r.name}: trust does not pin the audience sts.amazonaws.com")
            if not subjects or any("*" in s or not s.startswith("repo:") for s in subjects):
                findings.append(f"{r.name}: trust does not pin exact subjects: {subjects}")
            elif len({s.split(":")[1] for s in subjects}) != 1:
                findings.append(f"{r.name}: trust admits more than one repository: {subjects}")
    if r.type == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
        condition = r.inputs.get("attributeCondition", "")
        for claim in ("assertion.repository_id ==", "assertion.repository_owner_id =="):
            if claim not in condition:
                findings.append(f"{r.name}: the pool's condition does not pin {claim[:-3]}")
        if "*" in condition or "assertion.sub ==" not in condition:
            findings.append(f"{r.name}: the pool's condition does not pin exact subjects")
    member = str(r.inputs.get("member", ""))
    federated = r.type == "gcp:serviceaccount/iAMMember:IAMMember" and "IdentityPools/" in member
    if federated and not (member.startswith("principal://") and "/subject/repo:" in member):
        findings.append(f"{r.name}: impersonation is not limited to one subject: {member}")
    return findings


def test_github_oidc_trust_pins_repository_and_subject(every_stack):
    trusting = [
        r
        for r in every_stack.registrations.values()
        if r.type
        in {
            "aws:iam/role:Role",
            "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
            "gcp:serviceaccount/iAMMember:IAMMember",
        }
    ]
    assert [f for r in trusting for f in github_trust_findings(r)] == []


def test_the_rule_fires_on_a_wildcard_subject(stack_run):
    role = next(
        r
        for r in stack_run("prod").of_type("aws:iam/role:Role")
        if r.inputs["name"] == "platform-prod-ci-deploy"
    )
    assert github_trust_findings(role) == []
    trust = json.loads(role.inputs["assumeRolePolicy"])
    trust["Statement"][0]["Condition"] = {
        "StringLike": {f"{ISSUER}:sub": "repo:acme/*", f"{ISSUER}:aud": "sts.amazonaws.com"}
    }
    loose = dataclasses.replace(role, inputs={**role.inputs, "assumeRolePolicy": json.dumps(trust)})
    assert github_trust_findings(loose) == [
        f"{role.name}: trust uses ['StringLike'], not StringEquals",
        f"{role.name}: trust does not pin the audience sts.amazonaws.com",
        f"{role.name}: trust does not pin exact subjects: []",
    ]


def test_the_rule_fires_on_a_pool_admitting_any_repository(stack_run):
    (provider,) = stack_run("gke-prod").of_type(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
    )
    assert github_trust_findings(provider) == []
    loose = dataclasses.replace(
        provider, inputs={**provider.inputs, "attributeCondition": "assertion.repository != ''"}
    )
    assert github_trust_findings(loose) == [
        f"{provider.name}: the pool's condition does not pin assertion.repository_id",
        f"{provider.name}: the pool's condition does not pin assertion.repository_owner_id",
        f"{provider.name}: the pool's condition does not pin exact subjects",
    ]


def test_the_rule_fires_on_a_second_repository(stack_run):
    role = next(
        r
        for r in stack_run("prod").of_type("aws:iam/role:Role")
        if r.inputs["name"] == "platform-prod-ci-deploy"
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    equals = trust["Statement"][0]["Condition"]["StringEquals"]
    subjects = [equals[f"{ISSUER}:sub"], "repo:someone-else/fork:ref:refs/heads/main"]
    equals[f"{ISSUER}:sub"] = subjects
    loose = dataclasses.replace(role, inputs={**role.inputs, "assumeRolePolicy": json.dumps(trust)})
    assert github_trust_findings(loose) == [
        f"{role.name}: trust admits more than one repository: {subjects}"
    ]
