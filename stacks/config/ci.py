"""Identities for CI (GitHub Actions by OIDC) and their cross-key checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import Field

from kube_platform.components.ci.aws import GithubOidcProviderArn
from kube_platform.components.ci.github import (
    GithubBranch,
    GithubEnvironment,
    GithubRepository,
    GithubRepositoryName,
)
from kube_platform.components.validation import GcpRole, IamPolicyArn
from kube_platform.components.validation.aws import IAM_ROLE_ARN_RE
from kube_platform.stacks.config.base import PROJECT, ConfigModel

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig



class CiAwsConfig(ConfigModel):
    """AWS side of the CI identities (EKS stacks)."""

    oidc_provider_arn: GithubOidcProviderArn | None = Field(
        None,
        description="The account's existing IAM OIDC provider for "
        "`token.actions.githubusercontent.com` (an account holds one per URL). Default: "
        "create it; set this in every other stack of the same account.",
    )
    deploy_policy_arns: list[IamPolicyArn] = Field(
        ["arn:aws:iam::aws:policy/AdministratorAccess"],
        min_length=1,
        description="Managed policies of the deploy role: everything `pulumi up` of this "
        "program may do. Narrow it to your own deploy policy where you have one.",
    )



# What `pulumi up` of this program needs on a project: administer each service it uses, grant
# roles (IAM), and act as the node pools' service accounts. The `*.admin` roles of Cloud KMS and
# the others exclude cryptographic use, so the deploy identity cannot decrypt the SOPS key
# without a visible change to its IAM policy.
DEPLOY_ROLES = (
    "roles/container.admin",
    "roles/compute.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/cloudkms.admin",
    "roles/storage.admin",
    "roles/dns.admin",
    "roles/secretmanager.admin",
)


class CiGcpConfig(ConfigModel):
    """Google Cloud side of the CI identities (GKE stacks)."""

    deploy_roles: list[GcpRole] = Field(
        list(DEPLOY_ROLES),
        min_length=1,
        description="Project roles of the deploy service account: everything `pulumi up` of "
        "this program may do. The default administers each service the program uses but never "
        "uses a KMS key (`roles/owner` and `roles/editor` could decrypt SOPS files directly).",
    )
    enable_services: bool = Field(
        True, description="Enable the STS and IAM Credentials APIs the federation uses."
    )


class CiConfig(ConfigModel):
    """Identities that GitHub Actions of one repository assume by OIDC: a deploy identity for
    jobs in the stack's GitHub environment, a read-only preview identity for pull requests and
    the default branch. No static key is created."""

    repository: GithubRepositoryName = Field(
        description="GitHub repository `<owner>/<name>` of the workflows."
    )
    environment: GithubEnvironment = Field(
        description="GitHub environment of this stack's deploy job (e.g. `prod`); only jobs in "
        "it may deploy. Give it required reviewers in the repository settings."
    )
    default_branch: GithubBranch = Field(
        "main", description="Branch whose own jobs (the drift check) may use the preview identity."
    )
    repository_id: int | None = Field(
        None,
        description="Numeric id of the repository (`gh api repos/<owner>/<name> --jq .id`); "
        "required on GKE, where the pool admits tokens by it.",
    )
    repository_owner_id: int | None = Field(
        None,
        description="Numeric id of the repository's owner (`gh api repos/<owner>/<name> --jq "
        ".owner.id`); required on GKE.",
    )
    secrets_key: str | None = Field(
        None,
        description="KMS key of the stack's secrets provider (an AWS key ARN for `awskms://`, "
        "a crypto key id for `gcpkms://`); the preview identity may decrypt with it.",
    )
    state_bucket: str | None = Field(
        None,
        description="GCS bucket of a `gs://` state backend, which the preview identity may read "
        "(GKE). On AWS, `ReadOnlyAccess` already reads an S3 backend.",
    )
    aws: CiAwsConfig = Field(CiAwsConfig(), description="AWS settings (EKS stacks).")
    gcp: CiGcpConfig = Field(CiGcpConfig(), description="Google Cloud settings (GKE stacks).")

    def github(self) -> GithubRepository:
        return GithubRepository(
            repository=self.repository,
            environment=self.environment,
            default_branch=self.default_branch,
            repository_id=self.repository_id,
            repository_owner_id=self.repository_owner_id,
        )

    @property
    def name_stem(self) -> str:
        """`platform-<environment>`, lowercase: the stem of the CI identities' names."""
        env = re.sub(r"[^a-z0-9-]+", "-", self.environment.lower()).strip("-")
        return f"{PROJECT}-{env}"

    @property
    def deploy_role_name(self) -> str:
        return f"{self.name_stem}-ci-deploy"

    @property
    def preview_role_name(self) -> str:
        return f"{self.name_stem}-ci-preview"


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """CI identity problems: (key path, message) pairs."""
    ci = cfg.ci
    if ci is None:
        return []
    found: list[tuple[str, str]] = []
    kind = cfg.cluster.kind
    if kind == "existing":
        found.append(
            (
                "ci",
                "CI identities are created in the cluster's cloud account, and an existing "
                "cluster has none; remove platform:ci or move the stack to eks or gke",
            )
        )
    if kind == "gke" and (ci.repository_id is None or ci.repository_owner_id is None):
        found.append(
            (
                "ci.repositoryId",
                "the workload identity pool admits tokens by the repository's numeric ids; "
                "set ci.repositoryId and ci.repositoryOwnerId (`gh api "
                f"repos/{ci.repository} --jq '.id, .owner.id'`)",
            )
        )
    if kind == "gke" and ci.aws.model_fields_set:
        found.append(("ci.aws", "applies to EKS stacks only; remove it"))
    if kind == "eks" and ci.gcp.model_fields_set:
        found.append(("ci.gcp", "applies to GKE stacks only; remove it"))
    if kind == "eks" and ci.state_bucket is not None:
        found.append(
            (
                "ci.stateBucket",
                "is for a gs:// backend on GKE; on AWS the preview role's ReadOnlyAccess "
                "already reads an S3 backend; remove it",
            )
        )
    eks = cfg.cluster.eks
    if eks is not None and not _lists_role(eks.admin_principals, ci.deploy_role_name):
        accounts = [m["account"] for p in eks.admin_principals if (m := IAM_ROLE_ARN_RE.match(p))]
        account = accounts[0] if accounts else "<account>"
        found.append(
            (
                "cluster.eks.adminPrincipals",
                f"does not list the CI deploy role {ci.deploy_role_name}, so `pulumi up` from "
                f"CI could not reach the cluster; add "
                f"arn:aws:iam::{account}:role/{ci.deploy_role_name}",
            )
        )
    return found


def _lists_role(principals: list[str], role_name: str) -> bool:
    return any((m := IAM_ROLE_ARN_RE.match(p)) and m["name"] == role_name for p in principals)
