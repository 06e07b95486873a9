"""External Secrets, SOPS and secret replication, and their cross-key checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from kube_platform.components.security.sops import encrypter_problem
from kube_platform.components.validation import (
    AwsRegion,
    Duration,
    GcpProjectId,
    IamPrincipalArn,
    KubernetesName,
    RegularExpression,
)
from kube_platform.stacks.config.base import ConfigModel, camel_to_snake
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

_AWS_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_GCP_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Namespaces every Kubernetes cluster has.
_BUILT_IN_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


class CloudStoreConfig(ConfigModel):
    """A cloud secret manager read with static credentials, for an existing cluster (EKS and
    GKE clusters read their own cloud's secret manager through workload identity instead)."""

    provider: Literal["aws", "gcp"] = Field(
        description="`aws` (Secrets Manager) or `gcp` (Secret Manager)."
    )
    region: AwsRegion | None = Field(None, description="AWS region of the secrets (aws only).")
    project: GcpProjectId | None = Field(None, description="Google Cloud project id (gcp only).")
    access_key_id: SecretValue | None = Field(
        None, description="AWS access key id of an IAM user scoped to the prefix (secret; aws)."
    )
    secret_access_key: SecretValue | None = Field(
        None, description="AWS secret access key (secret; aws)."
    )
    service_account_key: SecretValue | None = Field(
        None, description="JSON key of a Google service account scoped to the prefix (secret; gcp)."
    )

    @model_validator(mode="after")
    def _provider_fields(self) -> CloudStoreConfig:
        if self.provider == "aws" and not self.region:
            raise ValueError("an aws store needs region, e.g. 'eu-west-1'")
        if self.provider == "gcp" and not self.project:
            raise ValueError("a gcp store needs project, the Google Cloud project id")
        foreign = (
            ["serviceAccountKey", "project"]
            if self.provider == "aws"
            else ["accessKeyId", "secretAccessKey", "region"]
        )
        given = [k for k in foreign if getattr(self, camel_to_snake(k)) is not None]
        if given:
            raise ValueError(f"{given} do not apply to a {self.provider} store; remove them")
        return self

    @property
    def has_credentials(self) -> bool:
        if self.provider == "aws":
            return self.access_key_id is not None and self.secret_access_key is not None
        return self.service_account_key is not None


class SopsConfig(ConfigModel):
    """A KMS key for SOPS-encrypted manifests in Git, decrypted in the cluster by the GitOps
    controller. Cloud clusters only."""

    enabled: bool | None = Field(
        None, description="Create the SOPS key. Default: on for EKS and GKE, off on existing."
    )
    decrypt_namespace: KubernetesName = Field(
        "flux-system", description="Namespace of the service account that decrypts manifests."
    )
    decrypt_service_account: KubernetesName = Field(
        "kustomize-controller",
        description="Service account that applies (and decrypts) manifests; the only "
        "identity allowed to decrypt.",
    )
    encrypters: list[str] = Field(
        [],
        description="Who may encrypt: IAM role/user ARNs (EKS) or IAM members such as "
        "`group:platform@example.com` (GKE). Default: nobody.",
    )
    administrators: list[IamPrincipalArn] | None = Field(
        None,
        description="EKS only: IAM role/user ARNs of the key's account that manage the key "
        "(policy, rotation, deletion) but can never decrypt; include the role that runs "
        "`pulumi up`. Default: `cluster.eks.adminPrincipals`, or the deploying identity "
        "when that is empty.",
    )
    path_regex: RegularExpression = Field(
        r"\.sops\.ya?ml$", description="Files the `.sops.yaml` creation rule applies to."
    )


class ReplicatedSecretConfig(ConfigModel):
    """One cloud secret copied into several namespaces (registry credentials, shared
    connection strings) by an External Secrets `ClusterExternalSecret`."""

    name: KubernetesName = Field(
        description="Name of the Kubernetes Secret in every target namespace."
    )
    key: str = Field(
        description="Cloud secret to copy, relative to `secrets.prefix`; a JSON object whose "
        "keys become the Secret's keys."
    )
    namespaces: list[KubernetesName] = Field([], description="Target namespaces by name.")
    namespace_labels: dict[str, str] = Field(
        {}, description="Target every namespace carrying all of these labels."
    )
    type: str | None = Field(
        None, description="Secret type, e.g. `kubernetes.io/dockerconfigjson`. Default: Opaque."
    )
    refresh_interval: Duration = Field(
        "1h", description="How often the copies are refreshed, e.g. `1h` or `15m`."
    )

    @model_validator(mode="after")
    def _has_targets(self) -> ReplicatedSecretConfig:
        if not self.namespaces and not self.namespace_labels:
            raise ValueError(
                "no target namespaces; list namespaces or set namespaceLabels to select them"
            )
        return self


class SecretsConfig(ConfigModel):
    """External Secrets, SOPS and secret replication."""

    enabled: bool = Field(True, description="Install the External Secrets Operator.")
    prefix: str | None = Field(
        None,
        description="Name prefix of this stack's secrets in the cloud secret manager, "
        "including its separator; the cluster may read only secrets under it. Default: "
        "`platform/<stack>/` (AWS), `platform_<stack>_` (GCP).",
    )
    store_namespaces: list[KubernetesName] | None = Field(
        None,
        description="Namespaces allowed to use the cloud ClusterSecretStore. Default: the "
        "application namespaces (`access.namespaces`). Replication targets and the "
        "platform's own consumers are always allowed.",
    )
    store: CloudStoreConfig | None = Field(
        None, description="Existing clusters only: a cloud secret manager with static credentials."
    )
    sops: SopsConfig = Field(SopsConfig(), description="SOPS key for secrets kept in Git.")
    replicate: list[ReplicatedSecretConfig] = Field(
        [], description="Cloud secrets copied into several namespaces."
    )


# --- cross-key checks ----------------------------------------------------------------------


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Secret management problems: (key path, message) pairs."""
    found: list[tuple[str, str]] = []
    secrets = cfg.secrets
    kind = cfg.cluster.kind
    store = secrets.store
    if store is not None and kind != "existing":
        found.append(
            (
                "secrets.store",
                f"a {kind} cluster reads its cloud secret manager through workload "
                "identity, without static credentials; remove secrets.store",
            )
        )
    if kind == "existing" and store is not None and not store.has_credentials:
        keys = "accessKeyId and secretAccessKey" if store.provider == "aws" else "serviceAccountKey"
        found.append(
            (
                "secrets.store",
                f"a cloud secret store on an existing cluster needs static credentials; "
                f"set secrets.store.{keys} with `pulumi config set --secret --path`, or "
                "remove secrets.store",
            )
        )
    cloud = cfg.secret_store_cloud()
    if secrets.prefix is not None and cloud is not None:
        pattern, ends = (
            (_AWS_SECRET_NAME_RE, ("/",)) if cloud == "aws" else (_GCP_SECRET_NAME_RE, ("_", "-"))
        )
        if not pattern.match(secrets.prefix) or not secrets.prefix.endswith(ends):
            example = "'platform/prod/'" if cloud == "aws" else "'platform_prod_'"
            found.append(
                (
                    "secrets.prefix",
                    f"'{secrets.prefix}' is not a {cloud} secret name prefix; use the "
                    f"characters its secret names allow and end with {' or '.join(ends)} "
                    f"so it matches no other stack's secrets, e.g. {example}",
                )
            )
    if secrets.replicate and not cfg.has_cloud_secret_store():
        found.append(
            (
                "secrets.replicate",
                "replicated secrets are read from the cloud secret store, which this stack "
                "does not have; on an existing cluster configure secrets.store, or remove "
                "secrets.replicate",
            )
        )
    names = [r.name for r in secrets.replicate]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        found.append(("secrets.replicate", f"replicated secret '{dup}' is listed twice"))
    found.extend(_undeclared_targets(cfg))
    sops = secrets.sops
    if sops.enabled and kind == "existing":
        found.append(
            (
                "secrets.sops.enabled",
                "SOPS keys live in a cloud KMS, which an existing cluster has none of; "
                "set secrets.sops.enabled to false",
            )
        )
    if cfg.sops_enabled():
        cloud = "aws" if kind == "eks" else "gcp"
        found.extend(
            (f"secrets.sops.encrypters[{i}]", problem)
            for i, who in enumerate(sops.encrypters)
            if (problem := encrypter_problem(cloud, who)) is not None
        )
        found.extend(_administrator_problems(sops, kind))
    return found


def _administrator_problems(sops: SopsConfig, kind: str) -> list[tuple[str, str]]:
    if sops.administrators is None:
        return []
    if kind != "eks":
        return [
            (
                "secrets.sops.administrators",
                "applies to EKS key policies only; on GKE, who may change the key's IAM "
                "policy is decided by IAM roles on the project (see docs/secrets.md); remove it",
            )
        ]
    if not sops.administrators:
        return [
            (
                "secrets.sops.administrators",
                "an empty list would leave the key without anyone to manage it; list the IAM "
                "role ARN that runs `pulumi up` (and a break-glass role), or remove the key "
                "to use the default",
            )
        ]
    return []


def _undeclared_targets(cfg: StackConfig) -> list[tuple[str, str]]:
    """A copy into a namespace nothing creates never appears, silently: name only namespaces
    the stack declares, and select namespaces made elsewhere by label."""
    declared = {n.name for n in cfg.access.namespaces}
    declared |= {db.namespace_or_default for db in cfg.databases} | _BUILT_IN_NAMESPACES
    return [
        (
            f"secrets.replicate[{i}].namespaces[{j}]",
            f"namespace '{namespace}' is not one this stack declares (platform:access.namespaces "
            "or a database's namespace), so nothing creates it and no copy would appear; add "
            "it to platform:access.namespaces, or select namespaces made elsewhere with "
            "namespaceLabels",
        )
        for i, replicated in enumerate(cfg.secrets.replicate)
        for j, namespace in enumerate(replicated.namespaces)
        if namespace not in declared
    ]
