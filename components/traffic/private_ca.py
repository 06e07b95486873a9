"""A private CA for stacks whose domain no public CA serves (dev, no public DNS).

It can sign only the platform's own names, three ways over:
- its root is generated and kept by cert-manager in the cluster (a self-signed Issuer), so the
  key never enters Pulumi state, and it is renewed before it expires;
- the root carries an X.509 name constraint: clients that trust it accept only certificates
  for the platform domain, whatever the CA is made to sign;
- cert-manager approver-policy approves a request to it only from the namespace of the
  platform certificate, only for names in the platform domain; cert-manager's own approver no
  longer approves for it (`approveSignerNames` leaves it out), so anything else stays pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.observability import scrapes
from kube_platform.components.validation import DomainName, KubernetesName

CERT_MANAGER_API = "cert-manager.io/v1"
POLICY_API = "policy.cert-manager.io/v1alpha1"
PRIVATE_CA = "private-ca"
ROOT_ISSUER = "private-ca-self-signed"
# Not the `private-ca` Secret Pulumi used to hold the root in: cert-manager writes this one.
CA_SECRET = "private-ca-root"
SIGNER = f"clusterissuers.cert-manager.io/{PRIVATE_CA}"
# Leaf certificates: cert-manager's default lifetime is the longest the CA will sign.
MAX_LEAF_DURATION = "2160h"


class PrivateCaArgs(BaseModel):
    """A private root CA that can certify one domain only, for one namespace only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    common_name: str = Field(description="Common name of the root certificate.")
    domain: DomainName = Field(
        description="The only DNS domain (and its subdomains) the CA may certify: the root's "
        "name constraint and the approval policy."
    )
    requester_namespace: KubernetesName = Field(
        description="The only namespace whose certificates the CA signs (the platform "
        "certificate's)."
    )
    validity_hours: int = Field(
        24 * 365, ge=24 * 30, description="Lifetime of the root; cert-manager renews it."
    )
    renew_before_hours: int = Field(24 * 30, ge=24, description="Renew the root this early.")


@dataclass
class PrivateCa:
    issuer: k8s.apiextensions.CustomResource
    """The `private-ca` ClusterIssuer; it exists only once its approval policy does."""
    approver: k8s.helm.v3.Release


def private_ca(
    cluster: Cluster,
    name: str,
    args: PrivateCaArgs,
    *,
    cert_manager_namespace: str,
    cert_manager: pulumi.Resource,
    cert_manager_service_account: str,
    requester_after: Sequence[pulumi.Resource],
    high_availability: bool,
    parent: pulumi.Resource,
    resources: Resources,
    monitoring_crds: pulumi.Resource | None = None,
) -> PrivateCa:
    """The root (generated in the cluster), the `private-ca` ClusterIssuer, approver-policy
    and the policy that restricts what the issuer may sign. `requester_after`: what creates
    the requester namespace (the RBAC that binds the policy lives there)."""

    def custom(
        suffix: str,
        api_version: str,
        kind: str,
        metadata: dict[str, Any],
        spec: dict[str, Any],
        after: list[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{name}-{suffix}",
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=spec,
            opts=cluster.child_opts(parent, depends_on=after),
        )

    approver = helm_release(
        cluster,
        f"{name}-approver-policy",
        versions.CERT_MANAGER_APPROVER_POLICY,
        namespace=cert_manager_namespace,
        values=approver_policy_values(
            high_availability, resources, monitoring=monitoring_crds is not None
        ),
        parent=parent,
        depends_on=[cert_manager, *([monitoring_crds] if monitoring_crds is not None else [])],
    )
    root_issuer = custom(
        "root-issuer",
        CERT_MANAGER_API,
        "Issuer",
        {"name": ROOT_ISSUER, "namespace": cert_manager_namespace},
        {"selfSigned": {}},
        [cert_manager],
    )
    root = custom(
        "root",
        CERT_MANAGER_API,
        "Certificate",
        {"name": CA_SECRET, "namespace": cert_manager_namespace},
        root_certificate_spec(args),
        [cert_manager, root_issuer],
    )
    policy = custom(
        "policy",
        POLICY_API,
        "CertificateRequestPolicy",
        {"name": PRIVATE_CA},
        approval_policy_spec(args),
        [approver],
    )
    # approver-policy applies a policy only to requesters allowed to `use` it; cert-manager's
    # controller creates the platform certificate's requests, in that namespace only.
    role_meta = {"name": f"{PRIVATE_CA}-policy", "namespace": args.requester_namespace}
    role = k8s.rbac.v1.Role(
        f"{name}-policy-user",
        metadata=role_meta,
        rules=[
            {
                "apiGroups": ["policy.cert-manager.io"],
                "resources": ["certificaterequestpolicies"],
                "verbs": ["use"],
                "resourceNames": [PRIVATE_CA],
            }
        ],
        opts=cluster.child_opts(parent, depends_on=requester_after),
    )
    binding = k8s.rbac.v1.RoleBinding(
        f"{name}-policy-user",
        metadata=role_meta,
        role_ref={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": role_meta["name"],
        },
        subjects=[
            {
                "kind": "ServiceAccount",
                "name": cert_manager_service_account,
                "namespace": cert_manager_namespace,
            }
        ],
        opts=cluster.child_opts(parent, depends_on=[role]),
    )
    # Named `name` itself, as the ClusterIssuer always was.
    issuer = k8s.apiextensions.CustomResource(
        name,
        api_version=CERT_MANAGER_API,
        kind="ClusterIssuer",
        metadata={"name": PRIVATE_CA},
        spec={"ca": {"secretName": CA_SECRET}},
        opts=cluster.child_opts(parent, depends_on=[cert_manager, root, policy, binding]),
    )
    return PrivateCa(issuer=issuer, approver=approver)


def root_certificate_spec(args: PrivateCaArgs) -> dict[str, Any]:
    """A self-signed CA certificate, name-constrained to the platform domain."""
    return {
        "isCA": True,
        "commonName": args.common_name,
        "subject": {"organizations": ["Platform"]},
        "secretName": CA_SECRET,
        "duration": f"{args.validity_hours}h",
        "renewBefore": f"{args.renew_before_hours}h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["cert sign", "crl sign", "digital signature"],
        "nameConstraints": {"critical": True, "permitted": {"dnsDomains": [args.domain]}},
        "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": ROOT_ISSUER},
    }


def approval_policy_spec(args: PrivateCaArgs) -> dict[str, Any]:
    """Server certificates for names in the platform domain, requested from the platform
    certificate's namespace; nothing else from the `private-ca` issuer is approved."""
    return {
        "allowed": {
            "dnsNames": {"required": True, "values": [args.domain, f"*.{args.domain}"]},
            "usages": ["digital signature", "key encipherment", "server auth"],
            "isCA": False,
        },
        "constraints": {
            "maxDuration": MAX_LEAF_DURATION,
            "privateKey": {"algorithm": "ECDSA"},
        },
        "selector": {
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": PRIVATE_CA},
            "namespace": {"matchNames": [args.requester_namespace]},
        },
    }


def approver_policy_values(
    high_availability: bool, resources: Resources, *, monitoring: bool = False
) -> dict[str, Any]:
    """Values for the pinned approver-policy chart (keys from its values.schema.json)."""
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        # It may approve or deny for the private CA alone; cert-manager approves the rest.
        "app": {"approveSignerNames": [SIGNER]},
        "resources": resources.values(),
    }
    if monitoring:
        values = merge_values(values, scrapes.approver_policy_values())
    if high_availability:
        values["replicaCount"] = 2
        values["podDisruptionBudget"] = {"enabled": True, "minAvailable": 1}
    return values
