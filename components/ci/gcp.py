"""Google service accounts that GitHub Actions jobs impersonate through Workload Identity
Federation: no service account key exists anywhere.

Per stack, a workload identity pool with one OIDC provider for GitHub's token issuer. The
provider's attribute condition admits only tokens of this repository, by its numeric ids (names
can be re-registered by someone else once deleted), and only the stack's deploy subject and its
two preview subjects. Each service account then lets only its own subjects impersonate it:

- the deploy account: the deploy subject, jobs in the stack's GitHub environment, with the
  project roles `pulumi up` needs;
- the preview account: the two preview subjects, pull requests of the repository and the
  default branch's own jobs, with `roles/viewer`, read access to the state bucket and
  decrypting with the secrets key.

Sources: google-github-actions/auth v3.0.0 README ("Direct Workload Identity Federation",
"Workload Identity Federation through a Service Account") and docs/SECURITY_CONSIDERATIONS.md
("Use GitHub's Numeric, Immutable Values"); Google Cloud IAM, "Configure Workload Identity
Federation with deployment pipelines" (principal identifiers `principal://.../subject/...`).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components.ci.github import ISSUER, GithubRepository
from kube_platform.components.cluster.gke_identity import account_id, grant_project_roles
from kube_platform.components.validation import GcpProjectId, GcpRole

# What GitHub's token says, mapped to attributes IAM bindings and the condition can use.
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.repository_owner_id": "assertion.repository_owner_id",
}
# Workload Identity Federation exchanges tokens through STS and impersonates accounts through
# the IAM Credentials API; both must be on in the project.
REQUIRED_SERVICES = ("sts.googleapis.com", "iamcredentials.googleapis.com")
PREVIEW_ROLES = ("roles/viewer",)


def attribute_condition(github: GithubRepository) -> str:
    """CEL admitting only this repository's tokens for the stack's deploy and preview jobs."""
    subjects = " || ".join(
        f"assertion.sub == '{s}'" for s in (github.deploy_subject, *github.preview_subjects)
    )
    return (
        f"assertion.repository_id == '{github.repository_id}' && "
        f"assertion.repository_owner_id == '{github.repository_owner_id}' && ({subjects})"
    )


def subject_member(pool_name: str, subject: str) -> str:
    """The IAM principal for one exact token subject in the pool `pool_name`
    (`projects/<number>/locations/global/workloadIdentityPools/<id>`)."""
    return f"principal://iam.googleapis.com/{pool_name}/subject/{subject}"


class GithubActionsGcpIdentityArgs(BaseModel):
    """The repository (with its numeric ids) and environment trusted, the pool, and what the
    deploy account may do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github: GithubRepository = Field(description="Repository and environment trusted.")
    project: GcpProjectId = Field(
        description="Project of the pool, the accounts and their grants."
    )
    pool_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{2,30}[a-z0-9]$",
        description="Workload identity pool id (4-32 characters; ids stay reserved for 30 days "
        "after deletion).",
    )
    account_prefix: str = Field(description="Prefix of the two service account ids.")
    deploy_roles: tuple[GcpRole, ...] = Field(
        min_length=1, description="Project roles of the deploy account."
    )
    state_bucket: str | None = Field(
        None, description="GCS bucket of the Pulumi state, which previews read."
    )
    secrets_key: str | None = Field(
        None,
        description="Crypto key id (`projects/.../cryptoKeys/...`) of the `gcpkms://` secrets "
        "provider, which previews decrypt with.",
    )
    enable_services: bool = Field(True, description="Enable the STS and IAM Credentials APIs.")

    @model_validator(mode="after")
    def _numeric_ids(self) -> GithubActionsGcpIdentityArgs:
        if self.github.repository_id is None or self.github.repository_owner_id is None:
            raise ValueError("the pool's condition needs the repository's numeric ids")
        return self


class GithubActionsGcpIdentity(pulumi.ComponentResource):
    """The pool, its GitHub provider and a stack's deploy and preview service accounts. Pass the
    project's `gcp.Provider` through `opts.providers`.

    Outputs:

    - `workload_identity_provider`: the pool provider's resource name, for
      `google-github-actions/auth`.
    - `deploy_service_account`: the e-mail of the account deploy jobs impersonate.
    - `preview_service_account`: the e-mail of the read-only account previews impersonate.
    """

    workload_identity_provider: pulumi.Output[str]
    deploy_service_account: pulumi.Output[str]
    preview_service_account: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: GithubActionsGcpIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the pool and accounts `name` (the prefix of every child's name) from `args`.
        `opts` applies to the component and, through `providers`, to its children."""
        super().__init__("platform:index:GithubActionsGcpIdentity", name, None, opts)
        github, project = args.github, args.project

        def child(**kwargs) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, **kwargs)

        services = [
            gcp.projects.Service(
                f"{name}-{service.split('.')[0]}",
                project=project,
                service=service,
                disable_on_destroy=False,
                opts=child(),
            )
            for service in (REQUIRED_SERVICES if args.enable_services else ())
        ]
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=project,
            workload_identity_pool_id=args.pool_id,
            display_name=f"GitHub Actions {args.pool_id}"[:32],
            description=f"GitHub Actions of {github.repository} ({github.environment})",
            opts=child(depends_on=services),
        )
        provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-github",
            project=project,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="github",
            display_name="GitHub Actions",
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=attribute_condition(github),
            oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=ISSUER),
            opts=child(),
        )

        deploy = self._account(
            f"{name}-deploy",
            args,
            purpose="deploy",
            description=f"pulumi up from {github.deploy_subject}",
            subjects=(github.deploy_subject,),
            pool_name=pool.name,
            provider=provider,
        )
        grant_project_roles(
            f"{name}-deploy", project, args.deploy_roles, deploy.member, opts=child()
        )
        preview = self._account(
            f"{name}-preview",
            args,
            purpose="preview",
            description=f"Read-only pulumi preview from {github.repository}",
            subjects=github.preview_subjects,
            pool_name=pool.name,
            provider=provider,
        )
        grant_project_roles(f"{name}-preview", project, PREVIEW_ROLES, preview.member, opts=child())
        if args.state_bucket is not None:
            gcp.storage.BucketIAMMember(
                f"{name}-preview-state",
                bucket=args.state_bucket,
                role="roles/storage.objectViewer",
                member=preview.member,
                opts=child(),
            )
        if args.secrets_key is not None:
            gcp.kms.CryptoKeyIAMMember(
                f"{name}-preview-decrypt",
                crypto_key_id=args.secrets_key,
                role="roles/cloudkms.cryptoKeyDecrypter",
                member=preview.member,
                opts=child(),
            )

        self.workload_identity_provider = provider.name
        self.deploy_service_account = deploy.email
        self.preview_service_account = preview.email
        self.register_outputs(
            {
                "workloadIdentityProvider": self.workload_identity_provider,
                "deployServiceAccount": self.deploy_service_account,
                "previewServiceAccount": self.preview_service_account,
            }
        )

    def _account(
        self,
        name: str,
        args: GithubActionsGcpIdentityArgs,
        *,
        purpose: str,
        description: str,
        subjects: tuple[str, ...],
        pool_name: pulumi.Output[str],
        provider: pulumi.Resource,
    ) -> gcp.serviceaccount.Account:
        """A service account that only `subjects` of the pool may impersonate."""
        account = gcp.serviceaccount.Account(
            name,
            project=args.project,
            account_id=account_id(args.account_prefix, purpose),
            display_name=f"GitHub Actions {purpose} ({args.github.environment})"[:100],
            description=description[:256],
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, subject in enumerate(subjects):
            gcp.serviceaccount.IAMMember(
                f"{name}-wif-{index}",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=pool_name.apply(lambda pool, s=subject: subject_member(pool, s)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[provider]),
            )
        return account
