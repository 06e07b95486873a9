"""Only the GitOps controller can decrypt with the SOPS key, and nobody can grant themselves
decryption through the key's own policy.

AWS (AWS KMS Developer Guide, "Default key policy" and "Grants in AWS KMS"): a key policy
that allows the account root `kms:*` (or `kms:Create*`, `kms:Put*`) lets every IAM principal
whose IAM policy allows it call `CreateGrant` (a grant for `Decrypt` to itself, which no key
policy statement shows) or `PutKeyPolicy` (a policy that lets it decrypt). The policy here is
evaluated as KMS does for each kind of caller (an explicit Deny wins; the root principal
delegates to IAM, taken at its worst: the caller's IAM policy allows everything), with the KMS
action catalogue of `parliament`, which also lints the document.

Google Cloud (Cloud KMS docs, "Permissions and roles": roles granted on the organization,
folder, project or key ring apply to every key beneath; "Separation of duties": a project
owner can manage and use its keys): decryption is granted on the SOPS key only, to the
controller, and the platform grants no Cloud KMS or basic role on the key ring or the project.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

from kube_platform.components.security.sops import GCP_DECRYPTER_ROLE
from kube_platform.stacks import offline

with warnings.catch_warnings():
    # parliament imports pkg_resources, which warns that it is deprecated.
    warnings.simplefilter("ignore", UserWarning)
    import parliament

AWS_KEY = "aws:kms/key:Key"
GCP_KEY = "gcp:kms/cryptoKey:CryptoKey"
SOPS_KEY = "platform:index:SopsKey"
KMS_ACTIONS = frozenset(f"kms:{a['action']}" for a in parliament.expand_action("kms:*"))
# Actions that reveal plaintext under the key, or hand that power to someone.
DECRYPTING = ("kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant")
# Google roles that include cloudkms.cryptoKeyVersions.useToDecrypt, or setIamPolicy on keys.
GCP_DECRYPTING_ROLES = {
    "roles/cloudkms.cryptoKeyDecrypter",
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoOperator",
}
# Basic roles that include cloudkms.cryptoKeyVersions.useToDecrypt.
GCP_BASIC_ROLES = {"roles/owner", "roles/editor"}
GCP_KEY_POWER_ROLES = {*GCP_DECRYPTING_ROLES, "roles/cloudkms.admin", *GCP_BASIC_ROLES}


@dataclass(frozen=True)
class Caller:
    arn: str

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _actions(statement: dict[str, Any]) -> set[str]:
    patterns = [p.lower() for p in _values(statement["Action"])]
    return {a for a in KMS_ACTIONS if any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns)}


def _names(statement: dict[str, Any], caller: Caller) -> bool:
    principal = statement["Principal"]
    for value in _values(principal["AWS"] if isinstance(principal, dict) else principal):
        if value in ("*", caller.arn):
            return True
        # The account root delegates to IAM: any principal of that account may be allowed.
        if value.endswith(":root") and value.split(":")[4] == caller.account:
            return True
    return False


def _condition(statement: dict[str, Any], caller: Caller) -> bool | None:
    """Whether the statement's condition holds for `caller`; None when it depends on more
    than the caller's ARN."""
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if key.lower() != "aws:principalarn":
                return None
            matches = any(fnmatch.fnmatchcase(caller.arn, e) for e in _values(expected))
            if operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
                holds = matches
            elif operator in ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"):
                holds = not matches
            else:
                return None
            if not holds:
                return False
    return True


def decide(policy: dict[str, Any], caller: Caller, action: str) -> str:
    """ "deny" (an explicit Deny applies), "allow" (the key policy lets it through, IAM at its
    worst) or "none"."""
    allowed = False
    for statement in policy["Statement"]:
        if action not in _actions(statement) or not _names(statement, caller):
            continue
        holds = _condition(statement, caller)
        if statement["Effect"] == "Deny" and holds is True:
            return "deny"
        allowed = allowed or (statement["Effect"] == "Allow" and holds is not False)
    return "allow" if allowed else "none"


def _mentioned(policy: dict[str, Any]) -> set[str]:
    """Every IAM role or user ARN the policy names, as principal or in a condition."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif (
            isinstance(value, str)
            and value.startswith("arn:")
            and ":iam::" in value
            and not value.endswith(":root")
        ):
            found.add(value)

    walk(policy["Statement"])
    return found


def aws_policy_problems(policy: dict[str, Any], decrypter: str) -> list[str]:
    account = decrypter.split(":")[4]
    partition = decrypter.split(":")[1]
    administrator = Caller(f"arn:{partition}:iam::{account}:role/AccountAdministrator")
    others = [Caller(a) for a in sorted(_mentioned(policy) - {decrypter})] + [
        administrator,
        Caller(f"arn:{partition}:iam::{account}:root"),
        Caller(f"arn:{partition}:iam::999999999999:role/Outsider"),
    ]
    found = []
    for statement in policy["Statement"]:
        if {"NotAction", "NotPrincipal", "NotResource"} & set(statement):
            found.append(f"{statement.get('Sid')}: Not* elements are not allowed here")
    if decide(policy, Caller(decrypter), "kms:Decrypt") != "allow":
        found.append("the GitOps controller cannot decrypt")
    for caller in [Caller(decrypter), *others]:
        for action in DECRYPTING:
            if caller.arn == decrypter and action == "kms:Decrypt":
                continue
            if decide(policy, caller, action) == "allow":
                found.append(f"{caller.arn} may {action}")
    for caller in others:
        if decide(policy, caller, "kms:Decrypt") != "deny":
            found.append(f"{caller.arn} is not explicitly denied kms:Decrypt")
    for caller in (Caller(decrypter), administrator):
        if decide(policy, caller, "kms:PutKeyPolicy") == "allow":
            found.append(f"{caller.arn} may rewrite the key policy")
    if not any(decide(policy, c, "kms:PutKeyPolicy") == "allow" for c in others):
        found.append("nobody may update the key policy: the key could never be managed again")
    lint = parliament.analyze_policy_string(json.dumps(policy))
    found += [
        f"parliament: {f.issue} {f.detail}" for f in lint.findings if f.issue != "RESOURCE_STAR"
    ]
    return found


def _sops_keys(run: offline.Run, type_: str) -> list[offline.Registration]:
    return [r for r in run.of_type(type_) if r.parent_type == SOPS_KEY]


def gcp_grant_problems(run: offline.Run, decrypter_member: str) -> list[str]:
    found = []
    [key] = _sops_keys(run, GCP_KEY)
    key_id = f"{key.name}-id"
    for grant in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"):
        role, member = grant.inputs["role"], grant.inputs["member"]
        on_key = grant.inputs["cryptoKeyId"] == key_id and role in GCP_KEY_POWER_ROLES
        if on_key and (role, member) != (GCP_DECRYPTER_ROLE, decrypter_member):
            found.append(f"{member} has {role} on the SOPS key")
    for kind in ("IAMMember", "IAMBinding", "IAMPolicy"):
        ring_grants = run.of_type(f"gcp:kms/keyRing{kind}:KeyRing{kind}")
        found += [f"{r.name}: an IAM grant on a key ring" for r in ring_grants]
    # Who runs `pulumi up` administers the key, as the key policy's administrators do on AWS:
    # cloudkms.admin lets it manage the key's IAM policy (a reviewed, audited change) but never
    # use the key. Nobody gets a role that decrypts.
    deployer = run.outputs.get("ciDeployServiceAccount")
    administrator = f"serviceAccount:{deployer.value}" if deployer is not None else None
    for grant in run.of_type("gcp:projects/iAMMember:IAMMember"):
        role, member = grant.inputs["role"], grant.inputs["member"]
        if role == "roles/cloudkms.admin" and member == administrator:
            continue
        if role in GCP_KEY_POWER_ROLES or role.startswith("roles/cloudkms."):
            found.append(f"{member} has {role} on the project")
    return found


def sops_key_problems(run: offline.Run) -> list[str]:
    if "sopsDecryptIdentity" not in run.outputs:
        return []
    decrypter = run.outputs["sopsDecryptIdentity"].value
    aws_keys = _sops_keys(run, AWS_KEY)
    if aws_keys:
        [key] = aws_keys
        return aws_policy_problems(json.loads(key.inputs["policy"]), decrypter)
    return gcp_grant_problems(run, f"serviceAccount:{decrypter}")


def test_only_the_gitops_controller_can_decrypt_with_the_sops_key(every_stack):
    assert sops_key_problems(every_stack) == []


@pytest.mark.parametrize("stack", ["prod", "gke-prod"])
def test_the_rule_covers_both_clouds(stack_run, stack):
    run = stack_run(stack)
    assert run.outputs["sopsDecryptIdentity"].value
    assert sops_key_problems(run) == []


# --- the rule can fail ---------------------------------------------------------------------


def _eks_policy(stack_run) -> tuple[dict[str, Any], str]:
    run = stack_run("prod")
    [key] = _sops_keys(run, AWS_KEY)
    return json.loads(key.inputs["policy"]), run.outputs["sopsDecryptIdentity"].value


def test_wildcard_administration_of_the_account_is_refused(stack_run):
    """The policy as it was: the account administers the key with wildcards."""
    policy, decrypter = _eks_policy(stack_run)
    account = decrypter.split(":")[4]
    old = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
            *[s for s in policy["Statement"] if s["Sid"] == "GitOpsControllerDecrypts"],
        ],
    }
    problems = aws_policy_problems(old, decrypter)
    admin = f"arn:aws:iam::{account}:role/AccountAdministrator"
    assert f"{admin} may kms:CreateGrant" in problems
    assert f"{admin} is not explicitly denied kms:Decrypt" in problems
    assert f"{admin} may rewrite the key policy" in problems


def test_an_extra_decrypter_or_a_lockout_is_refused(stack_run):
    policy, decrypter = _eks_policy(stack_run)
    widened = copy.deepcopy(policy)
    for statement in widened["Statement"]:
        if statement["Sid"] == "NobodyElseDecrypts":
            exempt = [decrypter, "arn:aws:iam::*"]
            statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = exempt
    problems = aws_policy_problems(widened, decrypter)
    assert any("is not explicitly denied kms:Decrypt" in p for p in problems)
    locked = copy.deepcopy(policy)
    locked["Statement"] = [
        s for s in locked["Statement"] if s["Sid"] != "AdministratorsManageTheKey"
    ]
    assert "nobody may update the key policy: the key could never be managed again" in (
        aws_policy_problems(locked, decrypter)
    )


def test_a_misspelt_action_is_refused(stack_run):
    policy, decrypter = _eks_policy(stack_run)
    policy["Statement"][0]["Action"].append("kms:DescribeKeys")
    problems = aws_policy_problems(policy, decrypter)
    assert any(p.startswith("parliament: UNKNOWN_ACTION") for p in problems)


def test_a_gcp_decrypt_grant_beyond_the_controller_is_refused(stack_run):
    run = stack_run("gke-prod")
    [grant] = [
        r
        for r in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if r.inputs["role"] == GCP_DECRYPTER_ROLE and r.parent_type == SOPS_KEY
    ]
    extra = copy.deepcopy(grant)
    extra.urn, extra.inputs["member"] = "urn:extra", "group:admins@example.com"
    project = copy.deepcopy(extra)
    project.type, project.urn = "gcp:projects/iAMMember:IAMMember", "urn:project"
    project.inputs = {"role": "roles/cloudkms.admin", "member": "group:admins@example.com"}
    registrations = {**run.registrations, extra.urn: extra, project.urn: project}
    mutated = offline.Run(run.stack, run.preview, registrations, run.outputs, [])
    assert sops_key_problems(mutated) == [
        f"group:admins@example.com has {GCP_DECRYPTER_ROLE} on the SOPS key",
        "group:admins@example.com has roles/cloudkms.admin on the project",
    ]
