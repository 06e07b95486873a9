"""Repository and notification credentials as Kubernetes Secrets: written from secret config
(the values stay Pulumi secrets) or copied from the cloud secret manager by External Secrets,
so no credential is ever in plaintext in state, Helm values or outputs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components.cluster import Cluster
from kube_platform.components.security.secrets import SecretStoreRef, external_secret

CredentialKind = Literal["token", "ssh-key", "github-app"]


@dataclass(frozen=True)
class SecretSource:
    """Where one secret value comes from: a secret Output from config, or a cloud secret (its
    name relative to the store's prefix) that External Secrets copies."""

    value: pulumi.Input[str] | None = None
    store: SecretStoreRef | None = None
    store_key: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.store is None or self.store_key is None):
            raise ValueError("a secret comes either from config or from the secret store")


@dataclass(frozen=True)
class RepositoryCredentials:
    """How an engine authenticates to the fleet repository. Only `secret` is secret; the
    rest (user name, host keys, app ids) is public."""

    kind: CredentialKind
    secret: SecretSource
    username: str = "git"
    known_hosts: str | None = None
    app_id: int | None = None
    installation_id: int | None = None


@dataclass(frozen=True)
class SecretLayout:
    """A Kubernetes Secret to write: plain keys, the key that holds the secret value, an
    optional template around it, and labels."""

    name: str
    namespace: str
    plain: Mapping[str, str] = field(default_factory=dict)
    secret_key: str = "password"
    secret_type: str = "Opaque"
    labels: Mapping[str, str] = field(default_factory=dict)
    # A template for secret_key's value (ESO syntax `{{ .value }}`), e.g. a docker config.
    template: str | None = None


def flux_layout(
    credentials: RepositoryCredentials, url: str, *, name: str, namespace: str
) -> SecretLayout:
    """The Secret a Flux source's `secretRef` reads (GitRepository / OCIRepository docs)."""
    if urlsplit(url).scheme == "oci":
        host = urlsplit(url).hostname or ""
        auth = {"auths": {host: {"username": credentials.username, "password": "{{ .value }}"}}}
        return SecretLayout(
            name,
            namespace,
            secret_key=".dockerconfigjson",
            secret_type="kubernetes.io/dockerconfigjson",
            template=json.dumps(auth),
        )
    if credentials.kind == "ssh-key":
        assert credentials.known_hosts is not None
        return SecretLayout(
            name, namespace, {"known_hosts": credentials.known_hosts}, secret_key="identity"
        )
    if credentials.kind == "github-app":
        return SecretLayout(
            name,
            namespace,
            {
                "githubAppID": str(credentials.app_id),
                "githubAppInstallationID": str(credentials.installation_id),
            },
            secret_key="githubAppPrivateKey",
        )
    return SecretLayout(name, namespace, {"username": credentials.username})


def argocd_layout(
    credentials: RepositoryCredentials, url: str, *, name: str, namespace: str
) -> SecretLayout:
    """An Argo CD repository Secret (declarative setup: labelled `repository`, with `url`)."""
    labels = {"argocd.argoproj.io/secret-type": "repository"}
    plain = {"url": url, "type": "git"}
    if credentials.kind == "ssh-key":
        return SecretLayout(name, namespace, plain, secret_key="sshPrivateKey", labels=labels)
    if credentials.kind == "github-app":
        return SecretLayout(
            name,
            namespace,
            {
                **plain,
                "githubAppID": str(credentials.app_id),
                "githubAppInstallationID": str(credentials.installation_id),
            },
            secret_key="githubAppPrivateKey",
            labels=labels,
        )
    return SecretLayout(name, namespace, {**plain, "username": credentials.username}, labels=labels)


def credentials_secret(
    cluster: Cluster,
    resource_name: str,
    layout: SecretLayout,
    source: SecretSource,
    *,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> pulumi.CustomResource:
    """The Secret `layout` describes, holding `source`'s value: a Secret whose data is a
    Pulumi secret, or an ExternalSecret that creates it from the cloud secret manager."""
    if source.value is not None:
        value = pulumi.Output.secret(source.value)
        if layout.template is not None:
            template = layout.template
            value = value.apply(lambda v: template.replace("{{ .value }}", _json_text(v)))
        return k8s.core.v1.Secret(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=layout.name, namespace=layout.namespace, labels=dict(layout.labels) or None
            ),
            type=layout.secret_type,
            string_data={**layout.plain, layout.secret_key: value},
            opts=cluster.child_opts(parent, depends_on=depends_on),
        )
    assert source.store is not None and source.store_key is not None
    return external_secret(
        layout.name,
        store=source.store,
        namespace=layout.namespace,
        data={"value": source.store_key},
        secret_type=layout.secret_type,
        template=_external_template(layout),
        resource_name=resource_name,
        opts=cluster.child_opts(parent, depends_on=depends_on),
    )


def _external_template(layout: SecretLayout) -> dict[str, Any]:
    """The template an ExternalSecret writes `layout` with: the cloud secret as the secret
    key's value (`{{ .value }}`), beside the plain keys and labels."""
    template_data = {k: _escaped(v) for k, v in layout.plain.items()}
    template_data[layout.secret_key] = (
        layout.template if layout.template is not None else "{{ .value }}"
    )
    template: dict[str, Any] = {"engineVersion": "v2", "data": template_data}
    if layout.labels:
        template["metadata"] = {"labels": dict(layout.labels)}
    return template


def _escaped(value: str) -> str:
    """A literal for an External Secrets template: `{{` would start an action."""
    return value.replace("{{", '{{ "{{" }}')


def _json_text(value: str) -> str:
    """`value` as the inside of a JSON string."""
    return json.dumps(value)[1:-1]
