"""IAM identities that GitHub Actions jobs assume by OIDC: no access key exists anywhere.

An account trusts GitHub's token issuer once (an IAM OIDC provider; one per account and URL, so
a stack either creates it or names the existing one). Per stack, two roles trust it:

- the deploy role, for jobs in the stack's GitHub environment only (`sub` is exactly
  `repo:<owner>/<repo>:environment:<env>`), with the policies `pulumi up` needs;
- the preview role, for pull requests of the same repository and the default branch's own jobs
  (drift checks): `ReadOnlyAccess`, plus decrypting with the stack's secrets-provider key.

Sources: "Configuring OpenID Connect in Amazon Web Services" (docs.github.com/en/actions/
security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-
amazon-web-services) and aws-actions/configure-aws-credentials v6.2.3 README, "OIDC" (audience
`sts.amazonaws.com`; AWS validates GitHub's certificate itself, so no thumbprint is needed).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.ci.github import AWS_AUDIENCE, ISSUER, ISSUER_HOST, GithubRepository
from kube_platform.components.validation import IamPolicyArn, matching

READ_ONLY_POLICY = "ReadOnlyAccess"


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def trust_policy(provider_arn: str, subjects: tuple[str, ...]) -> str:
    """Web identity trust for GitHub tokens with audience STS and one of `subjects` exactly."""
    return _document(
        [
            {
                "Sid": "GithubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER_HOST}:aud": AWS_AUDIENCE,
                        f"{ISSUER_HOST}:sub": subjects[0] if len(subjects) == 1 else list(subjects),
                    }
                },
            }
        ]
    )


def decrypt_policy(key_arn: str) -> str:
    """Decrypting the stack's secrets with its `awskms://` secrets provider key."""
    return _document(
        [
            {
                "Sid": "DecryptStackSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": key_arn,
            }
        ]
    )


GithubOidcProviderArn = matching(
    re.compile(
        r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
    ),
    "is not the ARN of a GitHub Actions OIDC provider; use "
    "'arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com'",
)
"""The ARN of an account's IAM OIDC provider for GitHub Actions tokens."""


class GithubActionsAwsIdentityArgs(BaseModel):
    """The repository and environment trusted, the two roles' names, and what the deploy role
    may do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github: GithubRepository = Field(description="Repository and environment trusted.")
    partition: str = Field("aws", description="ARN partition of the account.")
    deploy_role_name: str = Field(description="Name of the deploy role.")
    preview_role_name: str = Field(description="Name of the read-only preview role.")
    oidc_provider_arn: GithubOidcProviderArn | None = Field(
        None, description="The account's existing GitHub OIDC provider; None creates one."
    )
    deploy_policy_arns: tuple[IamPolicyArn, ...] = Field(
        min_length=1, description="Managed policies of the deploy role: what `pulumi up` may do."
    )
    secrets_key_arn: str | None = Field(
        None, description="KMS key of the stack's secrets provider, which previews decrypt with."
    )
    max_session_seconds: int = Field(
        7200, ge=3600, le=43200, description="Longest session a job may request."
    )


class GithubActionsAwsIdentity(pulumi.ComponentResource):
    """The GitHub OIDC provider (or a reference to it) and a stack's deploy and preview roles.
    Pass the account's `aws.Provider` through `opts.providers`.

    Outputs:

    - `oidc_provider_arn`: the account's GitHub OIDC provider.
    - `deploy_role_arn`: the role jobs in the stack's GitHub environment assume.
    - `preview_role_arn`: the read-only role pull requests and the default branch assume.
    """

    oidc_provider_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: GithubActionsAwsIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the identities `name` (the prefix of every child's name) from `args`.
        `opts` applies to the component and, through `providers`, to its children."""
        super().__init__("platform:index:GithubActionsAwsIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.oidc_provider_arn is None:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=ISSUER,
                client_id_lists=[AWS_AUDIENCE],
                opts=child,
            )
            provider_arn: pulumi.Output[str] = provider.arn
        else:
            provider_arn = pulumi.Output.from_input(args.oidc_provider_arn)
        self.oidc_provider_arn = provider_arn
        github = args.github

        deploy = aws.iam.Role(
            f"{name}-deploy",
            name=args.deploy_role_name,
            description=f"pulumi up from GitHub Actions: {github.deploy_subject}",
            assume_role_policy=provider_arn.apply(
                lambda arn: trust_policy(arn, (github.deploy_subject,))
            ),
            max_session_duration=args.max_session_seconds,
            opts=child,
        )
        for index, policy_arn in enumerate(args.deploy_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-deploy-{index}",
                role=deploy.name,
                policy_arn=policy_arn,
                opts=child,
            )

        preview = aws.iam.Role(
            f"{name}-preview",
            name=args.preview_role_name,
            description=f"Read-only pulumi preview from GitHub Actions: {github.repository}",
            assume_role_policy=provider_arn.apply(
                lambda arn: trust_policy(arn, github.preview_subjects)
            ),
            max_session_duration=args.max_session_seconds,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-preview-read-only",
            role=preview.name,
            policy_arn=f"arn:{args.partition}:iam::aws:policy/{READ_ONLY_POLICY}",
            opts=child,
        )
        if args.secrets_key_arn is not None:
            aws.iam.RolePolicy(
                f"{name}-preview-decrypt",
                role=preview.name,
                policy=decrypt_policy(args.secrets_key_arn),
                opts=child,
            )

        self.deploy_role_arn = deploy.arn
        self.preview_role_arn = preview.arn
        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "deployRoleArn": self.deploy_role_arn,
                "previewRoleArn": self.preview_role_arn,
            }
        )
