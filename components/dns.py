"""external-dns: publishes the hostnames of Gateway routes, Ingresses and annotated Services
into one DNS zone (Route53 or Cloud DNS), acting through the cluster's workload identity or,
on an existing cluster, through credentials kept in a Kubernetes Secret."""

from __future__ import annotations

import json
from typing import Any, Literal

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from components import versions
from components.cluster import Cluster, WorkloadIdentityRequest
from components.dns_zone import DNS_ADMIN, GOOGLE_KEY, DnsZone
from components.errors import ConfigurationError
from components.helm import helm_release
from components.namespace import platform_namespace

SERVICE_ACCOUNT = "external-dns"
CREDENTIALS_SECRET = "external-dns-credentials"
GOOGLE_KEY_DIR = "/etc/external-dns/google"
DEFAULT_SOURCES = ("gateway-httproute", "ingress", "service")


class ExternalDnsArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    zone: DnsZone = Field(description="The zone records are written to; nothing outside it.")
    txt_owner_id: str = Field(
        description="Owner id in the TXT registry; unique per stack so two stacks sharing a "
        "zone never touch each other's records."
    )
    policy: Literal["sync", "upsert-only"] = Field(
        "upsert-only",
        description="`upsert-only` never deletes records; `sync` also removes stale ones.",
    )
    sources: tuple[str, ...] = Field(DEFAULT_SOURCES, description="Kinds of objects to watch.")
    namespace: str = Field("external-dns", description="Namespace of external-dns.")


class ExternalDns(pulumi.ComponentResource):
    """external-dns for one zone."""

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: ExternalDnsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("platform:index:ExternalDns", name, None, opts)
        self._cluster, self._name_prefix, self._args = cluster, name, args
        namespace = platform_namespace(cluster, args.namespace, self)
        zone = args.zone

        values = external_dns_values(args)
        before: list[pulumi.Resource] = [namespace]
        if zone.static_credentials:
            before.append(self._credentials_secret(zone, namespace))
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
            parent=self,
            depends_on=before,
        )
        self.register_outputs({"zone": zone.name, "txtOwnerId": args.txt_owner_id})

    def _identity(self, zone: DnsZone):
        cluster, args = self._cluster, self._args
        if zone.route53 is not None and cluster.cloud != "aws":
            raise ConfigurationError("external-dns on Route53 through workload identity needs EKS")
        if zone.cloud_dns is not None and cluster.cloud != "gcp":
            raise ConfigurationError(
                "external-dns on Cloud DNS through workload identity needs GKE"
            )
        identity = cluster.bind_workload_identity(
            WorkloadIdentityRequest(
                name="external-dns",
                namespace=args.namespace,
                service_account=SERVICE_ACCOUNT,
                aws_policy=(
                    external_dns_route53_policy(zone.route53.hosted_zone_id)
                    if zone.route53
                    else None
                ),
                # Listing zones is project-wide; writing is granted on the zone below.
                gcp_project_roles=("roles/dns.reader",) if zone.cloud_dns else (),
            ),
            self,
        )
        if zone.cloud_dns is not None:
            identity.ready.append(
                gcp.dns.DnsManagedZoneIamMember(
                    f"{self._name_prefix}-zone-admin",
                    project=zone.cloud_dns.project,
                    managed_zone=zone.cloud_dns.managed_zone,
                    role=DNS_ADMIN,
                    member=pulumi.Output.concat("serviceAccount:", identity.principal),
                    opts=cluster.cloud_opts(self),
                )
            )
        return identity

    def _credentials_secret(
        self, zone: DnsZone, namespace: k8s.core.v1.Namespace
    ) -> k8s.core.v1.Secret:
        if zone.route53 is not None:
            data = {"secret-access-key": zone.route53.secret_access_key}
        else:
            data = {GOOGLE_KEY: zone.cloud_dns.service_account_key}
        return k8s.core.v1.Secret(
            f"{self._name_prefix}-credentials",
            metadata={"name": CREDENTIALS_SECRET, "namespace": self._args.namespace},
            type="Opaque",
            string_data=pulumi.Output.secret(data),
            opts=self._cluster.child_opts(self, depends_on=[namespace]),
        )


def external_dns_route53_policy(hosted_zone_id: str) -> str:
    """Write records in one hosted zone; list zones to find it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "route53:ChangeResourceRecordSets",
                        "route53:ListResourceRecordSets",
                        "route53:ListTagsForResources",
                    ],
                    "Resource": f"arn:aws:route53:::hostedzone/{hosted_zone_id}",
                },
                {"Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": "*"},
            ],
        }
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
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}},
    }


def static_credentials_values(zone: DnsZone) -> dict[str, Any]:
    """Chart values that read credentials from the Secret, never from the values."""
    if zone.route53 is not None:
        secret_ref = {"name": CREDENTIALS_SECRET, "key": "secret-access-key"}
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
