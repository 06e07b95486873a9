"""Who runs this deployment, and whether the cluster will let it in.

The cluster grants its creator no implicit admin: only access entries do. A deployment that runs
as anyone else would create the cluster and then time out on the first Kubernetes resource. So
the identity is checked before anything is created: the caller's ARN, or for an assumed role
the role it came from (`sts:GetCallerIdentity` names the session, IAM's session context names
the role), must be one of the cluster's admin principals. Roles compare by account and name,
since access entries accept a role ARN with or without its path. The deploy runner's own role
is never one: a job on the runner deploys as the CI deploy role it assumes by OIDC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pulumi
import pulumi_aws as aws

from kube_platform.components.errors import ConfigurationError

_IAM_PRINCIPAL = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")


class ForeignDeployerError(ConfigurationError):
    """The deployment runs as an identity the cluster grants no access."""

    def __init__(self, identity: str, admins: list[str]) -> None:
        self.identity = identity
        self.admins = admins
        super().__init__(
            f"this deployment runs as {identity}, which is none of the cluster's admin "
            f"principals {admins}, so it could not create anything inside the cluster"
        )


def principal_key(arn: str) -> tuple[str, str, str] | None:
    """(account, `role` or `user`, name) of an IAM role or user ARN, path ignored."""
    match = _IAM_PRINCIPAL.match(arn)
    return (match[1], match[2], match[3]) if match else None


def deploying_identity(provider: pulumi.ProviderResource) -> str:
    """The IAM principal ARN this deployment runs as (for an assumed role, the role)."""
    invoke = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=invoke)
    return aws.iam.get_session_context(arn=caller.arn, opts=invoke).issuer_arn


def verify_deployer(provider: pulumi.ProviderResource, admin_principals: Iterable[str]) -> str:
    """The deploying identity, when it is one of `admin_principals`; raises
    ForeignDeployerError otherwise."""
    identity = deploying_identity(provider)
    admins = list(admin_principals)
    if principal_key(identity) not in {principal_key(a) for a in admins}:
        raise ForeignDeployerError(identity, admins)
    return identity
