"""Minimal cloud clusters for component tests that need a cloud without building a whole EKS
or GKE cluster. They honour the contract (explicit providers, workload identity) in the
simplest real way; cluster-specific behaviour is tested against the real implementations."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from kube_platform.components.cluster import Cluster, WorkloadIdentity, WorkloadIdentityRequest


class FakeCloudCluster(Cluster):
    def __init__(self, name: str, cloud: str, kubernetes_version: str = "1.35") -> None:
        super().__init__("platform:test:FakeCloudCluster", name, None, None)
        self.cloud = cloud  # type: ignore[misc]
        self.provider = k8s.Provider(f"{name}-k8s", opts=pulumi.ResourceOptions(parent=self))
        self.kubeconfig = pulumi.Output.secret("fake")
        self.cluster_name = pulumi.Output.from_input(name)
        self.endpoint = pulumi.Output.from_input("https://fake")
        self.zones = ["zone-a", "zone-b", "zone-c"]
        self.kubernetes_version = kubernetes_version
        self.database_storage_class = "retain"
        self.workload_dependencies = []
        self.deletion_anchor = None
        if cloud == "aws":
            self.region = "eu-west-1"
            self.cloud_provider = aws.Provider(
                f"{name}-aws", region=self.region, opts=pulumi.ResourceOptions(parent=self)
            )
            self.vpc_id = pulumi.Output.from_input("vpc-0123")
        else:
            self.region = "europe-west1"
            self.project = "acme-platform"
            self.cloud_provider = gcp.Provider(
                f"{name}-gcp",
                project=self.project,
                region=self.region,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def bind_workload_identity(
        self, request: WorkloadIdentityRequest, parent: pulumi.Resource
    ) -> WorkloadIdentity:
        if self.cloud == "aws":
            role = aws.iam.Role(
                f"{self._name}-{request.name}",
                assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
                opts=self.cloud_opts(parent),
            )
            if request.aws_policy is not None:
                aws.iam.RolePolicy(
                    f"{self._name}-{request.name}",
                    role=role.name,
                    policy=request.aws_policy,
                    opts=self.cloud_opts(parent),
                )
            return WorkloadIdentity({}, role.arn)
        account = gcp.serviceaccount.Account(
            f"{self._name}-{request.name}",
            account_id=request.name,
            opts=self.cloud_opts(parent),
        )
        return WorkloadIdentity({"iam.gke.io/gcp-service-account": account.email}, account.email)
