"""A private path to the cluster API through Tailscale.

The Tailscale Kubernetes operator joins the tailnet and runs the API server proxy in auth
mode: a request from the tailnet is forwarded to the API server impersonating the caller's
tailnet identity (per tailnet ACL grants), so Kubernetes RBAC decides what each engineer may
do and no cluster credential leaves the cluster. The operator reads its OAuth client from the
`operator-oauth` Secret, created here from secret config or synced by External Secrets from
the cloud secret manager; credentials never go into Helm values.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.security.secrets import SecretStoreRef, external_secret
from kube_platform.components.validation import KubernetesName, checked, matching

OAUTH_SECRET = "operator-oauth"
# The operator image runs as root and writes its tailnet state under $HOME, so `restricted`
# would stop it; it needs no host access, so `baseline` suffices. Nothing here creates the
# privileged per-Service proxies.
POD_SECURITY = "baseline"


_TAILNET_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_TAG_RE = re.compile(r"^tag:[A-Za-z0-9-]+$")


def _tailnet(value: Any) -> str:
    name = value.lower().removesuffix(".ts.net") if isinstance(value, str) else ""
    if not _TAILNET_RE.match(name):
        raise ValueError(
            f"{value!r} is not a tailnet DNS name; copy it from the admin console's DNS page, "
            "e.g. 'tail1234.ts.net'"
        )
    return name


Tailnet = checked(_tailnet)
"""A tailnet DNS name (`tail1234.ts.net`), kept without `.ts.net`."""
TailscaleTag = matching(_TAG_RE, "is not an ACL tag; use tags such as 'tag:k8s-operator'")
"""A Tailscale ACL tag, `tag:<name>`."""


class TailscaleArgs(BaseModel):
    """The operator's tailnet identity (machine name, tailnet, ACL tags) and its OAuth
    client, from secret Outputs or from a secret store."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field("tailscale", description="Namespace of the operator.")
    hostname: KubernetesName = Field(
        description="Tailnet machine name of the operator / API proxy."
    )
    tailnet: Tailnet = Field(description="Tailnet DNS name, e.g. `tail1234` or `tail1234.ts.net`.")
    tags: tuple[TailscaleTag, ...] = Field(
        ("tag:k8s-operator",), min_length=1, description="Operator ACL tags."
    )
    # Secret Outputs from config, or None when the credentials come from `oauth_from_store`.
    oauth_client_id: Any = Field(None, description="OAuth client id (secret Output).")
    oauth_client_secret: Any = Field(None, description="OAuth client secret (secret Output).")
    # A SecretStoreRef; typed loosely because pydantic cannot validate its Output fields.
    oauth_from_store: Any = Field(
        None, description="Store to read the OAuth credentials from (with `oauth_secret_key`)."
    )
    oauth_secret_key: str | None = Field(
        None, description="Remote key of a JSON object with `client_id` and `client_secret`."
    )
    resources: Resources = Field(
        Resources(cpu="20m", memory="96Mi"), description="Requests of the operator."
    )
    extra_values: dict[str, Any] = Field({}, description="Extra chart values (escape hatch).")

    @model_validator(mode="after")
    def _one_credential_source(self) -> TailscaleArgs:
        from_config = self.oauth_client_id is not None and self.oauth_client_secret is not None
        if self.oauth_from_store is not None and not isinstance(
            self.oauth_from_store, SecretStoreRef
        ):
            raise ValueError("oauth_from_store must be a SecretStoreRef")
        from_store = self.oauth_from_store is not None and self.oauth_secret_key is not None
        if from_config == from_store:
            raise ValueError(
                "give the OAuth client either as oauth_client_id/oauth_client_secret or as "
                "oauth_from_store/oauth_secret_key"
            )
        return self

    @property
    def server(self) -> str:
        return f"https://{self.hostname}.{self.tailnet}.ts.net"


class TailscaleAccess(pulumi.ComponentResource):
    """The Tailscale operator with its API server proxy in auth mode, and a kubeconfig
    through it: engineers on the tailnet reach the API with their tailnet identity.

    Outputs:

    - `server`: the proxy's URL, `https://<hostname>.<tailnet>.ts.net`.
    - `kubeconfig`: a secret kubeconfig whose server is the proxy.
    """

    kubeconfig: pulumi.Output[str]
    """A secret kubeconfig whose server is the proxy's tailnet name."""
    server: str

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: TailscaleArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install the operator in `cluster` with the tailnet identity and OAuth client of
        `args`; `name` prefixes every child's name. `opts` applies to the component itself."""
        super().__init__("platform:index:TailscaleAccess", name, None, opts)
        namespace = platform_namespace(cluster, args.namespace, self, pod_security=POD_SECURITY)
        credentials = self._oauth_secret(cluster, args, namespace)
        helm_release(
            cluster,
            f"{name}-operator",
            versions.TAILSCALE_OPERATOR,
            namespace=args.namespace,
            values={
                "installCRDs": True,
                "operatorConfig": {
                    "hostname": args.hostname,
                    "defaultTags": list(args.tags),
                    "resources": args.resources.values(),
                },
                # "true" is auth mode: callers are impersonated by their tailnet identity.
                # The chart then also installs the impersonation ClusterRole.
                "apiServerProxyConfig": {"mode": "true"},
            },
            extra_values=args.extra_values,
            parent=self,
            depends_on=[namespace, credentials],
        )
        self.server = args.server
        self.kubeconfig = pulumi.Output.secret(_kubeconfig(args.hostname, args.server))
        self.register_outputs({"server": self.server, "kubeconfig": self.kubeconfig})

    def _oauth_secret(
        self, cluster: Cluster, args: TailscaleArgs, namespace: pulumi.Resource
    ) -> pulumi.Resource:
        if args.oauth_from_store is not None and args.oauth_secret_key is not None:
            return external_secret(
                f"{self._name}-oauth",
                store=args.oauth_from_store,
                namespace=args.namespace,
                target=OAUTH_SECRET,
                extract=[args.oauth_secret_key],
                opts=cluster.child_opts(self, depends_on=[namespace]),
            )
        return k8s.core.v1.Secret(
            f"{self._name}-oauth",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OAUTH_SECRET, namespace=args.namespace),
            type="Opaque",
            string_data={
                "client_id": pulumi.Output.secret(args.oauth_client_id),
                "client_secret": pulumi.Output.secret(args.oauth_client_secret),
            },
            opts=cluster.child_opts(self, depends_on=[namespace]),
        )


def _kubeconfig(hostname: str, server: str) -> str:
    """A kubeconfig for the API server proxy. The proxy authenticates the caller by tailnet
    identity and presents a publicly trusted certificate for its ts.net name, so there is no
    token and no CA to embed (`unused` is what `tailscale configure kubeconfig` writes)."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": hostname, "cluster": {"server": server}}],
            "users": [{"name": f"tailscale-{hostname}", "user": {"token": "unused"}}],
            "contexts": [
                {
                    "name": hostname,
                    "context": {"cluster": hostname, "user": f"tailscale-{hostname}"},
                }
            ],
            "current-context": hostname,
        },
        sort_keys=False,
    )
