"""Ingress: Gateway API CRDs, Traefik serving Gateway API and classic Ingress, the platform
Gateway (HTTP redirected to HTTPS, HTTPS terminated with the platform certificate, one HTTPS
listener per hostname an admitted namespace may serve) and the load balancer in front of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kube_platform.components import versions
from kube_platform.components.cluster import Cluster
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.kubernetes.helm import helm_release, merge_values
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.kubernetes.scheduling import spread_constraints
from kube_platform.components.observability import scrapes
from kube_platform.components.traffic.gateway_api import (
    GatewayRef,
    gateway_api_crds,
    gateway_resource,
    route_namespace_labels,
)
from kube_platform.components.traffic.load_balancer import (
    aws_load_balancer_controller,
    namespace_labels,
    service_annotations,
)
from kube_platform.components.validation import Hostname, KubernetesName, Replicas

TRAEFIK_CONTROLLER = "traefik.io/gateway-controller"
# Traefik binds Gateway listeners to its entry points by port: these are the chart's `web`
# and `websecure` entry points.
HTTP_PORT = 8000
HTTPS_PORT = 8443
HTTP_LISTENER = "http"
# A Gateway holds at most 64 listeners (Gateway API CRD); one is the HTTP listener.
MAX_HTTPS_LISTENERS = 63
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class RouteNamespace(BaseModel):
    """A namespace admitted to the Gateway and the hostnames it alone may serve."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: KubernetesName = Field(
        description="Namespace name; it must carry `route_namespace_labels()`."
    )
    hostnames: tuple[Hostname, ...] = Field(
        min_length=1,
        description="Hostnames (exact, or `*.` wildcards) its routes may use; each gets an "
        "HTTPS listener that admits routes from this namespace only.",
    )


class IngressArgs(BaseModel):
    """Traefik, its load balancer and the platform Gateway: HTTPS listeners per admitted
    namespace and hostname, HTTP only to redirect and to answer ACME challenges."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    namespace: KubernetesName = Field(
        "ingress", description="Namespace of Traefik and the Gateway."
    )
    gateway_name: KubernetesName = Field("platform", description="Name of the platform Gateway.")
    gateway_class_name: KubernetesName = Field(
        "traefik", description="GatewayClass served by Traefik."
    )
    tls_secret_name: KubernetesName | None = Field(
        None,
        description="Secret holding the platform certificate. With it the Gateway gets an "
        "HTTPS listener and HTTP is redirected; without it the Gateway serves HTTP only.",
    )
    route_namespaces: tuple[RouteNamespace, ...] = Field(
        (),
        description="Namespaces that may attach routes over HTTPS, each with its hostnames "
        "(needs tls_secret_name). Nothing else is served over HTTPS.",
    )
    gateway_api_crds_from_cluster: bool = Field(
        False,
        description="The cluster installs and upgrades the Gateway API CRDs itself (GKE with "
        "`gateway_api_config`); otherwise the pinned standard bundle is applied.",
    )
    replicas: Replicas = Field(1, description="Traefik replicas.")
    high_availability: bool = Field(
        False, description="PodDisruptionBudget and zone spread for Traefik (needs replicas ≥ 2)."
    )
    service_type: Literal["LoadBalancer", "NodePort"] = Field(
        "LoadBalancer", description="Service type on an existing cluster; clouds use LoadBalancer."
    )
    internal: bool = Field(False, description="Private load balancer instead of a public one.")
    deletion_protection: bool = Field(
        False, description="Deletion protection on the load balancer (AWS NLB attribute)."
    )
    # Output[str]; the EKS cluster's VPC, required on AWS by the load balancer controller.
    aws_vpc_id: Any = Field(None, description="VPC id of an EKS cluster (AWS only).")
    # pulumi.Resource: the prometheus-operator CRD installer (observability.crds).
    monitoring_crds: Any = Field(
        None,
        description="With it, Traefik and the load balancer controller get their charts' "
        "ServiceMonitors and wait for these CRDs.",
    )
    traefik_resources: Resources = Field(
        Resources(cpu="100m", memory="128Mi"), description="Requests of each Traefik pod."
    )
    load_balancer_controller_resources: Resources = Field(
        Resources(cpu="50m", memory="128Mi"),
        description="Requests of each AWS Load Balancer Controller pod (EKS).",
    )
    extra_values: dict[str, Any] = Field(
        {}, description="Extra Traefik chart values, merged over the platform's (escape hatch)."
    )

    @model_validator(mode="after")
    def _replicas(self) -> IngressArgs:
        problem = ha_replicas_problem(self.high_availability, self.replicas)
        if problem is not None:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _listeners(self) -> IngressArgs:
        hostnames = [h for ns in self.route_namespaces for h in ns.hostnames]
        if hostnames and self.tls_secret_name is None:
            raise ValueError(
                "route_namespaces need tls_secret_name: hostnames are served over HTTPS"
            )
        repeated = sorted({h for h in hostnames if hostnames.count(h) > 1})
        if repeated:
            raise ValueError(f"hostnames listed more than once: {', '.join(repeated)}")
        for position, hostname in enumerate(hostnames):
            clash = listener_name_clash(hostname, hostnames[:position])
            if clash is not None:
                raise ValueError(clash)
        if len(hostnames) > MAX_HTTPS_LISTENERS:
            raise ValueError(
                f"{len(hostnames)} hostnames need as many HTTPS listeners; a Gateway holds at "
                f"most {MAX_HTTPS_LISTENERS} besides the HTTP one"
            )
        return self


def ha_replicas_problem(high_availability: bool, replicas: int) -> str | None:
    """Why `replicas` Traefik pods cannot be highly available, or None."""
    if high_availability and replicas < 2:
        return f"high availability needs at least 2 ingress replicas, got {replicas}"
    return None


class Ingress(pulumi.ComponentResource):
    """Traefik behind a cloud or cluster load balancer, and the platform Gateway.

    Outputs:

    - `gateway`: the platform Gateway; a route attaches to the listeners that admit its
      namespace.
    - `http_listener`: the HTTP listener (ACME HTTP-01 challenges and the HTTPS redirect).
    - `https_listeners`: the HTTPS listener of each hostname.
    - `namespace`: the Gateway's namespace resource.
    - `crds`: what installs the Gateway API CRDs: the pinned bundle, or the cluster resource
      where the cluster manages them (GKE).
    - `load_balancer_controller`: the AWS Load Balancer Controller release on EKS, else None.
    """

    gateway: GatewayRef
    """The platform Gateway; a route attaches to the listeners that admit its namespace."""
    http_listener: GatewayRef
    """The HTTP listener (ACME HTTP-01 challenges and the HTTPS redirect)."""
    https_listeners: dict[str, GatewayRef]
    """The HTTPS listener of each hostname."""
    namespace: pulumi.Resource
    """The Gateway's namespace: objects placed next to it (its certificate) wait for it."""
    crds: pulumi.Resource | None
    """What installs the Gateway API CRDs: the pinned bundle, or the cluster itself (GKE)."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: IngressArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Install Traefik and the Gateway in `cluster`; `name` prefixes every child's name.
        On EKS, `args.aws_vpc_id` is required. `opts` applies to the component itself."""
        super().__init__("platform:index:Ingress", name, None, opts)
        if cluster.cloud == "aws" and args.aws_vpc_id is None:
            raise ConfigurationError(f"ingress '{name}': an EKS cluster needs aws_vpc_id")

        # Exactly one owner: a cluster that manages the CRDs (GKE) gets nothing applied on top,
        # so neither its reconcile nor a destroy of this stack touches them.
        self.crds = (
            cluster.deletion_anchor
            if args.gateway_api_crds_from_cluster
            else gateway_api_crds(cluster, name, self)
        )
        crds = [self.crds] if self.crds is not None else []
        self.namespace = namespace = platform_namespace(
            cluster, args.namespace, self, labels=namespace_labels(cluster.cloud)
        )
        monitoring = [args.monitoring_crds] if args.monitoring_crds is not None else []
        before_traefik: list[pulumi.Resource] = [*crds, namespace, *monitoring]
        self.load_balancer_controller = None
        if cluster.cloud == "aws":
            self.load_balancer_controller = aws_load_balancer_controller(
                cluster,
                name,
                vpc_id=args.aws_vpc_id,
                high_availability=args.high_availability,
                parent=self,
                resources=args.load_balancer_controller_resources,
                monitoring_crds=args.monitoring_crds,
            )
            # Its webhook must be serving before the Service it turns into an NLB exists.
            before_traefik.append(self.load_balancer_controller)

        self.traefik = helm_release(
            cluster,
            f"{name}-traefik",
            versions.TRAEFIK,
            namespace=args.namespace,
            values=traefik_values(cluster.cloud, args),
            extra_values=args.extra_values,
            # Only standard APIs are served (Gateway API, whose CRDs are managed above, and
            # Ingress); Traefik's own CRDs, which Helm would never upgrade, are not installed.
            skip_crds=True,
            parent=self,
            depends_on=before_traefik,
        )

        self.gateway_class = gateway_resource(
            cluster,
            f"{name}-gateway-class",
            kind="GatewayClass",
            metadata={"name": args.gateway_class_name},
            spec={
                "controllerName": TRAEFIK_CONTROLLER,
                "description": "The platform's Traefik ingress controller.",
            },
            parent=self,
            depends_on=crds,
        )
        tls = args.tls_secret_name is not None
        self.gateway = GatewayRef(args.gateway_name, args.namespace)
        self.http_listener = GatewayRef(args.gateway_name, args.namespace, HTTP_LISTENER)
        self.https_listeners = {
            hostname: GatewayRef(args.gateway_name, args.namespace, https_listener_name(hostname))
            for ns in args.route_namespaces
            for hostname in ns.hostnames
        }
        self.gateway_resource = gateway_resource(
            cluster,
            f"{name}-gateway",
            kind="Gateway",
            metadata={"name": args.gateway_name, "namespace": args.namespace},
            spec={
                "gatewayClassName": args.gateway_class_name,
                "listeners": gateway_listeners(args),
            },
            parent=self,
            depends_on=[*crds, self.gateway_class, namespace],
        )
        self.redirect = None
        if tls:
            self.redirect = gateway_resource(
                cluster,
                f"{name}-https-redirect",
                kind="HTTPRoute",
                metadata={"name": "https-redirect", "namespace": args.namespace},
                spec={
                    "parentRefs": [self.http_listener.parent_ref()],
                    "rules": [
                        {
                            "filters": [
                                {
                                    "type": "RequestRedirect",
                                    "requestRedirect": {"scheme": "https", "statusCode": 301},
                                }
                            ]
                        }
                    ],
                },
                parent=self,
                depends_on=[*crds, self.gateway_resource],
            )

        self.register_outputs(
            {
                "gatewayName": args.gateway_name,
                "gatewayNamespace": args.namespace,
                "gatewayClassName": args.gateway_class_name,
            }
        )


def gateway_listeners(args: IngressArgs) -> list[dict[str, Any]]:
    """HTTP takes routes from the Gateway's own namespace only (the HTTPS redirect and the
    platform's ACME challenges), so nothing is served unencrypted. Each hostname an admitted
    namespace may serve gets its own HTTPS listener, which takes routes from that namespace
    alone and only while the namespace carries the platform's mark. Without TLS the one HTTP
    listener takes routes from every marked namespace."""
    if args.tls_secret_name is None:
        marked = {"from": "Selector", "selector": {"matchLabels": route_namespace_labels()}}
        return [_listener(HTTP_LISTENER, HTTP_PORT, "HTTP", marked)]
    listeners = [_listener(HTTP_LISTENER, HTTP_PORT, "HTTP", {"from": "Same"})]
    certificate = {"group": "", "kind": "Secret", "name": args.tls_secret_name}
    for ns in args.route_namespaces:
        only_this_one = {
            "from": "Selector",
            "selector": {
                "matchLabels": {NAMESPACE_NAME_LABEL: ns.name, **route_namespace_labels()}
            },
        }
        for hostname in ns.hostnames:
            https = _listener(https_listener_name(hostname), HTTPS_PORT, "HTTPS", only_this_one)
            https["hostname"] = hostname
            https["tls"] = {"mode": "Terminate", "certificateRefs": [certificate]}
            listeners.append(https)
    return listeners


def https_listener_name(hostname: str) -> str:
    """The listener (a route's `sectionName`) for `hostname`: the hostname itself, with a
    leading `*` spelled `wildcard` (section names allow only letters, digits, `-` and `.`)."""
    return hostname.replace("*", "wildcard", 1) if hostname.startswith("*.") else hostname


def listener_name_clash(hostname: str, others: Iterable[str]) -> str | None:
    """Why `hostname` cannot get its own HTTPS listener next to `others`, or None: `*.x` and
    `wildcard.x` would share a listener name, and the API server rejects the Gateway."""
    name = https_listener_name(hostname)
    for other in others:
        if other != hostname and https_listener_name(other) == name:
            return (
                f"'{hostname}' and '{other}' would both get the HTTPS listener '{name}' (a "
                "listener name spells '*' as 'wildcard'); list only one of them"
            )
    return None


def _listener(name: str, port: int, protocol: str, namespaces: dict) -> dict[str, Any]:
    return {
        "name": name,
        "port": port,
        "protocol": protocol,
        "allowedRoutes": {"namespaces": namespaces},
    }


def traefik_values(cloud: str, args: IngressArgs) -> dict[str, Any]:
    """Values for the pinned Traefik chart (keys from its values.schema.json)."""
    service_type = "LoadBalancer" if cloud in ("aws", "gcp") else args.service_type
    values: dict[str, Any] = {
        "deployment": {"replicas": args.replicas},
        "providers": {
            "kubernetesGateway": {"enabled": True},
            "kubernetesIngress": {"enabled": True},
            "kubernetesCRD": {"enabled": False},
        },
        # The platform owns the GatewayClass and Gateway (listeners, TLS, allowed routes).
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": False},
        "ingressClass": {"enabled": True, "isDefaultClass": True, "name": "traefik"},
        # Routers that name no entry point (every Ingress) listen on websecure alone: port 80
        # serves only the Gateway's HTTP listener (the redirect and ACME challenges).
        "ports": {"websecure": {"asDefault": True}},
        "service": {
            "annotations": service_annotations(
                cloud, args.internal, deletion_protection=args.deletion_protection
            ),
            "spec": {"type": service_type},
        },
        "log": {"level": "INFO", "format": "json"},
        "resources": args.traefik_resources.values(),
    }
    if args.monitoring_crds is not None:
        values = merge_values(values, scrapes.traefik_values())
    if args.high_availability:
        values["podDisruptionBudget"] = {"enabled": True, "maxUnavailable": 1}
        values["topologySpreadConstraints"] = spread_constraints(
            {"app.kubernetes.io/name": "traefik"}
        )
    return values
