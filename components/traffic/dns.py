"""external-dns: publishes the hostnames of Gateway routes, Ingresses and annotated Services
into one DNS zone (Route53 or Cloud DNS), acting through the cluster's workload identity or,
on an existing cluster, through credentials kept in a Kubernetes Secret."""

from __future__ import annotations

from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster, WorkloadIdentity, WorkloadIdentityRequest
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.observability import scrapes
from kube_platform.components.traffic.dns_zone import (
    AWS_SECRET_KEY,
    GOOGLE_KEY,
    DnsZone,
    bind_zone_identity,
    credentials_secret,
    require_identity_cloud,
    route53_policy,
)
from kube_platform.components.validation import KubernetesName

SERVICE_ACCOUNT = "external-dns"
CREDENTIALS_SECRET = "external-dns-credentials"
GOOGLE_KEY_DIR = "/etc/external-dns/google"
DEFAULT_SOURCES = ("gateway-httproute", "ingress", "service")
DnsPolicy = Literal["sync", "upsert-only"]
"""`upsert-only` never deletes records; `sync` also removes stale ones."""


class ExternalDnsArgs(BaseModel):
    """external-dns for one zone: the zone, who owns the records, and what it may change."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    zone: DnsZone = Field(description="The zone records are written to; nothing outside it.")
    txt_owner_id: str = Field(
        description="Owner id in the TXT registry; unique per stack so two stacks sharing a "
        "zone never touch each other's records."
    )
    policy: DnsPolicy = Field(
        "upsert-only",
        description="`upsert-only` never deletes records; `sync` also removes stale ones.",
    )
    sources: tuple[str, ...] = Field(DEFAULT_SOURCES, description="Kinds of objects to watch.")
    namespace: KubernetesName = Field("external-dns", description="Namespace of external-dns.")
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(
        None, description="With it, the chart's ServiceMonitor is on and waits for them."
    )
    resources: Resources = Field(
        Resources(cpu="20m", memory="64Mi"), description="Requests of external-dns."
    )
    extra_values: dict[str, Any] = Field(
        {}, description="Extra external-dns chart values, merged over the platform's."
    )


class ExternalDns(pulumi.ComponentResource):
    """external-dns publishing the hostnames of Gateway routes, Ingresses and Services into
    one zone, and nothing outside it.

    Outputs:

    - `release`: the external-dns release.
    """

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: ExternalDnsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install external-dns in `cluster` for `args.zone`; `name` prefixes every child's
        name. `opts` applies to the component itself."""
        super().__init__("platform:index:ExternalDns", name, None, opts)
        self._cluster, self._name_prefix, self._args = cluster, name, args
        namespace = platform_namespace(cluster, args.namespace, self)
        zone = args.zone

        values = external_dns_values(args)
        before: list[pulumi.Resource] = [namespace]
        if args.monitoring_crds is not None:
            values |= scrapes.external_dns_values()
            before.append(args.monitoring_crds)
        if zone.static_credentials:
            before.append(
                credentials_secret(
                    cluster,
                    zone,
                    f"{name}-credentials",
                    secret_name=CREDENTIALS_SECRET,
                    namespace=args.namespace,
                    after=namespace,
                    parent=self,
                )
            )
            values |= static_credentials_values(zone)
        else:
            identity = self._identity(zone)
            values["serviceAccount"]["annotations"] = identity.service_account_annotations
            before += identity.ready

        self.release = helm_release(
            cluster,
            f"{name}-external-dns",
            versions.EXTERNAL_DNS,
            namespace=args.namespace,
            values=values,
            extra_values=args.extra_values,
            parent=self,
            depends_on=before,
        )
        self.register_outputs({"zone": zone.name, "txtOwnerId": args.txt_owner_id})

    def _identity(self, zone: DnsZone) -> WorkloadIdentity:
        cluster, args = self._cluster, self._args
        require_identity_cloud(cluster, zone, f"external-dns on {zone.provider_name}")
        request = WorkloadIdentityRequest(
            name="external-dns",
            namespace=args.namespace,
            service_account=SERVICE_ACCOUNT,
            aws_policy=(
                route53_policy(
                    cluster,
                    zone.route53,
                    record_actions=(
                        "route53:ChangeResourceRecordSets",
                        "route53:ListResourceRecordSets",
                        "route53:ListTagsForResources",
                    ),
                    account_actions=["route53:ListHostedZones"],
                )
                if zone.route53
                else None
            ),
            # Listing zones is project-wide; writing is granted on the zone only.
            gcp_project_roles=("roles/dns.reader",) if zone.cloud_dns else (),
        )
        return bind_zone_identity(
            cluster, zone, request, zone_grant_name=f"{self._name_prefix}-zone-admin", parent=self
        )


def external_dns_values(args: ExternalDnsArgs) -> dict[str, Any]:
    """Values for the pinned external-dns chart (keys from its values.schema.json)."""
    zone = args.zone
    if zone.route53 is not None:
        provider = "aws"
        extra_args = [f"--zone-id-filter={zone.route53.hosted_zone_id}"]
        env = [{"name": "AWS_DEFAULT_REGION", "value": zone.route53.region}]
    else:
        provider = "google"
        extra_args = [f"--google-project={zone.cloud_dns.project}"]
        env = []
    return {
        "provider": {"name": provider},
        "sources": list(args.sources),
        "policy": args.policy,
        "registry": "txt",
        "txtOwnerId": args.txt_owner_id,
        "domainFilters": [zone.name],
        "extraArgs": extra_args,
        "env": env,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "resources": args.resources.values(),
    }


def static_credentials_values(zone: DnsZone) -> dict[str, Any]:
    """Chart values that read credentials from the Secret, never from the values."""
    if zone.route53 is not None:
        secret_ref = {"name": CREDENTIALS_SECRET, "key": AWS_SECRET_KEY}
        return {
            "env": [
                {"name": "AWS_DEFAULT_REGION", "value": zone.route53.region},
                {"name": "AWS_ACCESS_KEY_ID", "value": zone.route53.access_key_id},
                {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": secret_ref}},
            ]
        }
    return {
        "env": [
            {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{GOOGLE_KEY_DIR}/{GOOGLE_KEY}"}
        ],
        "extraVolumes": [
            {"name": "google-credentials", "secret": {"secretName": CREDENTIALS_SECRET}}
        ],
        "extraVolumeMounts": [
            {"name": "google-credentials", "mountPath": GOOGLE_KEY_DIR, "readOnly": True}
        ],
    }
