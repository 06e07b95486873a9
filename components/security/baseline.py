"""Application namespaces with the platform's baseline: Pod Security `restricted`, network
policies that deny all traffic except DNS and what is explicitly allowed, and the platform's
mark that admits them to the platform Gateway (for the hostnames the Gateway lists for them)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from kube_platform.components.cluster import Cluster
from kube_platform.components.kubernetes.namespace import platform_namespace
from kube_platform.components.traffic.gateway_api import route_namespace_labels
from kube_platform.components.validation import KubernetesName

NAME_LABEL = "kubernetes.io/metadata.name"
# CoreDNS / kube-dns carry this label on EKS, GKE, kind and k3d alike.
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
DNS_NAMESPACE = "kube-system"


class AppNamespace(BaseModel):
    """An application namespace: Pod Security `restricted`, default-deny network policies
    with DNS allowed, and the namespaces whose pods may connect in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: KubernetesName = Field(description="Namespace name.")
    labels: dict[str, str] = Field({}, description="Extra namespace labels.")
    allow_same_namespace: bool = Field(True, description="Allow pod-to-pod traffic inside.")
    allow_from_namespaces: tuple[KubernetesName, ...] = Field(
        (), description="Namespaces whose pods may connect in."
    )


class NamespaceBaselineArgs(BaseModel):
    """The application namespaces to create."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespaces: tuple[AppNamespace, ...] = Field((), description="Application namespaces.")


class NamespaceBaseline(pulumi.ComponentResource):
    """Creates each application namespace with its default-deny network policies, admitted
    to the platform Gateway.

    Outputs:

    - `namespaces`: the Namespace resource of each application namespace, by name.
    """

    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        args: NamespaceBaselineArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the namespaces of `args` in `cluster`; `name` prefixes every child's name.
        `opts` applies to the component itself."""
        super().__init__("platform:index:NamespaceBaseline", name, None, opts)
        self.namespaces = {}
        for app in args.namespaces:
            namespace = platform_namespace(
                cluster, app.name, self, labels={**app.labels, **route_namespace_labels()}
            )
            self.namespaces[app.name] = namespace
            for policy, spec in _policies(app).items():
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-{app.name}-{policy}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=app.name),
                    spec=spec,
                    opts=cluster.child_opts(self, depends_on=[namespace]),
                )
        self.register_outputs({"namespaces": sorted(self.namespaces)})


def _policies(app: AppNamespace) -> dict[str, dict]:
    every_pod: dict = {}
    policies: dict[str, dict] = {
        # Selects every pod for both directions with no rule: nothing is allowed unless
        # another policy allows it.
        "default-deny": {"podSelector": every_pod, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": every_pod,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {NAME_LABEL: DNS_NAMESPACE}},
                            "podSelector": {"matchLabels": DNS_POD_LABELS},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    }
    if app.allow_same_namespace:
        policies["allow-same-namespace"] = {
            "podSelector": every_pod,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": every_pod}]}],
            "egress": [{"to": [{"podSelector": every_pod}]}],
        }
    if app.allow_from_namespaces:
        policies["allow-from-namespaces"] = {
            "podSelector": every_pod,
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {
                                        "key": NAME_LABEL,
                                        "operator": "In",
                                        "values": list(app.allow_from_namespaces),
                                    }
                                ]
                            }
                        }
                    ]
                }
            ],
        }
    return policies
