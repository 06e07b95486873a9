"""CI identities by OIDC: who may deploy and who may preview, on AWS and Google Cloud.

The fixture stacks name the repository `acme/platform` (ids 700000001/700000002 on GKE), with
GitHub environments `staging` and `prod`."""

from __future__ import annotations

import json

import celpy
import pytest

from kube_platform.components.ci import (
    GithubActionsAwsIdentity,
    GithubActionsAwsIdentityArgs,
    GithubRepository,
)
from kube_platform.stacks import offline
from kube_platform.stacks.config.ci import DEPLOY_ROLES
from tests.conftest import stack_config
from tests.test_config_errors import assert_rejected

ISSUER = "token.actions.githubusercontent.com"
REPO = "acme/platform"


def _trust(role) -> dict:
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert len(statement) == 1, statement
    return statement[0]


def _role(run, name):
    return next(r for r in run.of_type("aws:iam/role:Role") if r.inputs["name"] == name)


def _policies(run, role_resource_name: str) -> set[str]:
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name == role_resource_name)
    return {
        a.inputs["policyArn"]
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.parent == role.parent and a.name.startswith(role.name)
    }


def test_only_the_prod_environment_may_assume_the_prod_deploy_role(stack_run):
    run = stack_run("prod")
    trust = _trust(_role(run, "platform-prod-ci-deploy"))
    assert trust["Principal"] == {
        "Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
    }
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": f"repo:{REPO}:environment:prod",
        }
    }
    assert _policies(run, "platform-prod-ci-deploy") == {
        "arn:aws:iam::aws:policy/AdministratorAccess"
    }
    assert run.outputs["ciDeployRole"].value.endswith(":role/platform-prod-ci-deploy")


def test_the_preview_role_is_read_only_and_trusts_pull_requests_and_main(stack_run):
    run = stack_run("prod")
    trust = _trust(_role(run, "platform-prod-ci-preview"))
    assert trust["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": [f"repo:{REPO}:pull_request", f"repo:{REPO}:ref:refs/heads/main"],
        }
    }
    assert _policies(run, "platform-prod-ci-preview") == {
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    }
    assert run.outputs["ciPreview"].value == {
        "stack": "prod",
        "aws-role-arn": "arn:aws:iam::123456789012:role/platform-prod-ci-preview",
        "aws-region": "eu-west-1",
    }


def _github_providers(run):
    return [
        p
        for p in run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
        if p.inputs["url"] == f"https://{ISSUER}"
    ]


def test_one_stack_creates_the_accounts_github_provider_the_other_reuses_it(stack_run):
    (github,) = _github_providers(stack_run("staging"))
    assert github.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in github.inputs  # AWS trusts GitHub's certificate itself
    assert _github_providers(stack_run("prod")) == []


def test_a_secrets_key_lets_previews_decrypt_and_nothing_else():
    """The component alone, on the mock runtime: no whole stack is needed for this."""
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def program():
        identity = GithubActionsAwsIdentity(
            "ci",
            GithubActionsAwsIdentityArgs(
                github=GithubRepository(repository=REPO, environment="prod"),
                deploy_role_name="deploy",
                preview_role_name="preview",
                deploy_policy_arns=("arn:aws:iam::aws:policy/AdministratorAccess",),
                secrets_key_arn=key,
            ),
        )
        return {"preview": identity.preview_role_arn}

    run = offline.run("prod", config={}, program=program)
    (policy,) = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "DecryptStackSecrets",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": key,
        }
    ]
    assert policy.inputs["role"] == "preview"


# --- Google Cloud -------------------------------------------------------------------------


def _condition(run) -> str:
    (provider,) = run.of_type("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    assert provider.inputs["oidc"] == {"issuerUri": f"https://{ISSUER}"}
    return provider.inputs["attributeCondition"]


def _admitted(condition: str, **claims: str) -> bool:
    token = {
        "repository": REPO,
        "repository_id": "700000001",
        "repository_owner_id": "700000002",
        **claims,
    }
    env = celpy.Environment()
    program = env.program(env.compile(condition))
    return bool(program.evaluate({"assertion": celpy.json_to_cel(token)}))


def test_the_pool_admits_only_this_repository_by_id_and_its_two_subjects(stack_run):
    condition = _condition(stack_run("gke-prod"))
    assert "*" not in condition
    assert _admitted(condition, sub=f"repo:{REPO}:environment:prod")
    assert _admitted(condition, sub=f"repo:{REPO}:pull_request")
    assert _admitted(condition, sub=f"repo:{REPO}:ref:refs/heads/main")
    # Another environment, another branch, or a re-registered repository of the same name.
    assert not _admitted(condition, sub=f"repo:{REPO}:environment:staging")
    assert not _admitted(condition, sub=f"repo:{REPO}:ref:refs/heads/feature")
    assert not _admitted(
        condition, sub=f"repo:{REPO}:environment:prod", repository_id="800000001"
    )
    assert not _admitted(
        condition, sub=f"repo:{REPO}:environment:prod", repository_owner_id="800000002"
    )


def test_each_service_account_is_impersonated_by_exact_subjects_only(stack_run):
    run = stack_run("gke-prod")
    pool = "projects/204918237465/locations/global/workloadIdentityPools/github-platform-prod"
    members = {
        r.name: (r.inputs["member"], r.inputs["role"])
        for r in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if "-ci-" in r.name
    }
    subject = f"principal://iam.googleapis.com/{pool}/subject"
    assert members == {
        "platform-gke-prod-ci-deploy-wif-0": (
            f"{subject}/repo:{REPO}:environment:prod",
            "roles/iam.workloadIdentityUser",
        ),
        "platform-gke-prod-ci-preview-wif-0": (
            f"{subject}/repo:{REPO}:pull_request",
            "roles/iam.workloadIdentityUser",
        ),
        "platform-gke-prod-ci-preview-wif-1": (
            f"{subject}/repo:{REPO}:ref:refs/heads/main",
            "roles/iam.workloadIdentityUser",
        ),
    }
    grants = {
        r.name: r.inputs["role"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if "-ci-" in r.name
    }
    deploy = {role for name, role in grants.items() if "-ci-deploy-" in name}
    assert deploy == set(DEPLOY_ROLES)
    # It administers every service the program uses, yet no role of it may use a KMS key.
    assert not deploy & {"roles/owner", "roles/editor"}
    assert not [r for r in deploy if r.startswith("roles/cloudkms.crypto")]
    assert {role for name, role in grants.items() if "-ci-preview-" in name} == {"roles/viewer"}
    preview = run.outputs["ciPreview"].value
    assert preview["gcp-workload-identity-provider"] == f"{pool}/providers/github"
    assert preview["gcp-service-account"].startswith("platform-prod-ci-preview@")


# --- configuration ------------------------------------------------------------------------


def _with_ci(stack: str, **ci) -> dict:
    config = stack_config(stack)
    config["platform:ci"] = {**config.get("platform:ci", {}), **ci}
    return config


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {
                **stack_config("prod"),
                "platform:cluster": {
                    **stack_config("prod")["platform:cluster"],
                    "eks": {
                        **stack_config("prod")["platform:cluster"]["eks"],
                        "adminPrincipals": ["arn:aws:iam::123456789012:role/platform-admins"],
                    },
                },
            },
            "platform:cluster.eks.adminPrincipals: does not list the CI deploy role "
            "platform-prod-ci-deploy, so `pulumi up` from CI could not reach the cluster; add "
            "arn:aws:iam::123456789012:role/platform-prod-ci-deploy",
        ),
        (
            _with_ci("dev", repository=REPO, environment="dev"),
            "platform:ci: CI identities are created in the cluster's cloud account, and an "
            "existing cluster has none; remove platform:ci or move the stack to eks or gke",
        ),
        (
            _with_ci("gke-prod", repositoryId=None),
            "platform:ci.repositoryId: the workload identity pool admits tokens by the "
            "repository's numeric ids; set ci.repositoryId and ci.repositoryOwnerId "
            f"(`gh api repos/{REPO} --jq '.id, .owner.id'`)",
        ),
        (
            _with_ci("prod", repository="acme/*"),
            "platform:ci.repository: 'acme/*' is not a GitHub repository; write it as "
            "'<owner>/<name>', such as 'acme/platform'",
        ),
        (
            _with_ci("prod", defaultBranch="refs/heads/main"),
            "platform:ci.defaultBranch: 'refs/heads/main' is not a branch name (give 'main', "
            "not 'refs/heads/main')",
        ),
        (
            _with_ci("gke-prod", aws={"oidcProviderArn": None}),
            "platform:ci.aws: applies to EKS stacks only; remove it",
        ),
        (
            _with_ci("prod", aws={"oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/x"}),
            "platform:ci.aws.oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/x' is not "
            "the ARN of a GitHub Actions OIDC provider",
        ),
    ],
    ids=[
        "deploy role not an admin",
        "existing cluster",
        "gke without ids",
        "wildcard repository",
        "ref for branch",
        "aws keys on gke",
        "other oidc provider",
    ],
)
def test_bad_ci_configuration_is_rejected(config, expected):
    assert_rejected(config, expected)
