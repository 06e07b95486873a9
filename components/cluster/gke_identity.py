"""Google service accounts for GKE: stable account ids and Workload Identity bindings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from kube_platform.components.cluster.base import WorkloadIdentity, WorkloadIdentityRequest

# Google service account ids: 6-30 characters, lowercase letters, digits and hyphens, starting
# with a letter and not ending with a hyphen.
_ACCOUNT_ID_MAX = 30
_ACCOUNT_ID_MIN = 6
_HASH_LENGTH = 6


def account_id(*parts: str) -> str:
    """A valid, stable service account id for `parts` (e.g. cluster and purpose).

    Ids that would be too long keep a readable prefix and end with a hash of the full name, so
    two long names never collide and the id never changes between runs."""
    full = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    if not full or not full[0].isalpha():
        full = f"sa-{full}"
    if len(full) > _ACCOUNT_ID_MAX:
        digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
        full = f"{full[: _ACCOUNT_ID_MAX - _HASH_LENGTH - 1].rstrip('-')}-{digest}"
    return full.ljust(_ACCOUNT_ID_MIN, "0")


def workload_identity_member(project: str, namespace: str, service_account: str) -> str:
    """The IAM member for exactly one Kubernetes service account in one namespace."""
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{service_account}]"


def bind_workload_identity(
    *,
    cluster_name: str,
    project: str,
    request: WorkloadIdentityRequest,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
    pool_ready: pulumi.Resource,
) -> WorkloadIdentity:
    """A Google service account that only `request.namespace/request.service_account` may
    impersonate, with `request.gcp_project_roles` on the project.

    `pool_ready` is the cluster: IAM rejects members of a workload pool that does not exist yet.
    """
    name = f"{cluster_name}-{request.name}"

    def opts(**kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=provider, **kwargs)

    account = gcp.serviceaccount.Account(
        f"{name}-gsa",
        account_id=account_id(cluster_name, request.name),
        display_name=f"{request.namespace}/{request.service_account} on {cluster_name}"[:100],
        description=f"Workload identity of {request.namespace}/{request.service_account} "
        f"in GKE cluster {cluster_name}.",
        project=project,
        opts=opts(),
    )
    impersonation = gcp.serviceaccount.IAMMember(
        f"{name}-wi-user",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=workload_identity_member(project, request.namespace, request.service_account),
        opts=opts(depends_on=[pool_ready]),
    )
    grants = grant_project_roles(
        name, project, request.gcp_project_roles, account.member, opts=opts()
    )
    return WorkloadIdentity(
        service_account_annotations={"iam.gke.io/gcp-service-account": account.email},
        principal=account.email,
        ready=[impersonation, *grants],
    )


def grant_project_roles(
    name: str,
    project: str,
    roles: Sequence[str],
    member: pulumi.Input[str],
    *,
    opts: pulumi.ResourceOptions,
) -> list[gcp.projects.IAMMember]:
    """`roles` on `project` for `member`, one `<name>-<role>` grant each."""
    return [
        gcp.projects.IAMMember(
            f"{name}-{_role_slug(role)}", project=project, role=role, member=member, opts=opts
        )
        for role in roles
    ]


def _role_slug(role: str) -> str:
    """`roles/dns.admin` -> `dns-admin`: a resource-name-safe form of a role."""
    return re.sub(r"[^a-z0-9]+", "-", role.removeprefix("roles/").lower()).strip("-")
