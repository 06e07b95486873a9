"""What GitHub Actions puts in the OIDC tokens its jobs present to a cloud.

Every workflow job with `permissions: id-token: write` can ask GitHub for a token signed by
`https://token.actions.githubusercontent.com`. Its `sub` claim says where the job runs: a job
that targets a deployment environment gets `repo:<owner>/<repo>:environment:<name>`, a
`pull_request` job `repo:<owner>/<repo>:pull_request`, any other job
`repo:<owner>/<repo>:ref:<git ref>`. A cloud identity trusts tokens by these exact subjects, so
only the jobs meant to use it can. Source: GitHub's "About security hardening with OpenID
Connect" (docs.github.com/en/actions/security-for-github-actions/security-hardening-your-
deployments/about-security-hardening-with-openid-connect), "Example subject claims".
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ISSUER = "https://token.actions.githubusercontent.com"
ISSUER_HOST = ISSUER.removeprefix("https://")
# The audience aws-actions/configure-aws-credentials requests by default.
AWS_AUDIENCE = "sts.amazonaws.com"

# GitHub owner (user or organisation) and repository names.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# Environment names: GitHub allows up to 255 characters; a subject must not widen the match.
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")


def check_repository(value: str) -> str:
    if not _REPOSITORY.match(value):
        raise ValueError(
            f"'{value}' is not a GitHub repository; write it as '<owner>/<name>', such as "
            "'acme/platform'"
        )
    return value


def check_environment(value: str) -> str:
    if not _ENVIRONMENT.match(value):
        raise ValueError(
            f"'{value}' is not a GitHub environment name (letters, digits, '.', '_', '-')"
        )
    return value


def check_branch(value: str) -> str:
    if not _BRANCH.match(value) or value.startswith("refs/"):
        raise ValueError(f"'{value}' is not a branch name (give 'main', not 'refs/heads/main')")
    return value


GithubRepositoryName = Annotated[str, AfterValidator(check_repository)]
"""A GitHub repository, `<owner>/<name>`."""
GithubEnvironment = Annotated[str, AfterValidator(check_environment)]
"""A GitHub deployment environment name."""
GithubBranch = Annotated[str, AfterValidator(check_branch)]
"""A branch name, without `refs/heads/`."""


class GithubRepository(BaseModel):
    """The repository whose workflows may use an identity, and where they may use it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repository: GithubRepositoryName = Field(
        description="`<owner>/<name>` of the GitHub repository."
    )
    environment: GithubEnvironment = Field(
        description="GitHub deployment environment whose jobs may deploy (required reviewers "
        "and branch rules live there)."
    )
    default_branch: GithubBranch = Field(
        "main", description="Branch whose scheduled jobs (the drift check) may preview."
    )
    repository_id: int | None = Field(
        None, description="Numeric repository id; never reused, unlike a name (GCP condition)."
    )
    repository_owner_id: int | None = Field(
        None, description="Numeric owner id; never reused, unlike a name (GCP condition)."
    )

    @property
    def deploy_subject(self) -> str:
        """Jobs that run in the stack's environment, after its protection rules passed."""
        return f"repo:{self.repository}:environment:{self.environment}"

    @property
    def preview_subjects(self) -> tuple[str, ...]:
        """Pull requests of this repository (a fork's pull request gets no token), and the
        default branch's own jobs."""
        return (
            f"repo:{self.repository}:pull_request",
            f"repo:{self.repository}:ref:refs/heads/{self.default_branch}",
        )
