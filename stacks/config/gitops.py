"""GitOps: the engine that reconciles this stack's path of a fleet repository, the credentials it
reads the repository with, SOPS decryption, notifications and image automation, and their
cross-key checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from kube_platform.components.gitops.flux import FLUX_NAMESPACE
from kube_platform.components.validation import (
    AgeRecipient,
    DomainName,
    Duration,
    RepositoryPath,
    ref_problem,
)
from kube_platform.stacks.config.base import ConfigModel, camel_to_snake
from kube_platform.stacks.types import SecretValue

if TYPE_CHECKING:
    from kube_platform.stacks.config.stack import StackConfig

Engine = Literal["flux", "argocd"]
_KNOWN_HOSTS_LINE_RE = re.compile(r"^\S+ (ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+( .*)?$")
_ECR_HOST_RE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_GAR_HOST_RE = re.compile(r"^[a-z0-9-]+-docker\.pkg\.dev$")

COMMIT_STATUS_NOTIFIERS = ("github", "gitlab")
FLUX_DECRYPT_SERVICE_ACCOUNT = "kustomize-controller"


def oci_registry_cloud(url: str) -> Literal["aws", "gcp"] | None:
    """The cloud whose registry an `oci://` URL points at: ECR (aws), Artifact Registry
    (gcp), or None for any other registry."""
    host = urlsplit(url).hostname or ""
    if _ECR_HOST_RE.match(host):
        return "aws"
    if _GAR_HOST_RE.match(host):
        return "gcp"
    return None


class GitOpsRefConfig(ConfigModel):
    """What to check out: one of a branch, a tag, a semver range over tags, or a commit (Git);
    a tag, a semver range or a digest (OCI)."""

    branch: str | None = Field(None, description="Git branch, e.g. `main`.")
    tag: str | None = Field(None, description="Git or OCI tag, e.g. `v1.4.0`.")
    semver: str | None = Field(
        None, description="Semver range over tags, e.g. `>=1.0.0 <2.0.0`; the newest match wins."
    )
    commit: str | None = Field(None, description="Git commit SHA (40 or 64 hex characters).")
    digest: str | None = Field(None, description="OCI artifact digest, `sha256:...`.")

    @model_validator(mode="after")
    def _one_kind(self) -> GitOpsRefConfig:
        given = [k for k in ("branch", "tag", "semver", "commit", "digest") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(
                f"a ref is one of branch, tag, semver, commit or digest; got {' and '.join(given)}"
                "; keep one"
            )
        for kind in ("branch", "tag", "commit", "digest"):
            value = getattr(self, kind)
            problem = ref_problem(kind, value) if value is not None else None
            if problem is not None:
                raise ValueError(problem)
        return self

    @property
    def kind(self) -> str | None:
        return next(
            (k for k in ("branch", "tag", "semver", "commit", "digest") if getattr(self, k)), None
        )

    @property
    def value(self) -> str | None:
        kind = self.kind
        return getattr(self, kind) if kind else None


class GitOpsCredentialsConfig(ConfigModel):
    """How the engine authenticates to the repository. The secret part (a token or a private
    key) comes from secret config or, with `secretKey`, from the cloud secret manager through
    External Secrets; it never appears in plaintext."""

    kind: Literal["token", "sshKey", "githubApp"] = Field(
        description="`token` (HTTPS basic auth with a personal or project access token; for "
        "`oci://`, a registry token), `sshKey` (a deploy key, `ssh://` URLs) or `githubApp` "
        "(a GitHub App installation, `https://` URLs)."
    )
    username: str = Field("git", description="User name sent with the token (`token`).")
    token: SecretValue | None = Field(None, description="The access token (secret; `token`).")
    private_key: SecretValue | None = Field(
        None,
        description="PEM private key of the deploy key (`sshKey`) or the GitHub App "
        "(`githubApp`) (secret).",
    )
    known_hosts: str | None = Field(
        None,
        description="SSH host keys of the Git server, `known_hosts` lines (required for "
        "`sshKey`; `ssh-keyscan <host>` prints them).",
    )
    app_id: int | None = Field(None, description="GitHub App id (`githubApp`).")
    installation_id: int | None = Field(
        None, description="GitHub App installation id (`githubApp`)."
    )
    secret_key: str | None = Field(
        None,
        description="Instead of `token`/`privateKey`: the name, relative to `secrets.prefix`, "
        "of a cloud secret whose value is the token or private key; External Secrets copies it "
        "into the cluster.",
    )

    @field_validator("known_hosts")
    @classmethod
    def _known_hosts(cls, value: str | None) -> str | None:
        if value is None:
            return None
        lines = [line for line in value.strip().splitlines() if line and not line.startswith("#")]
        bad = [line for line in lines if not _KNOWN_HOSTS_LINE_RE.match(line.strip())]
        if not lines or bad:
            raise ValueError(
                "is not in known_hosts format ('<host> <key type> <base64 key>' per line); "
                "copy the output of `ssh-keyscan <git host>`"
            )
        return value.strip() + "\n"

    @property
    def secret_part(self) -> str:
        """The config key of this kind's secret value."""
        return "token" if self.kind == "token" else "privateKey"

    @property
    def secret_value(self) -> SecretValue | None:
        """This kind's secret value from config; None when it comes from `secretKey`."""
        return self.token if self.kind == "token" else self.private_key


class GitOpsRepositoryConfig(ConfigModel):
    """The fleet repository and this stack's place in it."""

    url: str = Field(
        description="`https://` or `ssh://` Git URL, or `oci://` artifact repository.",
    )
    ref: GitOpsRefConfig = Field(
        GitOpsRefConfig(),
        description="What to check out. Default: branch `main` (Git), tag `latest` (OCI).",
    )
    path: RepositoryPath | None = Field(
        None, description="Directory of this stack's entry point. Default: `clusters/<stack>`."
    )
    interval: Duration = Field("1m", description="How often the engine fetches the repository.")
    credentials: GitOpsCredentialsConfig | None = Field(
        None,
        description="Credentials for a private repository. None for a public one, and for an "
        "`oci://` repository in the cluster's own cloud registry (ECR on EKS, Artifact "
        "Registry on GKE), which is read through workload identity.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if re.match(r"^[\w.-]+@[\w.-]+:", value):
            user_host, _, path = value.partition(":")
            raise ValueError(
                f"'{value}' is an scp-style address; write it as a URL: 'ssh://{user_host}/{path}'"
            )
        parts = urlsplit(value)
        if parts.scheme == "http":
            raise ValueError(
                f"'{value}' uses plain http, which would send credentials and fetch manifests "
                "unencrypted; use https://"
            )
        if parts.scheme not in ("https", "ssh", "oci") or not parts.hostname:
            raise ValueError(
                f"'{value}' is not a repository URL; use https://<host>/<repo>, "
                "ssh://git@<host>/<repo> or oci://<registry>/<repository>"
            )
        if parts.query or parts.fragment:
            raise ValueError(
                f"'{value}' carries a query or fragment; give the ref in gitops.repository.ref"
            )
        if parts.password:
            raise ValueError(
                "the URL holds a password in plaintext; remove it and set "
                "gitops.repository.credentials with `pulumi config set --secret --path`"
            )
        return value

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def is_oci(self) -> bool:
        return self.scheme == "oci"


class GitOpsSopsConfig(ConfigModel):
    """SOPS decryption by the root Kustomization (Flux only): with the stack's KMS key through
    workload identity on EKS and GKE, with an age key from secret config on an existing
    cluster."""

    enabled: bool | None = Field(
        None,
        description="Decrypt SOPS-encrypted manifests. Default: on with Flux when the stack has "
        "a SOPS KMS key (`secrets.sops`) or an `ageKey`.",
    )
    age_key: SecretValue | None = Field(
        None,
        description="Existing clusters: the age identity (`AGE-SECRET-KEY-1...`) that decrypts "
        "(secret); it becomes the `sops-age` Secret in `flux-system`.",
    )
    age_recipient: AgeRecipient | None = Field(
        None,
        description="Existing clusters: the age recipient (`age1...`) of `ageKey`, for the "
        "`sopsConfig` output (`age-keygen -y key.txt` prints it).",
    )


class GitOpsNotificationsConfig(ConfigModel):
    """A Flux notification Provider and an Alert for failed reconciliations of every
    Kustomization and HelmRelease."""

    type: Literal["slack", "discord", "msteams", "googlechat", "github", "gitlab"] = Field(
        description="Chat (`slack`, `discord`, `msteams`, `googlechat`: a webhook address) or "
        "commit status on the fleet repository (`github`, `gitlab`: a token)."
    )
    channel: str | None = Field(None, description="Channel to post to (slack, discord).")
    address: SecretValue | None = Field(
        None, description="Webhook URL of a chat type (secret: the URL carries its credential)."
    )
    token: SecretValue | None = Field(
        None, description="Token of a commit status type, allowed to set commit statuses (secret)."
    )
    secret_key: str | None = Field(
        None,
        description="Instead of `address`/`token`: a cloud secret (relative to "
        "`secrets.prefix`) whose value is the webhook URL or the token.",
    )
    severity: Literal["error", "info"] = Field(
        "error", description="`error`: failures only; `info`: every reconciliation event."
    )

    @property
    def commit_status(self) -> bool:
        """Whether this type sets commit statuses (with a token) rather than posting to chat."""
        return self.type in COMMIT_STATUS_NOTIFIERS

    @property
    def secret_part(self) -> str:
        return "token" if self.commit_status else "address"


class GitOpsImageAutomationConfig(ConfigModel):
    """Flux image automation: the image reflector and automation controllers, which commit new
    image tags to the fleet repository (policies live in Git; see docs/gitops.md)."""

    enabled: bool = Field(False, description="Install the image automation controllers.")


class GitOpsFluxConfig(ConfigModel):
    """Flux-specific settings."""

    size: Literal["small", "medium", "large"] | None = Field(
        None,
        description="Controller concurrency and limits profile. Default: `small` in dev, "
        "`medium` in staging, `large` in prod.",
    )
    multitenant: bool = Field(
        False,
        description="Multi-tenant lockdown: tenants' Kustomizations and HelmReleases run as "
        "their namespace's `default` service account and cannot reference other namespaces.",
    )
    extra_values: dict = Field({}, description="Extra flux-operator chart values (escape hatch).")


class GitOpsArgoCdConfig(ConfigModel):
    """Argo CD-specific settings."""

    expose: bool = Field(
        False,
        description="Serve the UI and API through the platform Gateway over HTTPS (needs "
        "`ingress.domain`).",
    )
    hostname: DomainName | None = Field(
        None,
        description="Host name of the UI, covered by the platform certificate. Default: "
        "`argocd.<ingress.domain>`.",
    )
    admin: Literal["random", "disabled"] = Field(
        "random",
        description="`random`: Argo CD generates the admin password into the Secret "
        "`argocd-initial-admin-secret`; `disabled`: no local admin (use SSO).",
    )
    extra_values: dict = Field({}, description="Extra argo-cd chart values (escape hatch).")


class GitOpsConfig(ConfigModel):
    """GitOps: the engine that reconciles this stack's path of the fleet repository."""

    engine: Engine = Field("flux", description="`flux` (through the Flux operator) or `argocd`.")
    repository: GitOpsRepositoryConfig = Field(description="The fleet repository.")
    sops: GitOpsSopsConfig = Field(GitOpsSopsConfig(), description="SOPS decryption (Flux).")
    notifications: GitOpsNotificationsConfig | None = Field(
        None, description="Alerts on failed reconciliations (Flux)."
    )
    image_automation: GitOpsImageAutomationConfig = Field(
        GitOpsImageAutomationConfig(), description="Image update automation (Flux)."
    )
    flux: GitOpsFluxConfig = Field(GitOpsFluxConfig(), description="Flux settings.")
    argocd: GitOpsArgoCdConfig = Field(GitOpsArgoCdConfig(), description="Argo CD settings.")


# --- cross-key checks ----------------------------------------------------------------------


def argocd_hostname(cfg: StackConfig) -> str | None:
    """Where the Argo CD UI is served: as configured, else `argocd.<ingress.domain>`; None
    unless Argo CD is the engine and exposed, and there is a domain."""
    gitops = cfg.gitops
    if gitops is None or gitops.engine != "argocd" or not gitops.argocd.expose:
        return None
    if cfg.ingress.domain is None:
        return None
    return gitops.argocd.hostname or f"argocd.{cfg.ingress.domain}"


def problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """GitOps problems: (key path, message) pairs."""
    gitops = cfg.gitops
    if gitops is None:
        return []
    return [
        *_engine_problems(cfg, gitops),
        *_credential_problems(cfg, gitops),
        *_sops_problems(cfg, gitops),
        *_notification_problems(cfg, gitops),
    ]


def _engine_problems(cfg: StackConfig, gitops: GitOpsConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    repo = gitops.repository
    ref = repo.ref
    if repo.is_oci and ref.kind in ("branch", "commit"):
        found.append(
            (
                "gitops.repository.ref",
                f"an oci:// repository has no {ref.kind}es; give a tag, semver or digest",
            )
        )
    if not repo.is_oci and ref.kind == "digest":
        found.append(
            (
                "gitops.repository.ref.digest",
                "a digest selects an OCI artifact; for a Git repository give a commit",
            )
        )
    if gitops.engine == "argocd":
        if repo.is_oci:
            found.append(
                (
                    "gitops.repository.url",
                    "the argocd engine reads Git over https:// or ssh:// here; use the flux "
                    "engine for an oci:// repository",
                )
            )
        if gitops.image_automation.enabled:
            found.append(
                (
                    "gitops.imageAutomation.enabled",
                    "image automation is a Flux feature; use the flux engine or turn it off",
                )
            )
        if gitops.flux.model_fields_set:
            found.append(("gitops.flux", "applies to the flux engine only; remove it"))
        found.extend(_argocd_route_problems(cfg, gitops))
        if ref.kind == "semver":
            found.append(
                (
                    "gitops.repository.ref.semver",
                    "the argocd engine tracks a branch, tag or commit here; give one of those",
                )
            )
    elif gitops.argocd.model_fields_set:
        found.append(("gitops.argocd", "applies to the argocd engine only; remove it"))
    if gitops.image_automation.enabled:
        if repo.is_oci:
            found.append(
                (
                    "gitops.imageAutomation.enabled",
                    "image automation commits to a Git repository; an oci:// repository "
                    "cannot take commits",
                )
            )
        elif repo.credentials is None:
            found.append(
                (
                    "gitops.imageAutomation.enabled",
                    "image automation pushes commits to the fleet repository and needs "
                    "credentials with write access: a deploy key with write access "
                    "(sshKey), a GitHub App with contents write permission (githubApp) or a "
                    "token allowed to push; set gitops.repository.credentials",
                )
            )
    return found


def _argocd_route_problems(cfg: StackConfig, gitops: GitOpsConfig) -> list[tuple[str, str]]:
    argocd = gitops.argocd
    if not argocd.expose:
        return []
    domain = cfg.ingress.domain
    if domain is None:
        return [
            (
                "gitops.argocd.expose",
                "the UI is served only over HTTPS through the platform Gateway, which needs "
                "ingress.domain; set it or turn expose off",
            )
        ]
    # The hostname shares the Gateway's rules with the application namespaces' (see
    # StackConfig.platform_routes and the access checks); the platform certificate covers it.
    return []


def _credential_problems(cfg: StackConfig, gitops: GitOpsConfig) -> list[tuple[str, str]]:
    repo = gitops.repository
    creds = repo.credentials
    key = "gitops.repository.credentials"
    registry_cloud = oci_registry_cloud(repo.url) if repo.is_oci else None
    found: list[tuple[str, str]] = []
    if registry_cloud is not None:
        own = {"eks": "aws", "gke": "gcp"}.get(cfg.cluster.kind)
        registry = "ECR" if registry_cloud == "aws" else "Artifact Registry"
        if own != registry_cloud:
            found.append(
                (
                    "gitops.repository.url",
                    f"{registry} is read through the workload identity of an "
                    f"{'EKS' if registry_cloud == 'aws' else 'GKE'} cluster, which this stack "
                    "is not; push the artifacts to a registry this cluster can reach",
                )
            )
        elif creds is not None:
            found.append(
                (
                    key,
                    f"{registry} is read through the cluster's workload identity, without a "
                    "secret; remove gitops.repository.credentials",
                )
            )
    if repo.scheme == "ssh" and creds is None:
        found.append(
            (
                key,
                "an ssh:// repository needs a deploy key; set kind sshKey with privateKey and "
                "knownHosts, or use an https:// URL for a public repository",
            )
        )
    if creds is None:
        return found
    allowed = {"token": ("https", "oci"), "sshKey": ("ssh",), "githubApp": ("https",)}
    if repo.scheme not in allowed[creds.kind]:
        schemes = " or ".join(f"{s}://" for s in allowed[creds.kind])
        found.append((f"{key}.kind", f"{creds.kind} credentials work with {schemes} URLs only"))
    secret_part = creds.secret_part
    has_secret = creds.secret_value is not None
    if has_secret and creds.secret_key is not None:
        found.append(
            (
                f"{key}.secretKey",
                f"{secret_part} is given both in config and as secretKey; keep one",
            )
        )
    elif not has_secret and creds.secret_key is None:
        found.append(
            (
                f"{key}.{secret_part}",
                f"{creds.kind} credentials need {secret_part}: set it with `pulumi config set "
                f"--secret --path 'platform:{key}.{secret_part}'`, or name a cloud secret in "
                "secretKey",
            )
        )
    if creds.secret_key is not None and not cfg.has_cloud_secret_store():
        found.append(
            (
                f"{key}.secretKey",
                "reads the cloud secret store, which this stack does not have; set "
                f"{secret_part} with `pulumi config set --secret --path` instead",
            )
        )
    foreign = {
        "token": ("privateKey", "knownHosts", "appId", "installationId"),
        "sshKey": ("token", "appId", "installationId"),
        "githubApp": ("token", "knownHosts"),
    }[creds.kind]
    given = [k for k in foreign if getattr(creds, camel_to_snake(k)) is not None]
    if given:
        found.append((key, f"{', '.join(given)} do not apply to {creds.kind} credentials; remove"))
    if creds.kind == "sshKey" and creds.known_hosts is None:
        found.append(
            (
                f"{key}.knownHosts",
                "sshKey credentials need the server's host keys; set knownHosts to the output "
                "of `ssh-keyscan <git host>`",
            )
        )
    if creds.kind == "githubApp":
        missing = [
            k for k in ("appId", "installationId") if getattr(creds, camel_to_snake(k)) is None
        ]
        if missing:
            found.append(
                (key, f"githubApp credentials need {' and '.join(missing)} of the installation")
            )
    return found


def _sops_problems(cfg: StackConfig, gitops: GitOpsConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    sops = gitops.sops
    if gitops.engine == "argocd":
        if sops.enabled or sops.age_key is not None:
            found.append(
                (
                    "gitops.sops",
                    "Argo CD does not decrypt SOPS; keep secrets in the cloud secret manager and "
                    "read them with External Secrets (docs/gitops.md), and remove gitops.sops",
                )
            )
        return found
    cloud = cfg.cluster.kind != "existing"
    if sops.age_key is not None and cloud:
        found.append(
            (
                "gitops.sops.ageKey",
                f"on {cfg.cluster.kind.upper()} the stack's KMS key decrypts through workload "
                "identity, with no static key in the cluster; remove gitops.sops.ageKey",
            )
        )
    if sops.age_recipient is not None and sops.age_key is None:
        found.append(("gitops.sops.ageRecipient", "given without ageKey; set both or neither"))
    if sops.age_key is not None and sops.age_recipient is None and not cloud:
        found.append(
            (
                "gitops.sops.ageRecipient",
                "required with ageKey, for the sopsConfig output: the age1... line that "
                "`age-keygen -y key.txt` prints",
            )
        )
    if sops.enabled and not cfg.sops_enabled() and sops.age_key is None:
        fix = (
            "enable secrets.sops to create the stack's KMS key"
            if cloud
            else "set gitops.sops.ageKey (and ageRecipient) with `pulumi config set --secret "
            "--path`"
        )
        found.append(
            ("gitops.sops.enabled", f"SOPS decryption needs a key and this stack has none; {fix}")
        )
    decrypter = (cfg.secrets.sops.decrypt_namespace, cfg.secrets.sops.decrypt_service_account)
    if cfg.sops_enabled() and decrypter != (FLUX_NAMESPACE, FLUX_DECRYPT_SERVICE_ACCOUNT):
        found.append(
            (
                "secrets.sops.decryptServiceAccount",
                f"Flux decrypts as {FLUX_NAMESPACE}/{FLUX_DECRYPT_SERVICE_ACCOUNT}, but "
                f"the SOPS key lets only {decrypter[0]}/{decrypter[1]} decrypt; remove "
                "secrets.sops.decryptNamespace and decryptServiceAccount",
            )
        )
    return found


def _notification_problems(cfg: StackConfig, gitops: GitOpsConfig) -> list[tuple[str, str]]:
    notes = gitops.notifications
    if notes is None:
        return []
    key = "gitops.notifications"
    if gitops.engine == "argocd":
        return [
            (
                key,
                "these are Flux notifications; with Argo CD configure argocd-notifications in "
                "Git, and remove gitops.notifications",
            )
        ]
    found: list[tuple[str, str]] = []
    part = notes.secret_part
    other = "address" if part == "token" else "token"
    if getattr(notes, other) is not None:
        found.append(
            (f"{key}.{other}", f"does not apply to {notes.type}, which takes {part}; remove it")
        )
    given = getattr(notes, part) is not None
    if given and notes.secret_key is not None:
        found.append((f"{key}.secretKey", f"{part} is given both in config and as secretKey"))
    elif not given and notes.secret_key is None:
        found.append(
            (
                f"{key}.{part}",
                f"{notes.type} notifications need {part}: set it with `pulumi config set "
                f"--secret --path 'platform:{key}.{part}'`, or name a cloud secret in secretKey",
            )
        )
    if notes.secret_key is not None and not cfg.has_cloud_secret_store():
        found.append(
            (
                f"{key}.secretKey",
                f"reads the cloud secret store, which this stack does not have; set {part} with "
                "`pulumi config set --secret --path` instead",
            )
        )
    if notes.commit_status and gitops.repository.is_oci:
        found.append(
            (
                f"{key}.type",
                f"{notes.type} sets commit statuses on the fleet repository, and an oci:// "
                "repository has no commits; pick a chat type",
            )
        )
    if notes.channel is not None and notes.type not in ("slack", "discord"):
        found.append((f"{key}.channel", f"{notes.type} takes no channel; remove it"))
    return found
