"""A GitHub Actions runner inside the cluster's VPC, so `pulumi up` reaches a private endpoint.

A private-only API endpoint answers only inside the VPC and the networks routed into it. A VPC
created by the same deployment has nobody inside it, so a first deployment from a laptop can
build the cloud resources but never the in-cluster ones. This runner closes the gap: a CodeBuild
project that serves as a self-hosted GitHub Actions runner, in the private subnets, with its own
security group admitted to the API endpoint.

The runner is a network location, not an identity. Any workflow job of the repository can ask
for its label, including a pull request's modified workflow, so its role may do only what
CodeBuild itself needs (write the build's logs, put its interface in the VPC, use the GitHub
connection): no cluster access and no other policy. A deploy job on it assumes the CI deploy
role by OIDC, which trusts only jobs in the stack's GitHub environment (required reviewers).
The webhook also starts builds only for queued jobs (`WORKFLOW_JOB_QUEUED`) of the deploy
workflow (`WORKFLOW_NAME`); a job runs on it with
`runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`.

CodeBuild reaches GitHub through a CodeConnections connection, which a person creates and
approves once (GitHub asks the organisation to install the AWS Connector app); the runner's
role may only use that connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kube_platform.components import versions
from kube_platform.components.ci.github import GithubRepositoryName
from kube_platform.components.cluster import eks_identity

_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)
BUILD_TIMEOUT_MINUTES = 120
# `name:` of .github/workflows/deploy.yml, the only workflow whose jobs the runner takes.
DEPLOY_WORKFLOW = "Deploy"


class EksDeployRunnerArgs(BaseModel):
    """A CodeBuild-hosted GitHub Actions runner in the cluster's private subnets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection_arn: str = Field(
        description="ARN of an available CodeConnections connection to GitHub."
    )
    repository: GithubRepositoryName = Field(
        description="GitHub repository `<owner>/<name>` whose jobs it runs."
    )
    workflow: str = Field(
        DEPLOY_WORKFLOW,
        min_length=1,
        description="Name (`name:`) of the workflow whose queued jobs start a build; a job of a "
        "reusable workflow counts under the name of the workflow that calls it.",
    )
    compute_type: Literal[
        "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"
    ] = Field("BUILD_GENERAL1_MEDIUM", description="CodeBuild compute type of a job.")

    @field_validator("connection_arn")
    @classmethod
    def _connection(cls, value: str) -> str:
        if not _CONNECTION_ARN.match(value):
            raise ValueError(f"'{value}' is not a CodeConnections connection ARN")
        return value


def project_name(cluster_name: str) -> str:
    return f"{cluster_name}-deploy"


def role_name(cluster_name: str) -> str:
    return eks_identity.role_name(cluster_name, "deploy-runner")


def runs_on_label(cluster_name: str) -> str:
    """The runner's label without the per-run suffix: a job runs on it with `runs-on:
    <label>-${{ github.run_id }}-${{ github.run_attempt }}` (the reusable workflows append
    that suffix to a `codebuild-` label themselves)."""
    return f"codebuild-{project_name(cluster_name)}"


def workflow_pattern(workflow: str) -> str:
    """The webhook's WORKFLOW_NAME regular expression: exactly this workflow name."""
    return f"^{re.escape(workflow)}$"


@dataclass
class DeployRunner:
    role: aws.iam.Role
    security_group: aws.ec2.SecurityGroup
    project: aws.codebuild.Project
    label: str


def create_deploy_runner(
    name: str,
    runner: EksDeployRunnerArgs,
    *,
    cluster_name: str,
    region: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    cluster_security_group_id: pulumi.Input[str],
    log_retention_days: int,
    tags: dict[str, str],
    opts: Callable[..., pulumi.ResourceOptions],
) -> DeployRunner:
    resource = f"{name}-deploy-runner"
    project = project_name(cluster_name)
    role = aws.iam.Role(
        resource,
        name=role_name(cluster_name),
        description=f"Deploy runner (CodeBuild project {project}) of EKS cluster {cluster_name}",
        assume_role_policy=eks_identity.service_trust("codebuild.amazonaws.com"),
        tags=tags,
        opts=opts(),
    )
    log_group = aws.cloudwatch.LogGroup(
        resource,
        name=f"/aws/codebuild/{project}",
        retention_in_days=log_retention_days,
        tags=tags,
        opts=opts(),
    )
    # All the role may do, and all CodeBuild itself needs: write its logs, put the build's
    # interface in the VPC, and fetch GitHub tokens through the connection.
    own_needs = aws.iam.RolePolicy(
        resource,
        role=role.id,
        policy=log_group.arn.apply(lambda arn: _service_policy(arn, runner.connection_arn, region)),
        opts=opts(),
    )

    security_group = aws.ec2.SecurityGroup(
        resource,
        name=f"{cluster_name}-deploy-runner",
        description=f"Deploy runner of EKS cluster {cluster_name}",
        vpc_id=vpc_id,
        tags={**tags, "Name": f"{cluster_name}-deploy-runner"},
        opts=opts(),
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{resource}-egress",
        security_group_id=security_group.id,
        description="GitHub, the Pulumi backend and AWS APIs (through NAT)",
        ip_protocol="-1",
        cidr_ipv4="0.0.0.0/0",
        opts=opts(),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-api-from-deploy-runner",
        security_group_id=cluster_security_group_id,
        description="Kubernetes API over the private endpoint, from the deploy runner",
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        referenced_security_group_id=security_group.id,
        opts=opts(),
    )

    build_project = aws.codebuild.Project(
        resource,
        name=project,
        description=f"GitHub Actions runner for {runner.repository} in the VPC of {cluster_name}",
        service_role=role.arn,
        source=aws.codebuild.ProjectSourceArgs(
            type="GITHUB",
            location=f"https://github.com/{runner.repository}.git",
            auth=aws.codebuild.ProjectSourceAuthArgs(
                type="CODECONNECTIONS", resource=runner.connection_arn
            ),
        ),
        artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
        environment=aws.codebuild.ProjectEnvironmentArgs(
            type="LINUX_CONTAINER",
            compute_type=runner.compute_type,
            image=versions.CODEBUILD_RUNNER_IMAGE,
            image_pull_credentials_type="CODEBUILD",
        ),
        vpc_config=aws.codebuild.ProjectVpcConfigArgs(
            vpc_id=vpc_id, subnets=list(subnet_ids), security_group_ids=[security_group.id]
        ),
        logs_config=aws.codebuild.ProjectLogsConfigArgs(
            cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                group_name=log_group.name, status="ENABLED"
            )
        ),
        build_timeout=BUILD_TIMEOUT_MINUTES,
        tags=tags,
        # CodeBuild checks the VPC permissions when the project is created.
        opts=opts(depends_on=[own_needs]),
    )
    # A repository webhook: only this repository's jobs reach it, and of those only the
    # queued jobs of the deploy workflow start a build. (CodeBuild's HEAD_REF filter applies
    # to push and pull request events, not to workflow jobs; deploys are kept to the default
    # branch by the GitHub environment's branch rule, whose jobs alone the deploy role trusts.)
    aws.codebuild.Webhook(
        resource,
        project_name=build_project.name,
        build_type="BUILD",
        filter_groups=[
            aws.codebuild.WebhookFilterGroupArgs(
                filters=[
                    aws.codebuild.WebhookFilterGroupFilterArgs(
                        type="EVENT", pattern="WORKFLOW_JOB_QUEUED"
                    ),
                    aws.codebuild.WebhookFilterGroupFilterArgs(
                        type="WORKFLOW_NAME", pattern=workflow_pattern(runner.workflow)
                    ),
                ]
            )
        ],
        opts=opts(),
    )
    return DeployRunner(
        role=role,
        security_group=security_group,
        project=build_project,
        label=runs_on_label(cluster_name),
    )


def _service_policy(log_group_arn: str, connection_arn: str, region: str) -> str:
    connections = connection_arn.split(":")[2]  # codeconnections or codestar-connections
    partition = eks_identity.partition(region)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_group_arn}:*",
                },
                {
                    "Sid": "VpcInterfaces",
                    "Effect": "Allow",
                    "Action": [
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "VpcInterfacePermission",
                    "Effect": "Allow",
                    "Action": "ec2:CreateNetworkInterfacePermission",
                    "Resource": f"arn:{partition}:ec2:{region}:*:network-interface/*",
                    "Condition": {
                        "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
                    },
                },
                {
                    "Sid": "GitHubConnection",
                    "Effect": "Allow",
                    "Action": [
                        f"{connections}:GetConnection",
                        f"{connections}:GetConnectionToken",
                    ],
                    "Resource": connection_arn,
                },
            ],
        }
    )
