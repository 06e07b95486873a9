"""Identities for CI: GitHub Actions jobs authenticate to AWS and Google Cloud by OIDC, so no
static cloud key exists. `github` holds the token facts both clouds trust; `aws` and `gcp` the
components that create the identities."""

from kube_platform.components.ci.aws import GithubActionsAwsIdentity, GithubActionsAwsIdentityArgs
from kube_platform.components.ci.gcp import GithubActionsGcpIdentity, GithubActionsGcpIdentityArgs
from kube_platform.components.ci.github import GithubRepository

__all__ = [
    "GithubActionsAwsIdentity",
    "GithubActionsAwsIdentityArgs",
    "GithubActionsGcpIdentity",
    "GithubActionsGcpIdentityArgs",
    "GithubRepository",
]
