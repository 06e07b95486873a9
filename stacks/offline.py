"""Run a Pulumi program through Pulumi's mock runtime: no CLI, no cloud credentials.

`run(stack)` runs this project's program for a stack file; `run_program(program)` runs any
program function, which is how other projects unit-test programs built from these components
(docs/testing.md). `RecordingMocks` returns plausible computed outputs per resource type in
update mode and only echoes inputs in preview mode (so computed values stay unknown, as in
`pulumi preview`), and answers the invokes the components make. Every registration is
recorded with its inputs, parent, provider and options. Invokes the program was not taught to
expect fail the run, so a new data-source call cannot slip in unreviewed.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_root_resource, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from kube_platform.stacks import loader
from kube_platform.stacks.config import PROJECT

PROJECT_DIR = Path(__file__).resolve().parent.parent
COMPUTED = "<computed>"

ACCOUNT_ID = "123456789012"


GCP_PROJECT_NUMBER = "204918237465"


def _gsa_email(inputs: dict[str, Any], name: str) -> str:
    project = inputs.get("project", "example-project")
    return f"{inputs.get('accountId', name)}@{project}.iam.gserviceaccount.com"


def _computed_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Plausible values the cloud would compute for a resource of `type_`."""
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
    table: dict[str, dict[str, Any]] = {
        # --- aws ---
        "aws:iam/role:Role": {"arn": arn, "name": inputs.get("name", name)},
        "aws:iam/policy:Policy": {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}"},
        "aws:kms/key:Key": {
            "arn": f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{name}",
            "keyId": f"{name}-key-id",
        },
        "aws:eks/cluster:Cluster": {
            "arn": f"arn:aws:eks:eu-west-1:{ACCOUNT_ID}:cluster/{inputs.get('name', name)}",
            "endpoint": "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"},
            "identities": [
                {"oidcs": [{"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123"}]}
            ],
            "vpcConfig": {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-0c1"},
        },
        "aws:ec2/vpc:Vpc": {"arn": f"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:vpc/vpc-0a1"},
        "aws:ec2/launchTemplate:LaunchTemplate": {"latestVersion": 1, "defaultVersion": 1},
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/"
            f"{str(inputs.get('url', name)).removeprefix('https://')}",
        },
        "aws:cloudwatch/logGroup:LogGroup": {
            "arn": f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:{inputs.get('name', name)}"
        },
        "aws:eks/nodeGroup:NodeGroup": {
            "arn": f"arn:aws:eks:eu-west-1:{ACCOUNT_ID}:nodegroup/"
            f"{inputs.get('clusterName', 'c')}/{inputs.get('nodeGroupName', name)}/0a1",
            "status": "ACTIVE",
        },
        "aws:eks/addon:Addon": {
            "arn": f"arn:aws:eks:eu-west-1:{ACCOUNT_ID}:addon/"
            f"{inputs.get('clusterName', 'c')}/{inputs.get('addonName', name)}/0a1",
        },
        "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
            "associationArn": f"arn:aws:eks:eu-west-1:{ACCOUNT_ID}:podidentityassociation/"
            f"{inputs.get('clusterName', 'c')}/a-0a1",
            "associationId": "a-0a1",
        },
        "aws:s3/bucket:Bucket": {
            "arn": f"arn:aws:s3:::{inputs.get('bucket', name)}",
            "bucket": inputs.get("bucket", name),
        },
        "aws:codebuild/project:Project": {
            "arn": f"arn:aws:codebuild:eu-west-1:{ACCOUNT_ID}:project/{inputs.get('name', name)}",
        },
        "aws:codebuild/webhook:Webhook": {
            "payloadUrl": "https://codebuild.eu-west-1.amazonaws.com/webhooks",
            "url": f"https://api.github.com/repos/example/hooks/{name}",
        },
        "aws:amp/workspace:Workspace": {
            "arn": f"arn:aws:aps:eu-west-1:{ACCOUNT_ID}:workspace/ws-0a1b2c3d",
            "prometheusEndpoint": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/"
            "ws-0a1b2c3d/",
        },
        "aws:sqs/queue:Queue": {
            "arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT_ID}:{name}",
            "url": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT_ID}/{name}",
        },
        # --- gcp ---
        "gcp:storage/bucket:Bucket": {
            "name": inputs.get("name", name),
            "url": f"gs://{inputs.get('name', name)}",
        },
        "gcp:container/cluster:Cluster": {
            "endpoint": "34.77.0.10",
            "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"},
            "controlPlaneEndpointsConfig": {
                **inputs.get("controlPlaneEndpointsConfig", {}),
                "dnsEndpointConfig": {
                    **inputs.get("controlPlaneEndpointsConfig", {}).get("dnsEndpointConfig", {}),
                    "endpoint": "gke-0123456789abcdef-123456789.europe-west1.gke.goog",
                },
            },
        },
        "gcp:serviceaccount/account:Account": {
            "email": _gsa_email(inputs, name),
            "member": f"serviceAccount:{_gsa_email(inputs, name)}",
            "name": f"projects/{inputs.get('project', 'example-project')}/serviceAccounts/"
            f"{_gsa_email(inputs, name)}",
        },
        "gcp:container/nodePool:NodePool": {
            "instanceGroupUrls": [
                f"https://www.googleapis.com/compute/v1/projects/example-project/zones/{zone}/"
                f"instanceGroupManagers/gke-{name}-grp"
                for zone in inputs.get("nodeLocations", [])
            ],
        },
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": {
            "name": f"projects/{GCP_PROJECT_NUMBER}/locations/global/workloadIdentityPools/"
            f"{inputs.get('workloadIdentityPoolId', name)}",
        },
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": {
            "name": f"projects/{GCP_PROJECT_NUMBER}/locations/global/workloadIdentityPools/"
            f"{inputs.get('workloadIdentityPoolId', 'pool')}/providers/"
            f"{inputs.get('workloadIdentityPoolProviderId', name)}",
        },
        "gcp:kms/cryptoKey:CryptoKey": {
            "id": f"projects/example-project/locations/europe-west1/keyRings/ring/"
            f"cryptoKeys/{inputs.get('name', name)}"
        },
        # --- other providers ---
        "tls:index/privateKey:PrivateKey": {
            "privateKeyPem": "-----BEGIN PRIVATE KEY-----\nMOCK\n-----END PRIVATE KEY-----\n",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n",
        },
        "tls:index/selfSignedCert:SelfSignedCert": {
            "certPem": "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n",
        },
        "random:index/randomPassword:RandomPassword": {"result": "mock-password-0123456789"},
    }
    return table.get(type_, {})


# Who an offline run deploys as, when neither the caller nor the stack says otherwise.
DEFAULT_DEPLOYER = f"arn:aws:iam::{ACCOUNT_ID}:user/ci"
_SESSION = "platform-deploy"


def deployer_of(file_config: dict[str, Any]) -> str:
    """The IAM principal a stack is deployed as: its first EKS admin principal (whoever runs
    `pulumi up` for an EKS stack must be one), else DEFAULT_DEPLOYER."""
    cluster = file_config.get(f"{PROJECT}:cluster")
    eks = cluster.get("eks") if isinstance(cluster, dict) else None
    admins = eks.get("adminPrincipals") if isinstance(eks, dict) else None
    return admins[0] if admins and isinstance(admins[0], str) else DEFAULT_DEPLOYER


def _caller_arn(principal: str) -> str:
    """What STS names a principal's session: an assumed-role ARN (no path) for a role."""
    parts = principal.split(":", 5)
    kind, _, path = parts[5].partition("/")
    if kind != "role":
        return principal
    return f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{path.rsplit('/', 1)[-1]}/{_SESSION}"


def _session_context(args: dict[str, Any], principal: str) -> dict[str, Any]:
    """IAM's session context: the role behind an assumed-role ARN, other ARNs as given."""
    arn = args["arn"]
    issuer = principal if arn == _caller_arn(principal) else arn
    return {
        "arn": arn,
        "issuerArn": issuer,
        "issuerId": "AROAEXAMPLE",
        "issuerName": issuer.rsplit("/", 1)[-1],
        "sessionName": _SESSION if issuer != arn else "",
    }


# Invokes whose answer depends on the identity the run deploys as.
IDENTITY_INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args, principal: {
        "accountId": principal.split(":")[4] or ACCOUNT_ID,
        "arn": _caller_arn(principal),
        "id": principal.split(":")[4] or ACCOUNT_ID,
        "userId": "AIDAEXAMPLE",
    },
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}


# Invokes the program makes, with plausible answers. Anything else fails the run.
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # --- gcp ---
    "gcp:organizations/getProject:getProject": lambda args: {
        "projectId": args.get("projectId", "example-project"),
        "name": args.get("projectId", "example-project"),
        "number": GCP_PROJECT_NUMBER,
    },
    # What a region's release channels offer (projects.locations.getServerConfig): each
    # channel's default and newest version, so a channel may not offer a minor yet. The
    # defaults and minor ranges of GKE's release notes ("Current versions", November 2026):
    # Rapid 1.34 to 1.37, Regular 1.34 to 1.36, Stable 1.34 to 1.35.
    "gcp:container/getEngineVersions:getEngineVersions": lambda args: {
        "location": args.get("location"),
        "project": args.get("project", "example-project"),
        "releaseChannelDefaultVersion": {
            "RAPID": "1.36.4-gke.1082000",
            "REGULAR": "1.35.7-gke.1222000",
            "STABLE": "1.35.6-gke.1250000",
        },
        "releaseChannelLatestVersion": {
            "RAPID": "1.37.1-gke.1045000",
            "REGULAR": "1.36.4-gke.1082000",
            "STABLE": "1.35.7-gke.1222000",
        },
    },
    # --- other providers ---
}


@dataclass
class Registration:
    """One registered resource, as the engine would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    protect: bool
    dependencies: list[str]
    deleted_with: str
    ignore_changes: list[str]
    aliases: list[str]
    replace_on_changes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""

    @property
    def parent_type(self) -> str:
        """The type of this resource's parent (the last segment of the parent URN's type
        chain); empty for top-level resources."""
        if not self.parent:
            return ""
        return self.parent.split("::")[2].rsplit("$", 1)[-1]


def _reveal(value: Any, path: str, secrets: set[str]) -> Any:
    """Strip secret markers from deserialized inputs, noting where secrets were."""
    if rpc.is_rpc_secret(value):
        secrets.add(path)
        return _reveal(rpc.unwrap_rpc_secret(value), path, set())
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return COMPUTED
    if isinstance(value, dict):
        return {k: _reveal(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that answer like the engine would: plausible computed outputs per resource type
    in update mode (none in preview), the invokes the library makes, and the caller's own
    `invokes`. Any other invoke fails the run and is listed in `unknown_invokes`."""

    def __init__(
        self,
        preview: bool,
        deployer: str = DEFAULT_DEPLOYER,
        invokes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
    ) -> None:
        self.preview = preview
        self.deployer = deployer
        self.invokes = {**INVOKES, **(invokes or {})}
        self.unknown_invokes: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        if not self.preview:
            state.update(_computed_outputs(args.typ, args.name, args.inputs))
        resource_id = None if self.preview else f"{args.name}-id"
        return resource_id or "", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        if args.token in IDENTITY_INVOKES:
            return IDENTITY_INVOKES[args.token](dict(args.args), self.deployer), []
        answer = self.invokes.get(args.token)
        if answer is None:
            self.unknown_invokes.append(args.token)
            raise NotImplementedError(
                f"the offline runner does not know invoke {args.token}; teach it a plausible "
                "answer (`invokes` of run_program, or INVOKES in stacks/offline.py)"
            )
        # An empty failure list: the mock monitor iterates it.
        return answer(dict(args.args)), []


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def resource_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the Pulumi engine gives a resource: its type is prefixed with the parent's
    qualified type (the whole `$`-joined chain), except under the root stack resource."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The SDK's mock keeps only the parent's own type; the engine keeps the whole chain.
        return resource_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def _alias_urn(self, alias: Any, request: Any) -> str:
        """The URN an alias stands for; a spec defaults every part to the resource's own."""
        if alias.urn:
            return alias.urn
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        return resource_urn(
            spec.stack or pulumi.get_stack(),
            spec.project or pulumi.get_project(),
            parent,
            spec.type or request.type,
            spec.name or request.name,
        )

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        secrets: set[str] = set()
        inputs = _reveal(
            rpc.deserialize_properties(request.object, keep_unknowns=True), "", secrets
        )
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=request.custom,
            parent=request.parent,
            provider=request.provider,
            inputs=inputs,
            secret_inputs=secrets,
            protect=bool(request.protect),
            dependencies=list(request.dependencies),
            deleted_with=request.deletedWith,
            ignore_changes=list(request.ignoreChanges),
            aliases=[self._alias_urn(a, request) for a in request.aliases],
            replace_on_changes=list(request.replaceOnChanges),
            outputs=self.resources[response.urn].state if response.urn in self.resources else {},
        )
        return response


@dataclass
class StackOutput:
    value: Any
    secret: bool
    known: bool


@dataclass
class Run:
    """The outcome of one offline run of a stack."""

    stack: str
    preview: bool
    registrations: dict[str, Registration]
    outputs: dict[str, StackOutput]
    unknown_invokes: list[str]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations.values() if r.type == type_]

    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations.values() if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]


def run(
    stack: str,
    *,
    preview: bool = False,
    project_dir: Path = PROJECT_DIR,
    config: dict[str, Any] | None = None,
    program: Callable[[], dict[str, Any]] | None = None,
    monitor: RecordingMonitor | None = None,
    deployer: str | None = None,
) -> Run:
    """Run the platform program for `stack` (its stack file, or `config` as a stack file's
    `config:` mapping) and return what it registered. It deploys as `deployer` (an IAM role or
    user ARN), by default as the stack's first EKS admin principal. Configuration errors
    propagate as `ConfigurationError`. `program` replaces the platform program (tests of one
    component); `run_program` is the entry point for other projects' programs."""
    from kube_platform.stacks import platform

    file_config = (
        config
        if config is not None
        else loader.read_stack_file(loader.stack_file(stack, project_dir))
    )

    def build() -> dict[str, Any]:
        cfg = loader.from_pulumi(file_config=file_config, project_dir=project_dir)
        return platform.build(cfg, stack)

    return _execute(
        program or build,
        project=PROJECT,
        stack=stack,
        config=file_config,
        preview=preview,
        monitor=monitor or RecordingMonitor(RecordingMocks(preview)),
        deployer=deployer or deployer_of(file_config),
    )


def run_program(
    program: Callable[[], dict[str, Any] | None],
    *,
    config: dict[str, Any] | None = None,
    project: str = "project",
    stack: str = "test",
    preview: bool = False,
    deployer: str = DEFAULT_DEPLOYER,
    invokes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
) -> Run:
    """Run any Pulumi program function through the mock runtime with the recording mocks, and
    return every resource it registered and every output it exported.

    `program` builds resources as a Pulumi program would; it may return a mapping of outputs,
    call `pulumi.export`, or both. `config` is a stack file's `config:` mapping (full keys
    such as `<project>:<key>`; `{"secure": ...}` values count as secrets); `project` and
    `stack` are what `pulumi.get_project()` and `pulumi.get_stack()` return. AWS identity
    invokes answer as `deployer`; `invokes` teaches answers to data sources of the program's
    own (by token), on top of those the library's components make. In preview mode computed
    values stay unknown, as in `pulumi preview`.
    """
    return _execute(
        program,
        project=project,
        stack=stack,
        config=config or {},
        preview=preview,
        monitor=RecordingMonitor(RecordingMocks(preview, invokes=invokes)),
        deployer=deployer,
    )


def shutdown() -> None:
    """Close the mock runtime's event loops after the last run of a process. The mock monitor
    registers resources from worker threads, and each opens an event loop that outlives its
    thread (futures of recorded resources keep it alive); closed now, interpreter exit does
    not finalize them after their sockets ("Exception ignored ... Invalid file descriptor")."""
    main = asyncio.get_event_loop()
    main.run_until_complete(main.shutdown_default_executor())
    for loop in [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]:
        if not loop.is_running() and not loop.is_closed():
            loop.close()


def _execute(
    program: Callable[[], dict[str, Any] | None],
    *,
    project: str,
    stack: str,
    config: dict[str, Any],
    preview: bool,
    monitor: RecordingMonitor,
    deployer: str,
) -> Run:
    values, secret_keys = loader.engine_config(config)
    mocks = monitor.mocks
    mocks.deployer = deployer
    # A root stack resource of this run's own, so its outputs and URN are this run's.
    set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(values, secret_keys)

    results: dict[str, StackOutput] = {}

    async def resolve(exports: dict[str, Any]) -> None:
        for key, value in exports.items():
            output = pulumi.Output.from_input(value)
            results[key] = StackOutput(
                value=await output.future(),
                secret=await output.is_secret(),
                known=await output.is_known(),
            )

    def main() -> Any:
        returned = program() or {}
        root = get_root_resource()
        exported = dict(getattr(root, "outputs", None) or {})
        return resolve({**exported, **returned})

    _sync_await(run_pulumi_func(main))
    return Run(stack, preview, monitor.registrations, results, mocks.unknown_invokes)
