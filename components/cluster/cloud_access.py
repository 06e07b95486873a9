"""What EKS and GKE build the same way: an exec-based kubeconfig and StorageClasses."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import yaml

from kube_platform.components.cluster.base import Cluster


def exec_kubeconfig(context: str, cluster: dict[str, str], exec_: dict[str, Any]) -> str:
    """A one-context kubeconfig whose user runs `exec_` for a short-lived token on every use,
    so no token is ever stored in state."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "users": [
                {
                    "name": context,
                    "user": {
                        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", **exec_}
                    },
                }
            ],
        },
        sort_keys=False,
        # Never fold long values (install hints) over lines.
        width=1000,
    )


def storage_class(
    cluster: Cluster,
    resource_name: str,
    *,
    name: str,
    provisioner: str,
    parameters: dict[str, str],
    reclaim_policy: str,
    annotations: dict[str, str] | None = None,
) -> k8s.storage.v1.StorageClass:
    """Volumes that grow in place and are created in the zone the pod lands in."""
    return k8s.storage.v1.StorageClass(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, annotations=annotations),
        provisioner=provisioner,
        parameters=parameters,
        reclaim_policy=reclaim_policy,
        allow_volume_expansion=True,
        volume_binding_mode="WaitForFirstConsumer",
        opts=cluster.child_opts(cluster),
    )
