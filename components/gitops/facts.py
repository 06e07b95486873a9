"""Platform facts: what a manifest in Git needs to know about the platform Pulumi built (its
domain, Gateway, issuer, secret store, databases, ...), published in the cluster under stable
names so Git never hard-codes what Pulumi decided.

Flux substitutes them as `${name}` (a `platform-facts` ConfigMap read by `postBuild`); Argo CD
exposes them on the in-cluster cluster Secret to ApplicationSet generators. Facts are not
secret: nothing here is a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from kube_platform.components.cluster import Cluster

CONFIG_MAP = "platform-facts"
# Annotation and label keys on the Argo CD cluster Secret: `<prefix><fact name>`.
KEY_PREFIX = "facts.kube-platform/"
# Flux variable names (and so fact names): letters, digits and underscores.
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Concern = Literal["always", "cloud", "issuer", "domain", "dns", "secret-store"]


@dataclass(frozen=True)
class Fact:
    name: str
    concern: Concern
    description: str


# Every fact's name is API: a manifest in Git references it. Add facts; never rename one.
FACTS: tuple[Fact, ...] = (
    Fact("stack", "always", "Pulumi stack name, e.g. `prod`."),
    Fact("tier", "always", "`dev`, `staging` or `prod`."),
    Fact("cloud", "always", "`aws`, `gcp` or `existing`."),
    Fact("cluster_name", "always", "Name of the Kubernetes cluster."),
    Fact(
        "gateway_name",
        "always",
        "Name of the platform `Gateway`; a route names no `sectionName`: the HTTPS listener of "
        "each hostname in `access.namespaces[].hostnames` admits that namespace only.",
    ),
    Fact("gateway_namespace", "always", "Namespace of the platform `Gateway`."),
    Fact("cluster_issuer", "issuer", "cert-manager `ClusterIssuer` for certificates."),
    Fact(
        "storage_class_database",
        "always",
        "StorageClass that keeps volumes (`reclaimPolicy: Retain`), for data.",
    ),
    Fact("region", "cloud", "Cloud region of the cluster."),
    Fact("cloud_account", "cloud", "AWS account id (EKS) or Google Cloud project id (GKE)."),
    Fact("storage_class", "cloud", "Default StorageClass (`gp3` on EKS, `standard-rwo` on GKE)."),
    Fact("platform_domain", "domain", "Domain the Gateway serves, with `*.` under it."),
    Fact("dns_zone", "dns", "DNS zone external-dns writes records into."),
    Fact("secret_store", "secret-store", "External Secrets `ClusterSecretStore` name."),
    Fact("secret_prefix", "secret-store", "Name prefix of this stack's cloud secrets."),
)
DATABASE_FACTS: tuple[Fact, ...] = (
    Fact("database_<db>_secret", "always", "Connection Secret of database `<db>`."),
    Fact("database_<db>_namespace", "always", "Namespace of database `<db>` and its Secret."),
    Fact("database_<db>_host", "always", "Read-write service host of database `<db>`."),
)
LABEL_FACTS = ("stack", "tier", "cloud", "region")
"""Facts also set as labels on the Argo CD cluster Secret (label-safe values, for selectors)."""


def database_fact(database: str, field: Literal["secret", "namespace", "host"]) -> str:
    """The fact name for one field of a database: `app-db` -> `database_app_db_secret`."""
    return f"database_{database.replace('-', '_')}_{field}"


def check_names(facts: Mapping[str, object]) -> None:
    bad = [name for name in facts if not _NAME_RE.match(name)]
    if bad:
        raise ValueError(f"fact names must be lowercase identifiers: {bad}")


def facts_config_map(
    cluster: Cluster,
    resource_name: str,
    facts: Mapping[str, pulumi.Input[str]],
    *,
    namespace: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> k8s.core.v1.ConfigMap:
    """The `platform-facts` ConfigMap. Flux reads it for `postBuild.substituteFrom`."""
    check_names(facts)
    return k8s.core.v1.ConfigMap(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=CONFIG_MAP,
            namespace=namespace,
            labels={"app.kubernetes.io/managed-by": "pulumi"},
        ),
        data=dict(facts),
        opts=cluster.child_opts(parent, depends_on=depends_on),
    )
