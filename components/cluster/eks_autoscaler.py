"""cluster-autoscaler for EKS managed node groups.

Node pools from config are the unit of capacity on every cloud; cluster-autoscaler scales each
managed node group between its min and max, the same semantics as GKE's autoscaler. (Karpenter
would launch instances outside the node groups and bypass those bounds.) It finds its groups by
the tags EKS puts on their Auto Scaling groups, and may only resize groups of this cluster.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from kube_platform.components import versions
from kube_platform.components.cluster.base import (
    Cluster,
    WorkloadIdentity,
    WorkloadIdentityRequest,
)
from kube_platform.components.kubernetes.helm import helm_release
from kube_platform.components.kubernetes.resources import Resources

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
DEFAULT_RESOURCES = Resources(cpu="100m", memory="300Mi", memory_limit="600Mi")
# The chart's metrics Service (templates/service.yaml, chart 9.59.0): labelled with the release
# name (the chart's name here) and `<cloudProvider>-cluster-autoscaler`, port `http` (8085).
SERVICE_LABELS = {
    "app.kubernetes.io/instance": versions.CLUSTER_AUTOSCALER.name,
    "app.kubernetes.io/name": "aws-cluster-autoscaler",
}
METRICS_PORT_NAME = "http"


def autoscaler_policy(cluster_name: str) -> str:
    """Least privilege: read anything needed to simulate scaling, resize and terminate only
    in Auto Scaling groups this cluster owns."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Discover",
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "ScaleOwnGroups",
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:SetDesiredCapacity",
                        "autoscaling:TerminateInstanceInAutoScalingGroup",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                            "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                        }
                    },
                },
            ],
        }
    )


def autoscaler_values(
    cluster_name: str,
    region: str,
    replicas: int,
    kubernetes_version: str,
    resources: Resources = DEFAULT_RESOURCES,
) -> dict[str, Any]:
    return {
        # The autoscaler release that matches the cluster's minor version.
        "image": {"tag": versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[kubernetes_version]},
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "fullnameOverride": SERVICE_ACCOUNT,
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
        "replicaCount": replicas,
        "customArgs": [
            # Spread scale-ups over the per-zone node groups of a pool.
            "--balance-similar-node-groups=true",
            "--expander=least-waste",
            # Per node group size, minimum and maximum (cluster_autoscaler_node_group_*), so
            # an alert can tell a pool at its maximum.
            "--emit-per-nodegroup-metrics=true",
        ],
        "resources": resources.values(),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def autoscaler_identity(cluster: Cluster, cluster_name: str) -> WorkloadIdentity:
    """The autoscaler's cloud identity: an IAM role bound to its service account (cloud APIs
    only, so it exists before anything talks to the Kubernetes API)."""
    return cluster.bind_workload_identity(
        WorkloadIdentityRequest(
            name="cluster-autoscaler",
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            aws_policy=autoscaler_policy(cluster_name),
        ),
        cluster,
    )


def install_autoscaler(
    cluster: Cluster,
    name: str,
    identity: WorkloadIdentity,
    cluster_name: str,
    region: str,
    replicas: int,
    kubernetes_version: str,
    resources: Resources = DEFAULT_RESOURCES,
) -> pulumi.Resource:
    return helm_release(
        cluster,
        f"{name}-cluster-autoscaler",
        versions.CLUSTER_AUTOSCALER,
        namespace=NAMESPACE,
        values=autoscaler_values(cluster_name, region, replicas, kubernetes_version, resources),
        parent=cluster,
        depends_on=identity.ready,
    )
