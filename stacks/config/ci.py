"""Identities for CI (GitHub Actions by OIDC) and their cross-key checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from kube_platform.components.ci.github import (
    GithubRepository,
    check_branch,
    check_environment,
    check_repository,
)
from kube_platform.stacks.config.base import PROJECT, ConfigModel

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

_OIDC_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/\S+$")
_GCP_ROLE = re.compile(r"^(roles|projects/[a-z0-9-]+/roles|organizations/\d+/roles)/[\w.]+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")


class CiAwsConfig(ConfigModel):
    """AWS side of the CI identities (EKS stacks)."""

    oidc_provider_arn: str | None = Field(
        None,
        description="The account's existing IAM OIDC provider for "
        "`token.actions.githubusercontent.com` (an account holds one per URL). Default: "
        "create it; set this in every other stack of the same account.",
    )
    deploy_policy_arns: list[str] = Field(
        ["arn:aws:iam::aws:policy/AdministratorAccess"],
        description="Managed policies of the deploy role: everything `pulumi up` of this "
        "program may do. Narrow it to your own deploy policy where you have one.",
    )

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and not _OIDC_PROVIDER_ARN.match(value):
            raise ValueError(
                f"'{value}' is not the ARN of a GitHub Actions OIDC provider; use "
                "'arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com'"
            )
        return value

    @field_validator("deploy_policy_arns")
    @classmethod
    def _policies(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _POLICY_ARN.match(v)]
        if bad or not value:
            raise ValueError(
                f"{bad or value} are not IAM policy ARNs; list at least one, e.g. "
                "'arn:aws:iam::aws:policy/AdministratorAccess'"
            )
        return value


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

    deploy_roles: list[str] = Field(
        list(DEPLOY_ROLES),
        description="Project roles of the deploy service account: everything `pulumi up` of "
        "this program may do. The default administers each service the program uses but never "
        "uses a KMS key (`roles/owner` and `roles/editor` could decrypt SOPS files directly).",
    )
    enable_services: bool = Field(
        True, description="Enable the STS and IAM Credentials APIs the federation uses."
    )

    @field_validator("deploy_roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _GCP_ROLE.match(v)]
        if bad or not value:
            raise ValueError(f"{bad or value} are not IAM roles; use e.g. 'roles/owner'")
        return value


class CiConfig(ConfigModel):
    """Identities that GitHub Actions of one repository assume by OIDC: a deploy identity for
    jobs in the stack's GitHub environment, a read-only preview identity for pull requests and
    the default branch. No static key is created."""

    repository: str = Field(description="GitHub repository `<owner>/<name>` of the workflows.")
    environment: str = Field(
        description="GitHub environment of this stack's deploy job (e.g. `prod`); only jobs in "
        "it may deploy. Give it required reviewers in the repository settings."
    )
    default_branch: str = Field(
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

    _repository = field_validator("repository")(lambda cls, v: check_repository(v))
    _environment = field_validator("environment")(lambda cls, v: check_environment(v))
    _branch = field_validator("default_branch")(lambda cls, v: check_branch(v))

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
        accounts = [m[1] for p in eks.admin_principals if (m := _ROLE_ARN.match(p))]
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
    return any((m := _ROLE_ARN.match(p)) and m[2] == role_name for p in principals)
