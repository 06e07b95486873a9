"""The platform's guarantees as CrossGuard policies (pulumi-policy, Python).

Each `validate_*` function takes the `ResourceValidationArgs` (or `StackValidationArgs`) the
policy SDK passes and calls `report_violation` with a message that says what to change. The
tier (dev, staging, prod) decides two policies; it comes from the policy's config `tier`
(`--policy-pack-config`), else the stack tag `platform:tier`
(`pulumi stack tag set platform:tier prod`), else prod, the strictest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

TIERS = ("dev", "staging", "prod")
TIER_TAG = "platform:tier"
TIER_CONFIG = PolicyConfigSchema(properties={"tier": {"type": "string", "enum": list(TIERS)}})

# Resources that hold data or guard it: losing one loses data or locks it away.
STATEFUL_TYPES = frozenset(
    {
        "aws:eks/cluster:Cluster",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "gcp:container/cluster:Cluster",
        "gcp:kms/keyRing:KeyRing",
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:storage/bucket:Bucket",
        "kubernetes:postgresql.cnpg.io/v1:Cluster",
    }
)
S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def tier(args: ResourceValidationArgs | StackValidationArgs) -> str:
    configured = args.get_config().get("tier")
    tagged = args.stack_tags.get(TIER_TAG)
    value = configured or tagged or "prod"
    return value if value in TIERS else "prod"


def _get(props: Mapping[str, Any], *path: str) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def validate_private_control_plane(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if tier(args) != "prod":
        return
    props = args.props
    if args.resource_type == "aws:eks/cluster:Cluster":
        if _get(props, "vpcConfig", "endpointPublicAccess") is not False:
            report(
                "EKS cluster has a public API endpoint in prod; set "
                "vpc_config.endpoint_public_access=False and reach the private endpoint from "
                "the VPC, a routed network or the in-VPC deploy runner"
            )
    elif args.resource_type == "gcp:container/cluster:Cluster":
        private_nodes = _get(props, "privateClusterConfig", "enablePrivateNodes") is True
        ip_endpoints = _get(props, "controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled")
        private_endpoint = _get(props, "privateClusterConfig", "enablePrivateEndpoint") is True
        if not private_nodes or (ip_endpoints is not False and not private_endpoint):
            report(
                "GKE cluster is not private in prod; enable private nodes and either turn IP "
                "endpoints off (the DNS endpoint stays, gated by IAM) or make the endpoint "
                "private"
            )


def validate_secrets_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:eks/cluster:Cluster":
        config = props.get("encryptionConfig") or {}
        if "secrets" not in (config.get("resources") or []) or not _get(
            config, "provider", "keyArn"
        ):
            report(
                "EKS cluster does not envelope-encrypt Secrets; set encryption_config with "
                "resources=['secrets'] and a customer-managed KMS key"
            )
    elif args.resource_type == "gcp:container/cluster:Cluster":
        encryption = props.get("databaseEncryption") or {}
        if encryption.get("state") != "ENCRYPTED" or not encryption.get("keyName"):
            report(
                "GKE cluster does not envelope-encrypt Secrets; set database_encryption "
                "state ENCRYPTED with a Cloud KMS key"
            )


def validate_imdsv2(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in {
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
    }:
        return
    options = args.props.get("metadataOptions") or {}
    if options.get("httpTokens") != "required" or options.get("httpPutResponseHopLimit") != 1:
        report(
            "instance metadata must require IMDSv2 tokens with a hop limit of 1, so pods cannot "
            "use the node's credentials; set metadata_options http_tokens='required' and "
            "http_put_response_hop_limit=1"
        )


def validate_bucket_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props, kind = args.props, args.resource_type
    if kind == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")
        flags += ("restrictPublicBuckets",)
        off = [f for f in flags if props.get(f) is not True]
        if off:
            report(f"S3 public access block leaves {', '.join(off)} off; set all four to true")
    elif kind in S3_BUCKETS | {"aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"}:
        if props.get("acl") in PUBLIC_ACLS:
            report(f"S3 bucket ACL '{props.get('acl')}' makes objects public; keep it private")
    elif kind == "gcp:storage/bucket:Bucket":
        if props.get("publicAccessPrevention") != "enforced" or (
            props.get("uniformBucketLevelAccess") is not True
        ):
            report(
                "GCS bucket may become public; set public_access_prevention='enforced' and "
                "uniform_bucket_level_access=True"
            )
    elif kind.startswith("gcp:storage/bucketIAM"):
        members = [props.get("member"), *(props.get("members") or [])]
        if any(m in PUBLIC_MEMBERS for m in members):
            report("GCS bucket IAM grants access to allUsers or allAuthenticatedUsers; remove it")


def validate_s3_buckets_blocked(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every S3 bucket has a public access block that depends on it."""
    blocks = [
        r
        for r in args.resources
        if r.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    ]
    for bucket in (r for r in args.resources if r.resource_type in S3_BUCKETS):
        if not any(bucket in block.dependencies for block in blocks):
            report(
                f"S3 bucket {bucket.name} has no public access block; add an "
                "aws.s3.BucketPublicAccessBlock for it with all four settings true",
                bucket.urn,
            )


def validate_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type in STATEFUL_TYPES and tier(args) != "dev" and not args.opts.protect:
        report(
            f"{args.resource_type} holds or guards data and is not protected outside dev; "
            "create it with ResourceOptions(protect=True)"
        )


def validate_kubernetes_provider(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # The provider itself is `pulumi:providers:kubernetes`, so this skips it too.
    if not args.resource_type.startswith("kubernetes:"):
        return
    provider = args.provider
    if provider is None or provider.name.startswith("default"):
        report(
            "Kubernetes resource uses the default provider, which deploys to whatever cluster "
            "the ambient kubeconfig points at; pass the cluster's provider explicitly"
        )


YAML_KINDS = frozenset({"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml:ConfigGroup"})


def validate_no_inline_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A Secret written into a YAML config group keeps its data in plaintext inputs.

    The Kubernetes SDKs mark a typed `core/v1` Secret's `data` and `stringData` secret
    themselves (pulumi_kubernetes/core/v1/Secret.py: `pulumi.Output.secret(...)`), and the
    policy SDK shows validations their inputs with secrets already unwrapped, so the place a
    plaintext Secret still gets in is a config group's inline objects or YAML.
    """
    if args.resource_type not in YAML_KINDS:
        return
    objects = list(args.props.get("objs") or [])
    inline = args.props.get("yaml") or ""
    texts = [inline] if isinstance(inline, str) else list(inline)
    secret_objects = [
        o for o in objects if isinstance(o, Mapping) and o.get("kind") == "Secret"
    ]
    if any(o.get("data") or o.get("stringData") for o in secret_objects) or any(
        re.search(r"(?m)^kind:\s*Secret\s*$", text) for text in texts
    ):
        report(
            "a Kubernetes Secret with data is declared inline in a config group, so its "
            "values sit in plaintext in the inputs and the state; create it as "
            "k8s.core.v1.Secret from a secret Output, or as an ExternalSecret"
        )


POLICIES = [
    ResourceValidationPolicy(
        name="private-control-plane-in-prod",
        description="Prod clusters have no public API endpoint.",
        validate=validate_private_control_plane,
        config_schema=TIER_CONFIG,
    ),
    ResourceValidationPolicy(
        name="secrets-envelope-encrypted",
        description="Kubernetes Secrets are envelope-encrypted with a customer-managed key.",
        validate=validate_secrets_encryption,
    ),
    ResourceValidationPolicy(
        name="imdsv2-hop-limit-1",
        description="Nodes require IMDSv2 with a hop limit of 1.",
        validate=validate_imdsv2,
    ),
    ResourceValidationPolicy(
        name="no-public-buckets",
        description="No bucket or bucket ACL/IAM grant makes objects public.",
        validate=validate_bucket_access,
    ),
    StackValidationPolicy(
        name="s3-buckets-block-public-access",
        description="Every S3 bucket has a public access block.",
        validate=validate_s3_buckets_blocked,
    ),
    ResourceValidationPolicy(
        name="stateful-protected-outside-dev",
        description="Clusters, keys, buckets and databases are protected outside dev.",
        validate=validate_protected,
        config_schema=TIER_CONFIG,
    ),
    ResourceValidationPolicy(
        name="kubernetes-explicit-provider",
        description="Kubernetes resources name the cluster's provider explicitly.",
        validate=validate_kubernetes_provider,
    ),
    ResourceValidationPolicy(
        name="no-plaintext-kubernetes-secret",
        description="No Kubernetes Secret's data is given in plaintext inputs.",
        validate=validate_no_inline_secret,
    ),
]
