"""Every mistake a user can make in platform:gitops is rejected before any resource exists, with
a line naming the key and saying how to fix it."""

from __future__ import annotations

import pytest

from tests.test_config_errors import EKS, GKE, assert_rejected, base, cloud

REPO = "https://github.com/example-org/platform-fleet.git"
SSH_REPO = "ssh://git@github.com/example-org/platform-fleet.git"
KNOWN_HOSTS = (
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)
SECRET = {"secure": "v1:c2VjcmV0"}
AGE_RECIPIENT = "age16udcxu2vdleqxgqchqjmg8all8u9c00v0gu39vfjw3dfxuhl63us0dazsf"


def gitops(url: str = REPO, *, cluster=None, repository=None, **settings):
    """A stack file with platform:gitops: on an existing cluster unless `cluster` is given."""
    block = {"repository": {"url": url, **(repository or {})}, **settings}
    if cluster is None:
        return base(gitops=block)
    return cloud(cluster, gitops=block)


def token(**extra):
    return {"credentials": {"kind": "token", "token": SECRET, **extra}}


CASES = {
    "misspelled key": (
        base(gitops={"repositry": {"url": REPO}}),
        "platform:gitops.repositry: unknown key; did you mean 'repository'?",
    ),
    "scp-style address": (
        gitops("git@github.com:example-org/fleet.git"),
        "platform:gitops.repository.url: 'git@github.com:example-org/fleet.git' is an scp-style "
        "address; write it as a URL: 'ssh://git@github.com/example-org/fleet.git'",
    ),
    "plain http": (
        gitops("http://git.example.com/fleet.git"),
        "platform:gitops.repository.url: 'http://git.example.com/fleet.git' uses plain http, "
        "which would send credentials and fetch manifests unencrypted; use https://",
    ),
    "not a repository URL": (
        gitops("ftp://git.example.com/fleet"),
        "platform:gitops.repository.url: 'ftp://git.example.com/fleet' is not a repository URL",
    ),
    "password in the URL": (
        gitops("https://flux:hunter2@git.example.com/fleet.git"),
        "platform:gitops.repository.url: the URL holds a password in plaintext; remove it and "
        "set gitops.repository.credentials with `pulumi config set --secret --path`",
    ),
    "ref of two kinds": (
        gitops(repository={"ref": {"branch": "main", "tag": "v1.0.0"}}),
        "platform:gitops.repository.ref: a ref is one of branch, tag, semver, commit or digest; "
        "got branch and tag; keep one",
    ),
    "short commit": (
        gitops(repository={"ref": {"commit": "3f9c2ab"}}),
        "platform:gitops.repository.ref: commit '3f9c2ab' is not a full commit SHA; give all 40 "
        "(SHA-1) or 64 (SHA-256) lowercase hex characters",
    ),
    "bad branch name": (
        gitops(repository={"ref": {"branch": "feature..x"}}),
        "platform:gitops.repository.ref: branch 'feature..x' is not a valid Git ref name",
    ),
    "digest on Git": (
        gitops(repository={"ref": {"digest": "sha256:" + "a" * 64}}),
        "platform:gitops.repository.ref.digest: a digest selects an OCI artifact; for a Git "
        "repository give a commit",
    ),
    "branch on OCI": (
        gitops("oci://ghcr.io/example-org/fleet", repository={"ref": {"branch": "main"}}),
        "platform:gitops.repository.ref: an oci:// repository has no branches; give a tag, "
        "semver or digest",
    ),
    "path outside the repository": (
        gitops(repository={"path": "../clusters/prod"}),
        "platform:gitops.repository.path: '../clusters/prod' is not a relative path inside the "
        "repository; write it like 'clusters/prod'",
    ),
    "interval": (
        gitops(repository={"interval": "5 minutes"}),
        "platform:gitops.repository.interval: '5 minutes' is not a duration; write it like '1m'",
    ),
    "token in plaintext": (
        gitops(repository={"credentials": {"kind": "token", "token": "ghp_plaintext"}}),
        "platform:gitops.repository.credentials.token: this value is stored in plaintext; store "
        "it encrypted with `pulumi config set --secret --path "
        "'platform:gitops.repository.credentials.token' <value>`",
    ),
    "no token": (
        gitops(repository={"credentials": {"kind": "token"}}),
        "platform:gitops.repository.credentials.token: token credentials need token: set it "
        "with `pulumi config set --secret --path 'platform:gitops.repository.credentials.token'`"
        ", or name a cloud secret in secretKey",
    ),
    "token twice": (
        gitops(cluster=EKS, repository=token(secretKey="fleet-token")),
        "platform:gitops.repository.credentials.secretKey: token is given both in config and "
        "as secretKey; keep one",
    ),
    "secret manager without a store": (
        gitops(repository={"credentials": {"kind": "token", "secretKey": "fleet-token"}}),
        "platform:gitops.repository.credentials.secretKey: reads the cloud secret store, which "
        "this stack does not have; set token with `pulumi config set --secret --path` instead",
    ),
    "deploy key over https": (
        gitops(
            repository={
                "credentials": {"kind": "sshKey", "privateKey": SECRET, "knownHosts": KNOWN_HOSTS}
            }
        ),
        "platform:gitops.repository.credentials.kind: sshKey credentials work with ssh:// URLs "
        "only",
    ),
    "ssh without a key": (
        gitops(SSH_REPO),
        "platform:gitops.repository.credentials: an ssh:// repository needs a deploy key; set "
        "kind sshKey with privateKey and knownHosts, or use an https:// URL for a public "
        "repository",
    ),
    "deploy key without host keys": (
        gitops(SSH_REPO, repository={"credentials": {"kind": "sshKey", "privateKey": SECRET}}),
        "platform:gitops.repository.credentials.knownHosts: sshKey credentials need the "
        "server's host keys; set knownHosts to the output of `ssh-keyscan <git host>`",
    ),
    "malformed host keys": (
        gitops(
            SSH_REPO,
            repository={
                "credentials": {"kind": "sshKey", "privateKey": SECRET, "knownHosts": "github.com"}
            },
        ),
        "platform:gitops.repository.credentials.knownHosts: is not in known_hosts format",
    ),
    "GitHub App without its ids": (
        gitops(repository={"credentials": {"kind": "githubApp", "privateKey": SECRET}}),
        "platform:gitops.repository.credentials: githubApp credentials need appId and "
        "installationId of the installation",
    ),
    "fields of another kind": (
        gitops(repository=token(knownHosts=KNOWN_HOSTS)),
        "platform:gitops.repository.credentials: knownHosts do not apply to token credentials; "
        "remove",
    ),
    "ECR outside EKS": (
        gitops("oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet", cluster=GKE),
        "platform:gitops.repository.url: ECR is read through the workload identity of an EKS "
        "cluster, which this stack is not",
    ),
    "credentials for the cloud registry": (
        gitops(
            "oci://europe-west1-docker.pkg.dev/acme-platform/fleet/manifests",
            cluster=GKE,
            repository=token(),
        ),
        "platform:gitops.repository.credentials: Artifact Registry is read through the "
        "cluster's workload identity, without a secret; remove gitops.repository.credentials",
    ),
    "SOPS on an existing cluster with no key": (
        gitops(sops={"enabled": True}),
        "platform:gitops.sops.enabled: SOPS decryption needs a key and this stack has none; set "
        "gitops.sops.ageKey (and ageRecipient) with `pulumi config set --secret --path`",
    ),
    "SOPS on EKS without the KMS key": (
        {
            **gitops(cluster=EKS, sops={"enabled": True}),
            "platform:secrets": {"sops": {"enabled": False}},
        },
        "platform:gitops.sops.enabled: SOPS decryption needs a key and this stack has none; "
        "enable secrets.sops to create the stack's KMS key",
    ),
    "a static age key on a cloud": (
        gitops(cluster=EKS, sops={"ageKey": SECRET, "ageRecipient": AGE_RECIPIENT}),
        "platform:gitops.sops.ageKey: on EKS the stack's KMS key decrypts through workload "
        "identity, with no static key in the cluster; remove gitops.sops.ageKey",
    ),
    "age key in plaintext": (
        gitops(sops={"ageKey": "AGE-SECRET-KEY-1PLAINTEXT", "ageRecipient": AGE_RECIPIENT}),
        "platform:gitops.sops.ageKey: this value is stored in plaintext",
    ),
    "age key without its recipient": (
        gitops(sops={"ageKey": SECRET}),
        "platform:gitops.sops.ageRecipient: required with ageKey, for the sopsConfig output",
    ),
    "malformed recipient": (
        gitops(sops={"ageKey": SECRET, "ageRecipient": "age1short"}),
        "platform:gitops.sops.ageRecipient: 'age1short' is not an age recipient",
    ),
    "decrypter other than Flux": (
        {
            **gitops(cluster=EKS),
            "platform:secrets": {"sops": {"decryptServiceAccount": "sops-decrypter"}},
        },
        "platform:secrets.sops.decryptServiceAccount: Flux decrypts as "
        "flux-system/kustomize-controller, but the SOPS key lets only flux-system/sops-decrypter "
        "decrypt",
    ),
    "SOPS with Argo CD": (
        gitops(engine="argocd", sops={"enabled": True}),
        "platform:gitops.sops: Argo CD does not decrypt SOPS; keep secrets in the cloud secret "
        "manager and read them with External Secrets (docs/gitops.md), and remove gitops.sops",
    ),
    "chat notifications without an address": (
        gitops(notifications={"type": "slack"}),
        "platform:gitops.notifications.address: slack notifications need address: set it with "
        "`pulumi config set --secret --path 'platform:gitops.notifications.address'`, or name a "
        "cloud secret in secretKey",
    ),
    "webhook address in plaintext": (
        gitops(notifications={"type": "msteams", "address": "https://example.com/hook"}),
        "platform:gitops.notifications.address: this value is stored in plaintext",
    ),
    "a token for a chat": (
        gitops(notifications={"type": "discord", "address": SECRET, "token": SECRET}),
        "platform:gitops.notifications.token: does not apply to discord, which takes address",
    ),
    "a channel for commit statuses": (
        gitops(notifications={"type": "github", "token": SECRET, "channel": "alerts"}),
        "platform:gitops.notifications.channel: github takes no channel; remove it",
    ),
    "commit statuses on OCI": (
        gitops(
            "oci://ghcr.io/example-org/fleet", notifications={"type": "gitlab", "token": SECRET}
        ),
        "platform:gitops.notifications.type: gitlab sets commit statuses on the fleet "
        "repository, and an oci:// repository has no commits; pick a chat type",
    ),
    "Flux notifications with Argo CD": (
        gitops(engine="argocd", notifications={"type": "slack", "address": SECRET}),
        "platform:gitops.notifications: these are Flux notifications",
    ),
    "image automation without write access": (
        gitops(imageAutomation={"enabled": True}),
        "platform:gitops.imageAutomation.enabled: image automation pushes commits to the fleet "
        "repository and needs credentials with write access",
    ),
    "image automation on OCI": (
        gitops("oci://ghcr.io/example-org/fleet", imageAutomation={"enabled": True}),
        "platform:gitops.imageAutomation.enabled: image automation commits to a Git "
        "repository; an oci:// repository cannot take commits",
    ),
    "image automation with Argo CD": (
        gitops(engine="argocd", repository=token(), imageAutomation={"enabled": True}),
        "platform:gitops.imageAutomation.enabled: image automation is a Flux feature",
    ),
    "Argo CD from OCI": (
        gitops("oci://ghcr.io/example-org/fleet", engine="argocd"),
        "platform:gitops.repository.url: the argocd engine reads Git over https:// or ssh:// "
        "here; use the flux engine for an oci:// repository",
    ),
    "Argo CD on a semver range": (
        gitops(engine="argocd", repository={"ref": {"semver": ">=1.0.0"}}),
        "platform:gitops.repository.ref.semver: the argocd engine tracks a branch, tag or commit",
    ),
    "Argo CD UI without a domain": (
        gitops(engine="argocd", argocd={"expose": True}),
        "platform:gitops.argocd.expose: the UI is served only over HTTPS through the platform "
        "Gateway, which needs ingress.domain; set it or turn expose off",
    ),
    "Argo CD UI outside the domain": (
        {
            **gitops(engine="argocd", argocd={"expose": True, "hostname": "cd.other.example.com"}),
            "platform:ingress": {"domain": "apps.example.com"},
        },
        "platform:gitops.argocd.hostname: 'cd.other.example.com' is outside ingress.domain "
        "'apps.example.com'; list names under it, such as 'shop.apps.example.com'",
    ),
    "Argo CD UI under an application namespace's wildcard": (
        {
            **gitops(engine="argocd", argocd={"expose": True}),
            "platform:ingress": {"domain": "apps.example.com"},
            "platform:access": {
                "namespaces": [{"name": "shop", "hostnames": ["*.apps.example.com"]}]
            },
        },
        "platform:gitops.argocd.hostname: 'argocd.apps.example.com' overlaps "
        "'*.apps.example.com' of namespace 'shop' (platform:access.namespaces[0].hostnames); "
        "give each name to one namespace only",
    ),
    "Flux settings with Argo CD": (
        gitops(engine="argocd", flux={"size": "large"}),
        "platform:gitops.flux: applies to the flux engine only; remove it",
    ),
    "Argo CD settings with Flux": (
        gitops(argocd={"admin": "disabled"}),
        "platform:gitops.argocd: applies to the argocd engine only; remove it",
    ),
}


@pytest.mark.parametrize(("config", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_gitops_configuration_is_rejected(config, expected):
    assert_rejected(config, expected)
