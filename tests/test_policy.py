"""The policy pack under policy/, run over what the offline runner recorded.

A small adapter turns each recorded registration into the arguments the policy SDK builds from
the engine's request: properties in the engine's wire form (secrets marked, unknowns as the
SDK's sentinels) deserialized by the SDK's own functions, the resource options and the
provider. Every shipped stack passes; a deliberately non-compliant program is rejected with
each policy's message.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pytest
import yaml
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from kube_platform.stacks import offline
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "policy"))
import platform_policies as pp


def _wire(value: Any, path: str, secrets: set[str]) -> Any:
    """Inputs as the engine sends them to an analyzer (KeepSecrets, KeepUnknowns)."""
    if path in secrets:
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": _wire(value, path, set())}
    if value == offline.COMPUTED:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _wire(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def _options(r: offline.Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=r.protect,
        ignore_changes=r.ignore_changes,
        delete_before_replace=None,
        aliases=r.aliases,
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=r.parent or None,
    )


def _provider(run: offline.Run, r: offline.Registration) -> PolicyProviderResource | None:
    if not r.provider:
        return None
    urn = r.provider_urn
    found = run.registrations.get(urn)
    name = found.name if found else urn.rsplit("::", 1)[-1]
    return PolicyProviderResource(urn.split("::")[2].split("$")[-1], {}, urn, name)


def resource_args(
    run: offline.Run, r: offline.Registration, tags: dict[str, str]
) -> ResourceValidationArgs:
    props = deserialize_properties(_wire(r.inputs, "", r.secret_inputs))
    return ResourceValidationArgs(
        r.type,
        unknown_checking_proxy(props),
        r.urn,
        r.name,
        _options(r),
        _provider(run, r),
        None,
        tags,
    )


def evaluate(run: offline.Run, tags: dict[str, str]) -> list[tuple[str, str, str]]:
    """(policy, resource, message) for every violation, as the engine runs the pack: resource
    validations as each resource registers, then stack validations."""
    found: list[tuple[str, str, str]] = []
    registrations = list(run.registrations.values())
    for policy in pp.POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for r in registrations:
                try:
                    policy.validate(
                        resource_args(run, r, tags),
                        lambda message, urn=None, r=r, p=policy: found.append(
                            (p.name, r.name, message)
                        ),
                    )
                except UnknownValueError:
                    continue  # advisory "can't run during preview" in the engine
        elif isinstance(policy, StackValidationPolicy):
            resources = {
                r.urn: PolicyResource(
                    r.type, r.inputs, r.urn, r.name, _options(r), _provider(run, r), None, [], {}
                )
                for r in registrations
            }
            for r in registrations:
                resources[r.urn].dependencies = [
                    resources[d] for d in r.dependencies if d in resources
                ]
            names = {urn: res.name for urn, res in resources.items()}
            policy.validate(
                StackValidationArgs(list(resources.values()), None, tags),
                lambda message, urn=None, p=policy, names=names: found.append(
                    (p.name, names.get(urn, ""), message)
                ),
            )
    return found


def test_every_shipped_stack_passes_the_policy_pack(every_stack):
    tags = {pp.TIER_TAG: every_stack.outputs["tier"].value}
    assert evaluate(every_stack, tags) == []


def _bad_program() -> dict[str, Any]:
    """Everything the pack forbids, once."""
    cloud = aws.Provider("aws", region="eu-west-1")
    google = gcp.Provider("gcp", project="acme-platform-prod")
    opts = pulumi.ResourceOptions(provider=cloud)
    aws.eks.Cluster(
        "public",
        role_arn="arn:aws:iam::123456789012:role/cluster",
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=["subnet-1", "subnet-2"], endpoint_public_access=True
        ),
        opts=opts,
    )
    aws.ec2.LaunchTemplate(
        "nodes",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_tokens="optional", http_put_response_hop_limit=2
        ),
        opts=opts,
    )
    aws.s3.Bucket("open", acl="public-read", opts=opts)
    gcp.storage.Bucket(
        "loose", location="EU", opts=pulumi.ResourceOptions(provider=google, protect=True)
    )
    k8s.core.v1.Secret("token", string_data={"token": "hunter2"})
    cluster = k8s.Provider("cluster", kubeconfig="~/.kube/config")
    k8s.yaml.v2.ConfigGroup(
        "inline",
        objs=[
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "token", "namespace": "apps"},
                "stringData": {"token": "hunter2"},
            }
        ],
        opts=pulumi.ResourceOptions(provider=cluster),
    )
    return {}


@pytest.fixture(scope="module")
def bad_run() -> offline.Run:
    return offline.run("prod", config={}, program=_bad_program)


def test_a_non_compliant_program_is_rejected_with_each_policys_message(bad_run):
    found = sorted(evaluate(bad_run, {pp.TIER_TAG: "prod"}))
    assert found == sorted([
        (
            "private-control-plane-in-prod",
            "public",
            "EKS cluster has a public API endpoint in prod; set "
            "vpc_config.endpoint_public_access=False and reach the private endpoint from the "
            "VPC, a routed network or the in-VPC deploy runner",
        ),
        (
            "secrets-envelope-encrypted",
            "public",
            "EKS cluster does not envelope-encrypt Secrets; set encryption_config with "
            "resources=['secrets'] and a customer-managed KMS key",
        ),
        (
            "imdsv2-hop-limit-1",
            "nodes",
            "instance metadata must require IMDSv2 tokens with a hop limit of 1, so pods cannot "
            "use the node's credentials; set metadata_options http_tokens='required' and "
            "http_put_response_hop_limit=1",
        ),
        (
            "no-public-buckets",
            "open",
            "S3 bucket ACL 'public-read' makes objects public; keep it private",
        ),
        (
            "no-public-buckets",
            "loose",
            "GCS bucket may become public; set public_access_prevention='enforced' and "
            "uniform_bucket_level_access=True",
        ),
        (
            "s3-buckets-block-public-access",
            "open",
            "S3 bucket open has no public access block; add an aws.s3.BucketPublicAccessBlock "
            "for it with all four settings true",
        ),
        (
            "stateful-protected-outside-dev",
            "public",
            "aws:eks/cluster:Cluster holds or guards data and is not protected outside dev; "
            "create it with ResourceOptions(protect=True)",
        ),
        (
            "stateful-protected-outside-dev",
            "open",
            "aws:s3/bucket:Bucket holds or guards data and is not protected outside dev; "
            "create it with ResourceOptions(protect=True)",
        ),
        (
            "kubernetes-explicit-provider",
            "token",
            "Kubernetes resource uses the default provider, which deploys to whatever cluster "
            "the ambient kubeconfig points at; pass the cluster's provider explicitly",
        ),
        (
            "no-plaintext-kubernetes-secret",
            "inline",
            "a Kubernetes Secret with data is declared inline in a config group, so its values "
            "sit in plaintext in the inputs and the state; create it as k8s.core.v1.Secret from "
            "a secret Output, or as an ExternalSecret",
        ),
    ])


def test_the_tier_comes_from_policy_config_or_the_stack_tag(bad_run):
    """Dev allows a public endpoint and unprotected state; the other policies still hold."""
    dev = {p for p, _, _ in evaluate(bad_run, {pp.TIER_TAG: "dev"})}
    assert "private-control-plane-in-prod" not in dev
    assert "stateful-protected-outside-dev" not in dev
    assert "imdsv2-hop-limit-1" in dev
    (cluster,) = bad_run.of_type("aws:eks/cluster:Cluster")
    reported: list[str] = []
    args = resource_args(bad_run, cluster, {pp.TIER_TAG: "dev"})
    configured = ResourceValidationArgs(
        args.resource_type, args.props, args.urn, args.name, args.opts, args.provider,
        {"tier": "prod"}, args.stack_tags,
    )  # fmt: skip
    pp.validate_private_control_plane(configured, lambda m, urn=None: reported.append(m))
    assert len(reported) == 1


def test_a_typed_secret_is_secret_without_the_pack(bad_run):
    """Why the pack checks config groups: the SDK already marks a typed Secret's data."""
    (secret,) = bad_run.of_type("kubernetes:core/v1:Secret")
    assert "stringData" in secret.secret_inputs


def test_the_pack_is_what_the_cli_loads():
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    main = ast.parse((ROOT / "policy" / "__main__.py").read_text())
    calls = [n for n in ast.walk(main) if isinstance(n, ast.Call)]
    assert any(getattr(c.func, "id", "") == "PolicyPack" for c in calls)
    names = [p.name for p in pp.POLICIES]
    assert len(names) == len(set(names)) >= 8
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy==" in requirements
