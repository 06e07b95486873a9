"""The monitoring stack: kube-prometheus-stack with the platform's alerts, alert routing,
Grafana behind the platform Gateway, and optional remote write to a managed Prometheus.

Namespaces: everything runs in `monitoring` at Pod Security `restricted`, except node-exporter,
which reads the node's /proc, /sys and root filesystem through hostPath volumes and shares the
host's network and PID namespaces (chart defaults `hostNetwork`, `hostPID`, `hostRootFsMount`);
`baseline` forbids all of these, so it runs alone in its own `privileged` namespace.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import (
    Cluster,
    WorkloadIdentity,
    WorkloadIdentityRequest,
    eks_autoscaler,
)
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources, check_workloads, requests_of
from kube_platform.components.kubernetes.scheduling import spread_constraints
from kube_platform.components.observability import alerting, dashboards
from kube_platform.components.observability.alerts import AlertSources, rule_groups
from kube_platform.components.observability.crds import (
    ALERTMANAGER_CONFIG_API_VERSION,
    monitoring_object,
)
from kube_platform.components.traffic.gateway_api import (
    GatewayRef,
    gateway_resource,
    route_namespace_labels,
)
from kube_platform.components.validation import (
    Hostname,
    PrometheusRetention,
    PrometheusSize,
    Replicas,
    StorageSize,
)

RELEASE = versions.KUBE_PROMETHEUS_STACK.name
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_ADMIN_SECRET = "grafana-admin"
# The PrometheusRule holding every platform alert, a group per platform piece.
ALERTS_RULE = "platform-alerts"
PROMETHEUS_SERVICE_ACCOUNT = "prometheus"
GMP_WRITER_ROLE = "roles/monitoring.metricWriter"

DEFAULT_RESOURCES: dict[str, Resources] = {
    "prometheus-operator": Resources(cpu="20m", memory="64Mi"),
    "config-reloader": Resources(cpu="10m", memory="32Mi"),
    "prometheus": Resources(cpu="200m", memory="1Gi"),
    "alertmanager": Resources(cpu="10m", memory="48Mi"),
    "grafana": Resources(cpu="50m", memory="192Mi"),
    "grafana-sidecar": Resources(cpu="10m", memory="64Mi"),
    "kube-state-metrics": Resources(cpu="20m", memory="64Mi"),
    "node-exporter": Resources(cpu="20m", memory="32Mi"),
}
WORKLOADS = tuple(DEFAULT_RESOURCES)


class PrometheusArgs(BaseModel):
    """How much Prometheus keeps, on what, and how many replicas scrape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    replicas: Replicas = Field(1, description="Prometheus replicas (each scrapes everything).")
    retention: PrometheusRetention = Field(
        "10d", description="How long samples are kept, e.g. `15d`."
    )
    retention_size: PrometheusSize = Field(
        "8GB",
        description="Most disk the TSDB may use (Prometheus units: MB, GB); the oldest "
        "blocks go first. Keep it below the volume size.",
    )
    storage_size: StorageSize | None = Field(
        "10Gi", description="Persistent volume per replica; None: an emptyDir (lost on restart)."
    )


class GrafanaArgs(BaseModel):
    """Where Grafana is served (its hostname and the Gateway listener for it) and its volume."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    hostname: Hostname | None = Field(
        None, description="Served at https://<hostname> through `listener`; None: no route."
    )
    listener: GatewayRef | None = Field(
        None, description="The platform Gateway's HTTPS listener for `hostname`."
    )
    gateway_crds: Any = Field(
        None, description="What installs the Gateway API CRDs (the route waits for it)."
    )
    persistence_size: str | None = Field(
        None, description="Persistent volume for Grafana's database; None: an emptyDir."
    )

    @model_validator(mode="after")
    def _route(self) -> GrafanaArgs:
        if self.hostname is not None and self.listener is None:
            raise ValueError("a Grafana hostname needs the Gateway listener that serves it")
        return self


class RemoteWriteArgs(BaseModel):
    """Remote write of every sample to a managed Prometheus (AMP or GMP)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Literal["amp", "gmp"] = Field(
        description="`amp`: Amazon Managed Service for Prometheus (EKS); `gmp`: Google Cloud "
        "Managed Service for Prometheus (GKE)."
    )


class MonitoringArgs(BaseModel):
    """Arguments of `Monitoring`: namespaces, Prometheus, Alertmanager, Grafana, what the
    alerts watch, receivers, remote write and the requests of every workload."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: str = Field("monitoring", description="Namespace of the stack.")
    node_exporter_namespace: str = Field(
        "node-exporter", description="Namespace of node-exporter alone (privileged)."
    )
    # pulumi.Resource: the monitoring CRD installer (crds.monitoring_crds).
    crds: Any = Field(description="What installs the prometheus-operator CRDs.")
    # pulumi.Resource: the cert-manager release; it signs the operator's webhook certificate.
    cert_manager: Any = Field(description="The cert-manager release.")
    cluster_label: str = Field(description="Value of the `cluster` label on every series.")
    high_availability: bool = Field(
        False, description="Two Alertmanagers, disruption budgets and zone spread."
    )
    control_plane_metrics: bool = Field(
        False,
        description="Scrape kube-controller-manager, kube-scheduler, etcd and kube-proxy. "
        "Managed control planes (EKS, GKE) do not expose them.",
    )
    core_dns: bool = Field(True, description="Scrape CoreDNS (GKE runs kube-dns instead).")
    gke_node_pool_label: bool = Field(
        False, description="Export nodes' GKE pool label (kube_node_labels) for pool alerts."
    )
    prometheus: PrometheusArgs = Field(PrometheusArgs(), description="Prometheus.")
    alertmanager_storage_size: str | None = Field(
        None, description="Persistent volume for silences and notification state."
    )
    grafana: GrafanaArgs | None = Field(GrafanaArgs(), description="Grafana; None: none.")
    alerts: AlertSources = Field(AlertSources(), description="What the alerts watch.")
    receivers: alerting.ReceiversArgs | None = Field(
        None, description="Where alerts go; None: nowhere (still visible in Alertmanager)."
    )
    remote_write: RemoteWriteArgs | None = Field(None, description="Managed Prometheus.")
    autoscaler_service_monitor: bool = Field(
        False, description="Scrape the EKS cluster's cluster-autoscaler (kube-system)."
    )
    protect: bool = Field(True, description="Protect the managed Prometheus workspace.")
    resources: dict[str, Resources] = Field(
        DEFAULT_RESOURCES, description=f"Requests per workload: {', '.join(WORKLOADS)}."
    )
    extra_values: dict[str, Any] = Field(
        {}, description="Extra kube-prometheus-stack values, merged over the platform's."
    )

    @model_validator(mode="after")
    def _known_workloads(self) -> MonitoringArgs:
        check_workloads(self.resources, DEFAULT_RESOURCES)
        return self

    def requests(self, workload: str) -> dict[str, Any]:
        return requests_of(workload, self.resources, DEFAULT_RESOURCES).values()


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack and everything the platform adds to it: Prometheus sized per
    `args.prometheus`, Alertmanager with the platform's receivers and routes, Grafana behind
    the platform Gateway, node-exporter alone in a privileged namespace, the platform's alert
    rules, and remote write to a managed Prometheus through workload identity when asked.

    Outputs: `release` (the Helm release), `grafana_url` (https://<hostname>, when Grafana has
    a route) and `remote_write_endpoint` (the AMP workspace's endpoint, when remote write to
    Amazon is on).
    """

    release: k8s.helm.v3.Release
    grafana_url: str | None
    """https://<hostname> of Grafana, when it has a route."""
    remote_write_endpoint: pulumi.Output[str] | None
    """The managed Prometheus workspace's endpoint (AMP), when remote write is on."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: MonitoringArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install the monitoring stack described by `args` on `cluster` under the component
        name `name`; the monitoring CRDs (`args.crds`) must be installed first. `opts` applies
        to the component itself."""
        super().__init__("platform:index:Monitoring", name, None, opts)
        self._cluster, self._args = cluster, args
        grafana = args.grafana
        routed = grafana is not None and grafana.hostname is not None
        namespace = platform_namespace(
            cluster, args.namespace, self, labels=route_namespace_labels() if routed else None
        )
        node_namespace = platform_namespace(
            cluster, args.node_exporter_namespace, self, pod_security="privileged"
        )
        before: list[pulumi.Resource] = [namespace, node_namespace, args.crds, args.cert_manager]

        if grafana is not None:
            before.append(self._grafana_admin(name, namespace))
        receivers = None
        if args.receivers is not None and args.receivers.enabled:
            receivers = alerting.receivers_secret(
                cluster,
                name,
                args.receivers,
                namespace=args.namespace,
                parent=self,
                depends_on=[namespace],
            )
        before.append(
            monitoring_object(
                cluster,
                f"{name}-alertmanager-config",
                kind="AlertmanagerConfig",
                api_version=ALERTMANAGER_CONFIG_API_VERSION,
                metadata={"name": alerting.CONFIG_NAME, "namespace": args.namespace},
                spec=alerting.alertmanager_config_spec(args.receivers),
                crds=args.crds,
                parent=self,
                depends_on=[namespace, *([receivers] if receivers is not None else [])],
            )
        )

        identity, remote_write = self._remote_write(name)
        if identity is not None:
            before += identity.ready

        self.release = helm_release(
            cluster,
            f"{name}-kube-prometheus-stack",
            versions.KUBE_PROMETHEUS_STACK,
            namespace=args.namespace,
            values=stack_values(
                args,
                service_account_annotations=(
                    identity.service_account_annotations if identity is not None else {}
                ),
                remote_write=remote_write,
            ),
            extra_values=args.extra_values,
            # The CRDs are applied above, from the same chart release.
            skip_crds=True,
            parent=self,
            depends_on=before,
            timeout_seconds=900,
        )

        groups = rule_groups(args.alerts)
        if groups:
            monitoring_object(
                cluster,
                f"{name}-platform-alerts",
                kind="PrometheusRule",
                metadata={"name": ALERTS_RULE, "namespace": args.namespace},
                spec={"groups": groups},
                crds=args.crds,
                parent=self,
                depends_on=[namespace],
            )
        if args.autoscaler_service_monitor:
            monitoring_object(
                cluster,
                f"{name}-cluster-autoscaler",
                kind="ServiceMonitor",
                metadata={"name": "cluster-autoscaler", "namespace": eks_autoscaler.NAMESPACE},
                spec={
                    "selector": {"matchLabels": eks_autoscaler.SERVICE_LABELS},
                    "endpoints": [{"port": eks_autoscaler.METRICS_PORT_NAME, "path": "/metrics"}],
                },
                crds=args.crds,
                parent=self,
            )

        self.grafana_url = None
        if grafana is not None and grafana.hostname is not None and grafana.listener:
            self.grafana_url = f"https://{grafana.hostname}"
            gateway_resource(
                cluster,
                f"{name}-grafana-route",
                kind="HTTPRoute",
                metadata={"name": "grafana", "namespace": args.namespace},
                spec=grafana_route_spec(grafana.hostname, grafana.listener),
                parent=self,
                depends_on=[
                    namespace,
                    self.release,
                    *([grafana.gateway_crds] if grafana.gateway_crds is not None else []),
                ],
            )
        self.register_outputs(
            {
                "namespace": args.namespace,
                "grafanaUrl": self.grafana_url,
                "remoteWriteEndpoint": self.remote_write_endpoint,
            }
        )

    def _grafana_admin(self, name: str, namespace: pulumi.Resource) -> k8s.core.v1.Secret:
        """Grafana's admin login: a random password in a Secret the chart references, never a
        chart value."""
        password = random.RandomPassword(
            f"{name}-grafana-admin",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GRAFANA_ADMIN_SECRET, namespace=self._args.namespace
            ),
            type="Opaque",
            string_data={
                "admin-user": "admin",
                "admin-password": pulumi.Output.secret(password.result),
            },
            opts=self._cluster.child_opts(self, depends_on=[namespace]),
        )

    def _remote_write(
        self, name: str
    ) -> tuple[WorkloadIdentity | None, list[dict[str, Any]] | None]:
        """The managed service's identity for Prometheus's service account, and the
        `remoteWrite` entries (AMP) or None (GMP exports from its Prometheus fork)."""
        self.remote_write_endpoint = None
        remote = self._args.remote_write
        if remote is None:
            return None, None
        cluster, args = self._cluster, self._args
        if remote.service == "amp":
            workspace = aws.amp.Workspace(
                f"{name}-amp",
                alias=args.cluster_label,
                opts=cluster.cloud_opts(self, protect=args.protect),
            )
            self.remote_write_endpoint = workspace.prometheus_endpoint
            # IRSA: Amazon Managed Service for Prometheus documents ingestion from EKS with
            # IAM roles for service accounts (AMP-onboard-ingest-metrics-existing-Prometheus).
            identity = cluster.bind_workload_identity(
                WorkloadIdentityRequest(
                    name="prometheus-remote-write",
                    namespace=args.namespace,
                    service_account=PROMETHEUS_SERVICE_ACCOUNT,
                    aws_mechanism="irsa",
                    aws_policy=workspace.arn.apply(amp_remote_write_policy),
                ),
                self,
            )
            return identity, [
                {
                    "url": pulumi.Output.concat(
                        workspace.prometheus_endpoint, "api/v1/remote_write"
                    ),
                    "sigv4": {"region": cluster.region},
                }
            ]
        identity = cluster.bind_workload_identity(
            WorkloadIdentityRequest(
                name="prometheus-gmp",
                namespace=args.namespace,
                service_account=PROMETHEUS_SERVICE_ACCOUNT,
                gcp_project_roles=(GMP_WRITER_ROLE,),
            ),
            self,
        )
        return identity, None


def amp_remote_write_policy(workspace_arn: str) -> str:
    """Write samples to one workspace, nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["aps:RemoteWrite"], "Resource": workspace_arn}
            ],
        }
    )


def grafana_route_spec(hostname: str, listener: GatewayRef) -> dict[str, Any]:
    """Grafana behind the Gateway's HTTPS listener for its hostname (never the HTTP one)."""
    return {
        "parentRefs": [listener.parent_ref()],
        "hostnames": [hostname],
        "rules": [{"backendRefs": [{"name": GRAFANA_SERVICE, "port": 80}]}],
    }


def _volume_claim(size: str) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        }
    }


def stack_values(
    args: MonitoringArgs,
    *,
    service_account_annotations: dict[str, Any],
    remote_write: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """Values for the pinned kube-prometheus-stack chart and its sub-charts (keys from their
    values.yaml files; the chart has no values schema)."""
    ha = args.high_availability
    control_plane = args.control_plane_metrics
    prometheus = args.prometheus
    prometheus_spec: dict[str, Any] = {
        "replicas": prometheus.replicas,
        "retention": prometheus.retention,
        "retentionSize": prometheus.retention_size,
        "externalLabels": {"cluster": args.cluster_label},
        "resources": args.requests("prometheus"),
        # Select every ServiceMonitor, PodMonitor, rule, probe and scrape config in every
        # namespace, not only those labelled with this release.
        **{
            f"{kind}SelectorNilUsesHelmValues": False
            for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
        },
    }
    if prometheus.storage_size is not None:
        prometheus_spec["storageSpec"] = _volume_claim(prometheus.storage_size)
    if remote_write is not None:
        prometheus_spec["remoteWrite"] = remote_write
    if args.remote_write is not None and args.remote_write.service == "gmp":
        registry, repository, tag = versions.image_parts(versions.GMP_PROMETHEUS_IMAGE)
        prometheus_spec["image"] = {"registry": registry, "repository": repository, "tag": tag}
        prometheus_spec["version"] = versions.GMP_PROMETHEUS_VERSION
    alertmanager_spec: dict[str, Any] = {
        "replicas": 2 if ha else 1,
        # The platform's AlertmanagerConfig is the whole configuration (alerting.py).
        "alertmanagerConfiguration": {"name": alerting.CONFIG_NAME},
        "resources": args.requests("alertmanager"),
    }
    if args.alertmanager_storage_size is not None:
        alertmanager_spec["storage"] = _volume_claim(args.alertmanager_storage_size)
    if ha:
        for spec, app in ((prometheus_spec, "prometheus"), (alertmanager_spec, "alertmanager")):
            spec["topologySpreadConstraints"] = spread_constraints({"app.kubernetes.io/name": app})

    values: dict[str, Any] = {
        "crds": {"enabled": False},
        "windowsMonitoring": {"enabled": False},
        "defaultRules": {
            "rules": {
                "etcd": control_plane,
                "kubeControllerManager": control_plane,
                "kubeSchedulerAlerting": control_plane,
                "kubeSchedulerRecording": control_plane,
                "kubeProxy": control_plane,
                "windows": False,
            }
        },
        "kubeControllerManager": {"enabled": control_plane},
        "kubeScheduler": {"enabled": control_plane},
        "kubeEtcd": {"enabled": control_plane},
        "kubeProxy": {"enabled": control_plane},
        "coreDns": {"enabled": args.core_dns},
        "prometheusOperator": {
            "resources": args.requests("prometheus-operator"),
            # Without explicit values the chart passes 0: reloaders would request nothing.
            "prometheusConfigReloader": {"resources": args.requests("config-reloader")},
            # cert-manager signs the webhook's certificate: no certificate-patching Jobs.
            "admissionWebhooks": {"certManager": {"enabled": True}},
        },
        "prometheus": {
            "serviceAccount": {
                "name": PROMETHEUS_SERVICE_ACCOUNT,
                "annotations": service_account_annotations,
            },
            "podDisruptionBudget": {"enabled": prometheus.replicas > 1},
            "prometheusSpec": prometheus_spec,
        },
        "alertmanager": {
            "podDisruptionBudget": {"enabled": ha},
            "alertmanagerSpec": alertmanager_spec,
        },
        "grafana": grafana_values(args),
        "kube-state-metrics": {"resources": args.requests("kube-state-metrics")},
        "prometheus-node-exporter": {
            "namespaceOverride": args.node_exporter_namespace,
            "resources": args.requests("node-exporter"),
        },
    }
    if args.gke_node_pool_label:
        values["kube-state-metrics"]["metricLabelsAllowlist"] = [
            "nodes=[cloud.google.com/gke-nodepool]"
        ]
    return values


def grafana_values(args: MonitoringArgs) -> dict[str, Any]:
    grafana = args.grafana
    if grafana is None:
        return {"enabled": False}
    values: dict[str, Any] = {
        "enabled": True,
        # SQLite: one replica; HA would need an external database.
        "replicas": 1,
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        "resources": args.requests("grafana"),
        "sidecar": {"resources": args.requests("grafana-sidecar")},
        "downloadDashboards": {"resources": args.requests("grafana-sidecar")},
        # Runs as root to chown the volume; fsGroup already does that under `restricted`.
        "initChownData": {"enabled": False},
        "grafana.ini": {"analytics": {"check_for_updates": False, "reporting_enabled": False}},
    }
    if grafana.hostname is not None:
        values["grafana.ini"]["server"] = {
            "domain": grafana.hostname,
            "root_url": f"https://{grafana.hostname}",
        }
        values["grafana.ini"]["security"] = {"cookie_secure": True}
    if grafana.persistence_size is not None:
        values["persistence"] = {"enabled": True, "size": grafana.persistence_size}
        # A ReadWriteOnce volume cannot be attached to the old and new pod at once.
        values["deploymentStrategy"] = {"type": "Recreate"}
    sources = args.alerts
    found = dashboards.dashboards(
        cert_manager=sources.certificates, traefik=sources.ingress, gitops=sources.gitops
    )
    values |= dashboards.grafana_dashboard_values(found)
    return values
