"""The CloudNativePG operator and its Barman Cloud plugin, installed once per cluster.

The plugin serves backups and restores for every Postgres cluster; it talks to the operator
over mutual TLS with certificates from cert-manager, so it is installed after cert-manager,
and in the operator's namespace, where the operator looks for plugins.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.observability import scrapes
from kube_platform.components.validation import KubernetesName, Replicas
from kube_platform.components.versions import Chart

PLUGIN_NAME = "barman-cloud.cloudnative-pg.io"
"""The name a Cluster, a ScheduledBackup and an external cluster use to reach the plugin."""

WEBHOOK_PORT = 10250
"""Where the operator's admission webhook listens in its pod (the chart's default is 9443).
A GKE control plane reaches private nodes and their pods only on 443 and 10250, and the
webhook fails closed, so on 9443 no Cluster could be created. The pod has its own network
namespace (the chart's `hostNetwork` stays off), so kubelet's 10250 on the node is no clash;
cert-manager and External Secrets listen on 10250 for the same reason."""


class PostgresOperatorArgs(BaseModel):
    """The operator's namespace and replicas, and whether to install the Barman Cloud plugin
    (which needs cert-manager)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field(
        "cnpg-system", description="Namespace of the operator and plugin."
    )
    replicas: Replicas = Field(
        1, description="Operator replicas; more than one for HA (leader election)."
    )
    install_plugin: bool = Field(
        True, description="Install the Barman Cloud plugin (needed for backups and restores)."
    )
    cert_manager: pulumi.Resource | None = Field(
        None,
        description="The cert-manager release, whose CRDs the plugin's certificates need; "
        "required when install_plugin is set.",
    )
    operator_values: dict[str, Any] = Field(
        {}, description="Extra cloudnative-pg chart values, merged over the platform's."
    )
    plugin_values: dict[str, Any] = Field(
        {}, description="Extra plugin-barman-cloud chart values, merged over the platform's."
    )
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(
        None,
        description="With it, the operator chart's PodMonitor and Grafana dashboard are on "
        "and the release waits for these CRDs.",
    )
    operator_resources: Resources = Field(
        Resources(cpu="100m", memory="200Mi", memory_limit="500Mi"),
        description="Requests of each operator pod.",
    )
    plugin_resources: Resources = Field(
        Resources(cpu="50m", memory="100Mi", memory_limit="300Mi"),
        description="Requests of the Barman Cloud plugin's controller.",
    )

    @model_validator(mode="after")
    def _plugin_needs_cert_manager(self) -> PostgresOperatorArgs:
        if self.install_plugin and self.cert_manager is None:
            raise ValueError(
                "the Barman Cloud plugin needs cert-manager; pass its release as cert_manager, "
                "or set install_plugin to False"
            )
        return self


class PostgresOperator(pulumi.ComponentResource):
    """The CloudNativePG operator release and, optionally, the Barman Cloud plugin release, in
    one namespace. Install one per Kubernetes cluster; every `PostgresCluster` takes it.

    Outputs:

    - `namespace_name`: the namespace of the operator and the plugin.
    - `operator`, `plugin`: the Helm releases (`plugin` is None without the plugin).
    - `crd_dependencies`: what a Cluster, Database or ScheduledBackup depends on.
    - `plugin_dependencies`: what an ObjectStore, or a Cluster using the plugin, depends on.
    """

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: PostgresOperatorArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install the operator (and the plugin, when `args` asks for it) in `cluster`; `name`
        prefixes every child's name. `opts` applies to the component itself."""
        super().__init__("platform:index:PostgresOperator", name, None, opts)

        self.namespace_name = args.namespace
        namespace = platform_namespace(cluster, args.namespace, self)

        def release(
            suffix: str,
            chart: Chart,
            values: dict[str, Any],
            extra: dict[str, Any],
            after: list[pulumi.Resource],
        ) -> k8s.helm.v3.Release:
            return helm_release(
                cluster,
                f"{name}-{suffix}",
                chart,
                namespace=namespace.metadata.name,
                values=values,
                extra_values=extra,
                parent=self,
                depends_on=[namespace, *after],
            )

        monitoring = [args.monitoring_crds] if args.monitoring_crds is not None else []
        operator_values: dict[str, Any] = {
            "replicaCount": args.replicas,
            "crds": {"create": True},
            "config": {"clusterWide": True},
            "webhook": {"port": WEBHOOK_PORT},
            "resources": args.operator_resources.values(),
        }
        if monitoring:
            operator_values = merge_values(operator_values, scrapes.cloudnative_pg_values())
        self.operator = release(
            "cloudnative-pg",
            versions.CLOUDNATIVE_PG,
            operator_values,
            args.operator_values,
            monitoring,
        )
        self.plugin = None
        if args.install_plugin:
            self.plugin = release(
                "barman-cloud",
                versions.BARMAN_CLOUD_PLUGIN,
                {"crds": {"create": True}, "resources": args.plugin_resources.values()},
                args.plugin_values,
                [self.operator, args.cert_manager],
            )
        self.register_outputs(
            {"namespace": args.namespace, "operator": self.operator, "plugin": self.plugin}
        )

    @property
    def crd_dependencies(self) -> list[pulumi.Resource]:
        """What a Cluster, Database or ScheduledBackup depends on."""
        return [self.operator]

    @property
    def plugin_dependencies(self) -> list[pulumi.Resource]:
        """What an ObjectStore, or a Cluster using the plugin, depends on."""
        if self.plugin is None:
            raise ValueError("the Barman Cloud plugin is not installed")
        return [self.operator, self.plugin]

