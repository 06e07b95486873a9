"""A KMS key for SOPS: secrets are committed to Git encrypted and decrypted in the cluster
only by the GitOps controller that applies them.

The controller's service account (default `flux-system/kustomize-controller`) is bound to a
cloud identity that is the only one allowed to decrypt; the principals listed as encrypters
may encrypt but not decrypt. The matching `.sops.yaml` creation rule is exposed as text.

On AWS the key policy makes that hold against the account's own administrators too: the
account's default key policy (KMS Developer Guide, "Default key policy") hands `kms:*` to the
account root, so any IAM principal allowed `kms:CreateGrant` or `kms:PutKeyPolicy` could grant
itself decryption. Here the named administrators manage the key (policy, rotation, aliases,
deletion) without using it, nobody may create grants, and an explicit Deny refuses decryption
to every principal but the controller's role, whatever IAM policies say. Changing that takes a
`PutKeyPolicy` by an administrator, which CloudTrail records.

On Google Cloud, decryption is granted on the key only, to the controller's service account.
Who holds `setIamPolicy` on the key, its key ring, the project or above can still grant
themselves a decrypting role there; docs/secrets.md says what that means and how to narrow it.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kube_platform.components.cluster import Cluster, WorkloadIdentityRequest
from kube_platform.components.cluster.eks_deployer import deploying_identity
from kube_platform.components.cluster.eks_identity import partition
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.validation import (
    GcpMember,
    GcpProjectId,
    IamPrincipalArn,
    KubernetesName,
    RegularExpression,
)

ENCRYPTED_REGEX = "^(data|stringData)$"
# What anyone in the account may see of the key (through their IAM policies): no use of it.
AWS_READ_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
)
# What the administrators may do: manage the key, never use it, never create a grant.
AWS_ADMIN_ACTIONS = (
    *AWS_READ_ACTIONS,
    "kms:PutKeyPolicy",
    "kms:UpdateKeyDescription",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
AWS_DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
AWS_ENCRYPT_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")
# Actions that reveal plaintext of data under this key, or let someone else do so.
AWS_DENIED_TO_OTHERS = ("kms:Decrypt",)
AWS_DENIED_TO_ALL = ("kms:CreateGrant", "kms:ReEncryptFrom")
GCP_DECRYPTER_ROLE = "roles/cloudkms.cryptoKeyDecrypter"
GCP_ENCRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypter"
ROTATION_DAYS = 90


# Who may be granted encryption with a key: an IAM role or user (AWS), an IAM member (GCP).
_ENCRYPTERS = {"aws": TypeAdapter(IamPrincipalArn), "gcp": TypeAdapter(GcpMember)}


def encrypter_problem(cloud: str, who: str) -> str | None:
    """Why `who` cannot be granted encryption with a key on `cloud`, or None."""
    try:
        _ENCRYPTERS[cloud].validate_python(who)
    except ValidationError as exc:
        return exc.errors()[0]["msg"].removeprefix("Value error, ")
    return None


class SopsKeyArgs(BaseModel):
    """Who decrypts (one service account), who may encrypt and who manages the key."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    decrypt_namespace: KubernetesName = Field(
        "flux-system", description="Namespace of the service account allowed to decrypt."
    )
    decrypt_service_account: KubernetesName = Field(
        "kustomize-controller", description="Service account allowed to decrypt."
    )
    encrypters: tuple[str, ...] = Field(
        (), description="IAM ARNs (AWS) or IAM members (GCP) allowed to encrypt."
    )
    administrators: tuple[IamPrincipalArn, ...] = Field(
        (),
        description="AWS: IAM role/user ARNs of the key's account that manage the key but "
        "never use it; the identity that runs `pulumi up` must be one. Empty: that identity.",
    )
    path_regex: RegularExpression = Field(
        r"\.sops\.ya?ml$", description="Files the creation rule covers."
    )
    gcp_project: GcpProjectId | None = Field(None, description="Project of the key ring (GKE).")
    protect: bool = Field(True, description="Protect the key from deletion.")


class SopsKey(pulumi.ComponentResource):
    """A cloud KMS key for SOPS (AWS KMS or Cloud KMS), that only one Kubernetes service
    account may decrypt with (through workload identity), and the `.sops.yaml` rule using it.

    Outputs:

    - `key_id`: on AWS the key ARN, on Google Cloud the crypto key's resource id.
    - `sops_config`: `.sops.yaml` content with one creation rule for this key.
    - `decrypt_principal`: the cloud identity that decrypts (an IAM role ARN or a Google
      service account e-mail).
    - `decrypt_annotations`: what the decrypting service account needs as annotations.
    """

    key_id: pulumi.Output[str]
    """AWS: the key ARN; GCP: the crypto key's resource id."""
    sops_config: pulumi.Output[str]
    """`.sops.yaml` content with one creation rule for this key."""
    decrypt_principal: pulumi.Output[str]
    decrypt_annotations: dict[str, pulumi.Input[str]]

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: SopsKeyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the key `name` in `cluster`'s cloud (AWS or Google Cloud) for the decrypter,
        encrypters and administrators of `args`. `opts` applies to the component itself."""
        if cluster.cloud not in ("aws", "gcp"):
            raise ConfigurationError(
                f"SOPS keys live in a cloud KMS; cluster '{cluster._name}' is an existing "
                "cluster without one"
            )
        for i, who in enumerate(args.encrypters):
            problem = encrypter_problem(cluster.cloud, who)
            if problem is not None:
                raise ValueError(f"encrypters[{i}]: {problem}")
        super().__init__("platform:index:SopsKey", name, None, opts)
        self._cluster, self._args = cluster, args
        identity = cluster.bind_workload_identity(
            WorkloadIdentityRequest(
                name="sops-decrypt",
                namespace=args.decrypt_namespace,
                service_account=args.decrypt_service_account,
            ),
            self,
        )
        self.decrypt_principal = identity.principal
        self.decrypt_annotations = identity.service_account_annotations
        if cluster.cloud == "aws":
            self.key_id = self._aws_key(identity.principal)
            rule_key = "kms"
        else:
            self.key_id = self._gcp_key(identity.principal)
            rule_key = "gcp_kms"
        self.sops_config = self.key_id.apply(
            lambda key: yaml.safe_dump(
                {
                    "creation_rules": [
                        {
                            "path_regex": args.path_regex,
                            "encrypted_regex": ENCRYPTED_REGEX,
                            rule_key: key,
                        }
                    ]
                },
                sort_keys=False,
            )
        )
        self.register_outputs(
            {
                "keyId": self.key_id,
                "sopsConfig": self.sops_config,
                "decryptPrincipal": self.decrypt_principal,
            }
        )

    def _aws_key(self, decrypter: pulumi.Output[str]) -> pulumi.Output[str]:
        cluster, args = self._cluster, self._args
        opts = pulumi.InvokeOptions(provider=cluster.cloud_provider)
        caller = aws.get_caller_identity_output(opts=opts)
        administrators = list(args.administrators) or [deploying_identity(cluster.cloud_provider)]
        arn_partition = partition(cluster.region or "")
        policy = pulumi.Output.all(caller.account_id, decrypter, administrators).apply(
            lambda p: json.dumps(
                aws_key_policy(arn_partition, p[0], p[1], tuple(p[2]), args.encrypters)
            )
        )
        key = aws.kms.Key(
            self._name,
            description=f"SOPS key of {self._name}: decrypt only by "
            f"{args.decrypt_namespace}/{args.decrypt_service_account}",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=ROTATION_DAYS,
            deletion_window_in_days=30,
            policy=policy,
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        aws.kms.Alias(
            self._name,
            name=f"alias/{self._name}",
            target_key_id=key.key_id,
            opts=cluster.cloud_opts(self),
        )
        return key.arn

    def _gcp_key(self, decrypter: pulumi.Output[str]) -> pulumi.Output[str]:
        cluster, args = self._cluster, self._args
        if not args.gcp_project:
            raise ConfigurationError("the GCP SOPS key needs the project of its key ring")
        ring = gcp.kms.KeyRing(
            self._name,
            name=self._name,
            project=args.gcp_project,
            location=cluster.region,
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        key = gcp.kms.CryptoKey(
            self._name,
            name="sops",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{ROTATION_DAYS * 86400}s",
            opts=cluster.cloud_opts(self, protect=args.protect),
        )
        gcp.kms.CryptoKeyIAMMember(
            f"{self._name}-decrypter",
            crypto_key_id=key.id,
            role=GCP_DECRYPTER_ROLE,
            member=decrypter.apply(lambda p: p if ":" in p else f"serviceAccount:{p}"),
            opts=cluster.cloud_opts(self),
        )
        for i, member in enumerate(args.encrypters):
            gcp.kms.CryptoKeyIAMMember(
                f"{self._name}-encrypter-{i}",
                crypto_key_id=key.id,
                role=GCP_ENCRYPTER_ROLE,
                member=member,
                opts=cluster.cloud_opts(self),
            )
        return key.id


def aws_key_policy(
    partition: str,
    account: str,
    decrypter: str,
    administrators: tuple[str, ...],
    encrypters: tuple[str, ...],
) -> dict[str, Any]:
    """The SOPS key policy: only `decrypter` decrypts, `administrators` manage, nobody grants.

    Administrators are matched on `aws:PrincipalArn` rather than named as principals: the
    condition holds for every session of a role and keeps holding if the role is deleted and
    created again (a role named as principal would not, locking the key). For administrators
    of this account the key policy alone grants those actions; one of another account also
    needs an IAM policy there allowing them. The read-only statement names the account root,
    so it grants each principal of the account only through an IAM policy of its own."""
    root = f"arn:{partition}:iam::{account}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountReadsKeyMetadata",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(AWS_READ_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "AdministratorsManageTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": list(AWS_ADMIN_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": list(administrators)}},
        },
        {
            "Sid": "GitOpsControllerDecrypts",
            "Effect": "Allow",
            "Principal": {"AWS": decrypter},
            "Action": list(AWS_DECRYPT_ACTIONS),
            "Resource": "*",
        },
    ]
    if encrypters:
        statements.append(
            {
                "Sid": "AuthorsEncrypt",
                "Effect": "Allow",
                "Principal": {"AWS": list(encrypters)},
                "Action": list(AWS_ENCRYPT_ACTIONS),
                "Resource": "*",
            }
        )
    statements += [
        {
            "Sid": "NobodyElseDecrypts",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(AWS_DENIED_TO_OTHERS),
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": decrypter}},
        },
        {
            "Sid": "NobodyGrantsOrReEncrypts",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(AWS_DENIED_TO_ALL),
            "Resource": "*",
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}
