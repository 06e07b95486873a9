"""EKS behind the cluster contract: the controls users rely on, at every tier."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

from kube_platform.components import versions
from kube_platform.components.cluster import WorkloadIdentityRequest, eks_deployer, eks_identity
from kube_platform.components.cluster.aws_network import plan_subnets
from kube_platform.components.cluster.eks import EksClusterArgs, EksNodeGroupArgs
from kube_platform.components.cluster.eks_node_groups import zone_share
from kube_platform.stacks import loader, offline
from kube_platform.stacks.wiring import clusters
from tests.conftest import ROOT, stack_config
from tests.test_config_errors import (
    EKS,
    EKS_RUNNER,
    POOL,
    assert_rejected,
    base,
    cloud,
)

SSO_ROLE = (
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_PlatformAdmin_0a1b2c3d4e5f6789"
)
DEV_EKS = base(
    tier="dev",
    cluster={
        "kind": "eks",
        "name": "platform-dev",
        "eks": {
            **EKS["eks"],
            "publicAccessCidrs": ["198.51.100.0/28"],
            # The deployer: an SSO role, whose ARN has a path its sessions do not show.
            "adminPrincipals": [SSO_ROLE, *EKS["eks"]["adminPrincipals"]],
            "logRetentionDays": 7,
        },
    },
    nodePools=[
        {**POOL, "name": "arm", "instanceTypes": ["m7g.large", "c7g.large"], "desiredSize": 2},
        {
            **POOL,
            "name": "batch",
            "capacity": "spot",
            "minSize": 0,
            "taints": [{"key": "batch", "effect": "NoExecute"}],
        },
    ],
)
TIERS = ["dev", "staging", "prod"]
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


@pytest.fixture(scope="module")
def dev_run():
    return offline.run("dev-eks", config=DEV_EKS, project_dir=ROOT)


@pytest.fixture
def run_of(stack_run, dev_run):
    def get(tier: str):
        return dev_run if tier == "dev" else stack_run(tier)

    return get


def one(run, type_):
    """The one resource of `type_` the EKS cluster component owns."""
    found = [r for r in run.of_type(type_) if "platform:index:EksCluster" in r.urn]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def addon(run, name):
    return next(r for r in run.of_type(ADDON) if r.inputs["addonName"] == name)


def test_the_shipped_stacks_run_on_eks(stack_run):
    for stack in ("staging", "prod"):
        run = stack_run(stack)
        assert run.outputs["cloud"].value == "aws"
        assert one(run, "pulumi:providers:aws").inputs["region"] == "eu-west-1"


# --- control plane ---------------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_the_api_endpoint_is_private_unless_an_allow_list_opens_it(run_of, tier):
    vpc = one(run_of(tier), CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    expected = {"dev": ["198.51.100.0/28"], "staging": ["203.0.113.0/28"], "prod": None}[tier]
    assert vpc["endpointPublicAccess"] is bool(expected)
    assert vpc.get("publicAccessCidrs") == expected


def test_the_private_endpoint_admits_only_the_listed_networks_and_the_runner(stack_run):
    run = stack_run("prod")
    rules = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    networks = [r for r in rules if "cidrIpv4" in r.inputs]
    assert sorted(r.inputs["cidrIpv4"] for r in networks) == ["10.10.0.0/16", "10.200.0.0/16"]
    [runner] = [r for r in rules if "cidrIpv4" not in r.inputs]
    runner_sg = one(run, "aws:ec2/securityGroup:SecurityGroup")
    assert runner.inputs["referencedSecurityGroupId"] == f"{runner_sg.name}-id"
    assert {(r.inputs["fromPort"], r.inputs["toPort"], r.inputs["ipProtocol"]) for r in rules} == {
        (443, 443, "tcp")
    }
    assert {r.inputs["securityGroupId"] for r in rules} == {"sg-0c1"}


@pytest.mark.parametrize("tier", TIERS)
def test_secrets_are_encrypted_with_a_rotating_customer_key(run_of, tier):
    run = run_of(tier)
    key = one(run, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == (7 if tier == "dev" else 30)
    encryption = one(run, CLUSTER).inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == key.outputs["arn"]


@pytest.mark.parametrize("tier", TIERS)
def test_audit_logs_go_to_a_log_group_with_retention_created_first(run_of, tier):
    run = run_of(tier)
    cluster = one(run, CLUSTER)
    assert cluster.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    group = run.named(f"{cluster.inputs['name']}-logs")
    assert group.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert group.inputs["retentionInDays"] == {"dev": 7, "staging": 30, "prod": 365}[tier]
    assert group.urn in cluster.dependencies


@pytest.mark.parametrize("tier", TIERS)
def test_access_entries_grant_admin_and_the_creator_gets_none(run_of, tier):
    run = run_of(tier)
    access = one(run, CLUSTER).inputs["accessConfig"]
    assert access["authenticationMode"] == "API"
    assert access["bootstrapClusterCreatorAdminPermissions"] is False
    entries = run.of_type("aws:eks/accessEntry:AccessEntry")
    policies = run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert len(entries) == len(policies)
    for policy in policies:
        assert policy.inputs["policyArn"] == (
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        )
        assert policy.inputs["accessScope"] == {"type": "cluster"}
    # Exactly the listed principals: the deploy runner's role (prod) gets no entry.
    if tier != "dev":
        assert sorted(e.inputs["principalArn"] for e in entries) == [
            "arn:aws:iam::123456789012:role/platform-admins",
            "arn:aws:iam::123456789012:role/platform-deployer",
            f"arn:aws:iam::123456789012:role/platform-{tier}-ci-deploy",
        ]


@pytest.mark.parametrize("tier", TIERS)
def test_stateful_resources_are_protected_outside_dev(run_of, tier):
    run = run_of(tier)
    cluster, key = one(run, CLUSTER), one(run, "aws:kms/key:Key")
    protected = tier != "dev"
    assert cluster.protect is protected and key.protect is protected
    assert cluster.inputs["deletionProtection"] is protected
    if tier == "dev":
        assert not [r.name for r in run.registrations.values() if r.protect]


def test_the_cluster_version_comes_from_config(stack_run):
    assert one(stack_run("prod"), CLUSTER).inputs["version"] == "1.35"
    for group in stack_run("prod").of_type(NODE_GROUP):
        assert group.inputs["version"] == "1.35"


# --- network ---------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "nats"), [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_per_zone_only_with_high_availability(run_of, tier, nats):
    run = run_of(tier)
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == nats
    nat_ids = {f"{n.name}-id" for n in run.of_type("aws:ec2/natGateway:NatGateway")}
    private_routes = [r for r in run.of_type("aws:ec2/route:Route") if r.inputs.get("natGatewayId")]
    assert len(private_routes) == 3  # one route table per zone
    assert {r.inputs["natGatewayId"] for r in private_routes} == nat_ids


@pytest.mark.parametrize("tier", TIERS)
def test_subnets_are_tagged_for_load_balancer_discovery_and_owned(run_of, tier):
    run = run_of(tier)
    name = one(run, CLUSTER).inputs["name"]
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if "-public-" in s.name]
    private = [s for s in subnets if "-private-" in s.name]
    assert len(public) == len(private) == 3
    for subnet in subnets:
        assert subnet.inputs["tags"][f"kubernetes.io/cluster/{name}"] == "owned"
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert len({s.inputs["availabilityZone"] for s in private}) == 3


def test_subnet_plans_are_disjoint_and_inside_the_vpc():
    import ipaddress

    vpc = ipaddress.IPv4Network("10.0.0.0/16")
    plans = plan_subnets(str(vpc), [f"z{i}" for i in range(6)])
    cidrs = [ipaddress.IPv4Network(c) for p in plans for c in (p.private_cidr, p.public_cidr)]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    # Adding a zone never renumbers the others.
    assert plan_subnets(str(vpc), ["z0", "z1"]) == plans[:2]


def test_an_existing_vpc_is_used_as_is(run_config):
    config = cloud(
        {
            **EKS,
            "eks": {
                **EKS["eks"],
                "publicAccessCidrs": ["198.51.100.0/28"],
                "network": {
                    "vpcId": "vpc-0abc",
                    "privateSubnetIds": ["subnet-a", "subnet-b", "subnet-c"],
                    "publicSubnetIds": ["subnet-x"],
                },
            },
        },
        tier="dev",
    )
    run = run_config(config)
    assert not run.of_type("aws:ec2/vpc:Vpc") and not run.of_type("aws:ec2/subnet:Subnet")
    assert not run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert one(run, CLUSTER).inputs["vpcConfig"]["subnetIds"] == [
        "subnet-a",
        "subnet-b",
        "subnet-c",
    ]
    # A node group per zone, in the zone order the subnets are listed in.
    groups = sorted(run.of_type(NODE_GROUP), key=lambda g: g.inputs["nodeGroupNamePrefix"])
    assert [g.inputs["subnetIds"] for g in groups] == [["subnet-a"], ["subnet-b"], ["subnet-c"]]
    rules = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r for r in rules if "cidrIpv4" in r.inputs] == []


# --- add-ons and node groups -----------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_networking_proxy_and_identity_add_ons_exist_before_any_node(run_of, tier):
    run = run_of(tier)
    early = {addon(run, a).urn for a in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")}
    groups = run.of_type(NODE_GROUP)
    assert groups
    for group in groups:
        assert early <= set(group.dependencies), group.name
    for name in ("coredns", "aws-ebs-csi-driver"):
        assert {g.urn for g in groups} <= set(addon(run, name).dependencies), name


@pytest.mark.parametrize("tier", TIERS)
def test_add_on_versions_are_pinned(run_of, tier):
    run = run_of(tier)
    pinned = versions.eks_addons("1.35")
    assert {r.inputs["addonName"]: r.inputs["addonVersion"] for r in run.of_type(ADDON)} == pinned
    assert one(run, CLUSTER).inputs["bootstrapSelfManagedAddons"] is False


def test_the_ebs_csi_controller_gets_its_role_through_pod_identity(stack_run):
    run = stack_run("prod")
    ebs = addon(run, "aws-ebs-csi-driver")
    [association] = ebs.inputs["podIdentityAssociations"]
    assert association["serviceAccount"] == "ebs-csi-controller-sa"
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("-ebs-csi"))
    assert association["roleArn"] == role.outputs["arn"]
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert condition["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == (
        "ebs-csi-controller-sa"
    )


@pytest.mark.parametrize("tier", TIERS)
def test_launch_templates_harden_every_node(run_of, tier):
    run = run_of(tier)
    templates = run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    # One per pool, shared by the pool's per-zone node groups.
    assert {g.inputs["launchTemplate"]["id"] for g in run.of_type(NODE_GROUP)} == {
        f"{t.name}-id" for t in templates
    }
    for template in templates:
        metadata = template.inputs["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        [root] = template.inputs["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3"
        assert "keyName" not in template.inputs
    for group in run.of_type(NODE_GROUP):
        assert "remoteAccess" not in group.inputs and "diskSize" not in group.inputs


def test_node_groups_follow_their_pools(dev_run, stack_run):
    groups = {g.inputs["nodeGroupNamePrefix"][:-1]: g for g in dev_run.of_type(NODE_GROUP)}
    assert sorted(groups) == ["arm-a", "arm-b", "arm-c", "batch-a", "batch-b", "batch-c"]
    arm = [groups[f"arm-{z}"] for z in "abc"]
    assert {g.inputs["amiType"] for g in arm} == {"AL2023_ARM_64_STANDARD"}
    assert arm[0].inputs["instanceTypes"] == ["m7g.large", "c7g.large"]
    assert arm[0].inputs["capacityType"] == "ON_DEMAND"
    # desiredSize 2, minSize 1, maxSize 3 across three zones.
    assert [g.inputs["scalingConfig"] for g in arm] == [
        {"desiredSize": 1, "minSize": 1, "maxSize": 1},
        {"desiredSize": 1, "minSize": 0, "maxSize": 1},
        {"desiredSize": 0, "minSize": 0, "maxSize": 1},
    ]
    batch = groups["batch-a"]
    assert batch.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert batch.inputs["capacityType"] == "SPOT"
    assert batch.inputs["taints"] == [{"key": "batch", "effect": "NO_EXECUTE"}]
    # minSize 0 and no desiredSize: the pool starts no node.
    assert {groups[f"batch-{z}"].inputs["scalingConfig"]["desiredSize"] for z in "abc"} == {0}
    prod = {g.inputs["nodeGroupNamePrefix"][:-1]: g for g in stack_run("prod").of_type(NODE_GROUP)}
    assert prod["system-a"].inputs["labels"] == {"platform.example.com/pool": "system"}
    assert prod["spot-c"].inputs["taints"] == [
        {"key": "platform.example.com/spot", "value": "true", "effect": "NO_SCHEDULE"}
    ]


@pytest.mark.parametrize("tier", TIERS)
def test_the_autoscaler_owns_the_desired_size_after_creation(run_of, tier):
    run = run_of(tier)
    private = {
        f"{s.name}-id" for s in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name
    }
    for group in run.of_type(NODE_GROUP):
        assert group.ignore_changes == ["scalingConfig.desiredSize"]
        assert group.inputs["updateConfig"] == {"maxUnavailable": 1}
        assert len(group.inputs["subnetIds"]) == 1 and set(group.inputs["subnetIds"]) <= private
        name = one(run, CLUSTER).inputs["name"]
        assert group.inputs["tags"][f"k8s.io/cluster-autoscaler/{name}"] == "owned"


def test_cluster_autoscaler_discovers_this_clusters_groups(stack_run):
    run = stack_run("prod")
    release = next(
        r
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "cluster-autoscaler"
    )
    assert release.inputs["version"] == versions.CLUSTER_AUTOSCALER.version
    values = release.inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "platform-prod"}
    assert values["awsRegion"] == "eu-west-1" and values["cloudProvider"] == "aws"
    assert values["replicaCount"] == 2
    # The autoscaler release matching the cluster's minor, not the chart's newest.
    assert values["image"]["tag"] == versions.CLUSTER_AUTOSCALER_IMAGE_TAGS["1.35"]
    association = next(
        r
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["serviceAccount"] == "cluster-autoscaler"
    )
    assert association.urn in release.dependencies
    policy = next(
        json.loads(r.inputs["policy"])
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if "cluster-autoscaler" in r.name
    )
    scale = next(s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert (
        scale["Condition"]["StringEquals"][
            "aws:ResourceTag/k8s.io/cluster-autoscaler/platform-prod"
        ]
        == "owned"
    )


# --- in-cluster resources --------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_nothing_runs_in_the_cluster_before_its_nodes_and_admins(run_of, tier):
    run = run_of(tier)
    needed = {g.urn for g in run.of_type(NODE_GROUP)}
    needed |= {a.urn for a in run.of_type(ADDON)}
    needed |= {
        a.urn for a in run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    cluster = one(run, CLUSTER)
    in_cluster = [
        r for r in run.registrations.values() if r.custom and r.type.startswith("kubernetes:")
    ]
    assert in_cluster
    for r in in_cluster:
        assert needed <= set(r.dependencies), r.name
        assert r.deleted_with == cluster.urn, r.name


@pytest.mark.parametrize("tier", TIERS)
def test_storage_classes_encrypt_and_databases_keep_their_volumes(run_of, tier):
    classes = {
        c.inputs["metadata"]["name"]: c
        for c in run_of(tier).of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    }
    for storage in classes.values():
        assert storage.inputs["provisioner"] == "ebs.csi.aws.com"
        assert storage.inputs["parameters"]["type"] == "gp3"
        assert storage.inputs["parameters"]["encrypted"] == "true"
        assert storage.inputs["allowVolumeExpansion"] is True
    assert (
        classes["gp3"].inputs["metadata"]["annotations"][
            "storageclass.kubernetes.io/is-default-class"
        ]
        == "true"
    )
    assert classes["gp3-retain"].inputs["reclaimPolicy"] == "Retain"


@pytest.mark.parametrize("tier", TIERS)
def test_the_kubeconfig_is_exec_based_and_secret(run_of, tier):
    run = run_of(tier)
    output = run.outputs["kubeconfig"]
    assert output.secret
    config = yaml.safe_load(output.value)
    [user] = config["users"]
    assert "token" not in user["user"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    name = one(run, CLUSTER).inputs["name"]
    assert exec_["args"][:2] == ["eks", "get-token"]
    assert exec_["args"][exec_["args"].index("--cluster-name") + 1] == name
    assert exec_["args"][exec_["args"].index("--region") + 1] == "eu-west-1"
    provider = one(run, "pulumi:providers:kubernetes")
    assert "kubeconfig" in provider.secret_inputs


# --- workload identity -----------------------------------------------------------------


def _bind(requests):
    captured = {}

    def program():
        cfg = loader.from_pulumi(file_config=DEV_EKS, project_dir=ROOT)
        cluster = clusters.make_cluster(cfg, "dev")
        for request in requests:
            identity = cluster.bind_workload_identity(request, cluster)
            captured[request.name] = identity
        return {
            "oidcProviderArn": cluster.oidc_provider_arn,
            "oidcIssuer": cluster.oidc_issuer,
            "arn": cluster.arn,
            "vpcId": cluster.vpc_id,
            **{
                f"annotations-{k}": pulumi.Output.from_input(v.service_account_annotations)
                for k, v in captured.items()
            },
        }

    return offline.run("dev", config=DEV_EKS, program=program), captured


def _trust(run, role_name):
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.inputs["name"] == role_name)
    return json.loads(role.inputs["assumeRolePolicy"])["Statement"], role


def test_pod_identity_trust_is_scoped_to_one_service_account_of_this_cluster():
    request = WorkloadIdentityRequest(
        name="dns",
        namespace="external-dns",
        service_account="external-dns",
        aws_policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    run, identities = _bind([request])
    [statement], role = _trust(run, "platform-dev-dns")
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    cluster_arn = run.outputs["arn"].value
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": "123456789012",
            "aws:RequestTag/eks-cluster-arn": cluster_arn,
            "aws:RequestTag/kubernetes-namespace": "external-dns",
            "aws:RequestTag/kubernetes-service-account": "external-dns",
        }
    }
    association = next(
        r
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["serviceAccount"] == "external-dns"
    )
    assert association.inputs["namespace"] == "external-dns"
    assert association.inputs["roleArn"] == role.outputs["arn"]
    assert run.outputs["annotations-dns"].value == {}
    assert len(identities["dns"].ready) == 2  # the association and the role policy


def test_irsa_trust_is_scoped_to_one_service_account_and_sts():
    request = WorkloadIdentityRequest(
        name="legacy", namespace="tools", service_account="exporter", aws_mechanism="irsa"
    )
    run, _ = _bind([request])
    [statement], role = _trust(run, "platform-dev-legacy")
    issuer = run.outputs["oidcIssuer"].value
    assert issuer == "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123"
    assert statement["Principal"] == {"Federated": run.outputs["oidcProviderArn"].value}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:tools:exporter",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    assert run.outputs["annotations-legacy"].value == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    provider = one(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_cluster_args_reject_a_public_endpoint_open_to_the_internet():
    # The component refuses it on its own, for programs that import it without StackConfig.
    with pytest.raises(ValueError, match="opens the API endpoint to the whole internet"):
        EksClusterArgs(
            cluster_name="c",
            region="eu-west-1",
            zones=("eu-west-1a", "eu-west-1b"),
            public_access_cidrs=("198.51.100.0/28", "0.0.0.0/0"),
            node_groups=(EksNodeGroupArgs(name="general", instance_types=("m7i.large",)),),
        )


def test_role_names_are_stable_unique_and_fit_iam():
    long = eks_identity.role_name("platform-" + "x" * 50, "external-secrets-operator")
    assert len(long) == 64
    assert long == eks_identity.role_name("platform-" + "x" * 50, "external-secrets-operator")
    assert long != eks_identity.role_name("platform-" + "x" * 50, "external-secrets-webhook")
    assert eks_identity.role_name("platform-prod", "dns") == "platform-prod-dns"


# --- configuration ---------------------------------------------------------------------

CASES = {
    "log retention CloudWatch cannot keep": (
        cloud({**EKS, "eks": {**EKS["eks"], "logRetentionDays": 100}}, "dev"),
        "platform:cluster.eks.logRetentionDays: CloudWatch Logs cannot keep logs for 100 days; "
        "use one of its periods, e.g. 90",
    ),
    "VPC too small for the subnets": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"vpcCidr": "10.0.0.0/24"}}}, "dev"),
        "platform:cluster.eks.network.vpcCidr: 10.0.0.0/24 is a /24; use a /16 to /22",
    ),
    "more zones than the subnet plan holds": (
        cloud(
            {
                **EKS,
                "eks": {**EKS["eks"], "zones": [f"eu-west-1{z}" for z in "abcdefg"]},
            },
            "dev",
        ),
        "platform:cluster.eks.zones: zones lists 7 zones; list at most 6",
    ),
    "no admin principals, at any tier": (
        cloud({**EKS, "eks": {**EKS["eks"], "adminPrincipals": []}}, "dev"),
        "platform:cluster.eks.adminPrincipals: an EKS cluster gives its creator no implicit "
        "admin, so nobody (not even `pulumi up`) could reach the API; list the IAM role ARNs "
        "of the deployer and the operators",
    ),
    "pool mixing architectures": (
        cloud(EKS, "dev", pools=[{**POOL, "instanceTypes": ["m7i.large", "m7g.large"]}]),
        "platform:nodePools[0].instanceTypes: ['m7i.large', 'm7g.large'] mix arm64 and "
        "x86_64 instance types",
    ),
    "a pool narrower than the zones": (
        cloud(EKS, "dev", pools=[{**POOL, "maxSize": 2}]),
        "platform:nodePools[0].maxSize: EKS runs a node group per zone for each pool, and each "
        "needs room for a node; raise the pool's maximum size to at least 3 (the number of zones)",
    ),
    "no pool starts a node": (
        cloud(EKS, "dev", pools=[{**POOL, "minSize": 0}]),
        "platform:nodePools: no pool starts a node (every minSize is 0 and no desiredSize is "
        "set), so cluster-autoscaler and CoreDNS have nowhere to run and nothing would ever add "
        "the first node; give one pool minSize 1 or more",
    ),
    "AMD GPUs": (
        cloud(EKS, "dev", pools=[POOL, {**POOL, "name": "gpu", "instanceTypes": ["g4ad.xlarge"]}]),
        "platform:nodePools[1].instanceTypes: ['g4ad.xlarge'] carry AMD GPUs, for which EKS "
        "publishes no node image; use NVIDIA instance types, or set amiType to boot them "
        "without GPU drivers",
    ),
    "GPU and plain instance types in one pool": (
        cloud(EKS, "dev", pools=[{**POOL, "instanceTypes": ["g5.xlarge", "m7i.xlarge"]}]),
        "platform:nodePools[0].instanceTypes: ['g5.xlarge', 'm7i.xlarge'] mix accelerators "
        "(none, nvidia), which need different node images; put them in separate pools",
    ),
    "an image of the other architecture": (
        cloud(EKS, "dev", pools=[{**POOL, "amiType": "AL2023_ARM_64_STANDARD"}]),
        "platform:nodePools[0].instanceTypes: AL2023_ARM_64_STANDARD boots arm64 nodes but "
        "['m7i.large'] are x86_64 instance types; pick an image of their architecture or leave "
        "amiType unset",
    ),
    "both a transit and a VPN gateway": (
        cloud(
            {
                **EKS,
                "eks": {
                    **EKS["eks"],
                    "network": {
                        "transitGatewayId": "tgw-0123456789abcdef0",
                        "vpnGatewayId": "vgw-0123456789abcdef0",
                    },
                },
            }
        ),
        "platform:cluster.eks.network: transitGatewayId and vpnGatewayId are both set; keep one",
    ),
    "a gateway that carries nothing": (
        cloud(
            {
                **EKS,
                "eks": {**EKS["eks"], "network": {"transitGatewayId": "tgw-0123456789abcdef0"}},
            }
        ),
        "platform:cluster.eks.network: a transit or VPN gateway is set but no "
        "privateAccessCidrs entry lies outside the VPC, so nothing is routed through it",
    ),
    "a gateway for an existing VPC": (
        cloud(
            {
                **EKS,
                "eks": {
                    **EKS["eks"],
                    "network": {
                        "vpcId": "vpc-0abc",
                        "privateSubnetIds": ["subnet-a", "subnet-b", "subnet-c"],
                        "vpnGatewayId": "vgw-0123456789abcdef0",
                    },
                },
            }
        ),
        "platform:cluster.eks.network: transitGatewayId and vpnGatewayId route networks into a "
        "VPC the platform creates; route them into an existing VPC where it is managed",
    ),
    "existing subnets that are not one per zone": (
        cloud(
            {
                **EKS,
                "eks": {
                    **EKS["eks"],
                    "network": {"vpcId": "vpc-0abc", "privateSubnetIds": ["subnet-a", "subnet-b"]},
                },
            }
        ),
        "platform:cluster.eks.network.privateSubnetIds: 2 subnets are listed for 3 zones; node "
        "pools get a node group per zone, so list exactly one private subnet per zone, in the "
        "order of cluster.eks.zones",
    ),
    "a malformed transit gateway id": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"transitGatewayId": "tgw-office"}}}),
        "platform:cluster.eks.network.transitGatewayId: 'tgw-office' is not a transit gateway id",
    ),
    "a runner without a usable connection": (
        cloud(
            {
                **EKS,
                "eks": {
                    **EKS["eks"],
                    "deployRunner": {
                        "connectionArn": "github-connection",
                        "repository": "acme/platform",
                    },
                },
            }
        ),
        "platform:cluster.eks.deployRunner.connectionArn: 'github-connection' is not a "
        "CodeConnections connection ARN",
    ),
    "the cloud phase without EKS": (
        base(bootstrapPhase="cloud"),
        "platform:bootstrapPhase: the cloud phase builds an EKS cluster and its deploy runner "
        "before anything runs in it; a cluster of kind 'existing' needs no such phase, so "
        "remove platform:bootstrapPhase",
    ),
    "the region itself listed as a zone": (
        cloud({**EKS, "eks": {**EKS["eks"], "zones": ["eu-west-1a", "eu-west-1"]}}, "dev"),
        "platform:cluster.eks.zones: zones ['eu-west-1'] are not zones of region eu-west-1",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_eks_config_is_rejected_with_a_clear_message(case):
    assert_rejected(*CASES[case])


def test_every_supported_eks_minor_has_an_autoscaler_release():
    assert set(versions.CLUSTER_AUTOSCALER_IMAGE_TAGS) == set(versions.EKS_ADDONS_BY_MINOR)
    for minor, tag in versions.CLUSTER_AUTOSCALER_IMAGE_TAGS.items():
        assert tag.startswith(f"v{minor}."), (minor, tag)


def _with_runner(**runner) -> dict:
    return cloud({**EKS, "eks": {**EKS["eks"], "deployRunner": {**EKS_RUNNER, **runner}}})


def test_a_runner_needs_a_github_repository():
    assert_rejected(
        _with_runner(repository="https://github.com/acme/platform"),
        "platform:cluster.eks.deployRunner.repository: 'https://github.com/acme/platform' is "
        "not a GitHub repository; write it as '<owner>/<name>', such as 'acme/platform'",
    )


def test_a_runner_takes_no_policies():
    """Stack files written for the runner that was a cluster admin with its own policies."""
    assert_rejected(
        _with_runner(policyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "platform:cluster.eks.deployRunner: policyArns is no longer accepted: the runner's role "
        "gets only what CodeBuild needs, because any workflow job of the repository can ask for "
        "the runner. Jobs on it deploy as the CI deploy role they assume by OIDC (platform:ci); "
        "remove policyArns",
    )


def test_a_runner_takes_the_jobs_of_the_repository_ci_trusts():
    config = _with_runner(repository="acme/other")
    config["platform:ci"] = {"repository": "acme/platform", "environment": "staging"}
    config["platform:cluster"]["eks"]["adminPrincipals"].append(
        "arn:aws:iam::123456789012:role/platform-staging-ci-deploy"
    )
    assert_rejected(
        config,
        "platform:cluster.eks.deployRunner.repository: 'acme/other' differs from ci.repository "
        "'acme/platform', whose jobs alone may assume the deploy role; the runner must take "
        "that repository's jobs, so set both to the same repository",
    )


def test_a_minor_without_add_on_pins_is_rejected(monkeypatch):
    monkeypatch.delitem(versions.EKS_ADDONS_BY_MINOR, "1.36")
    assert_rejected(
        cloud({**EKS, "kubernetesVersion": "1.36"}, "dev"),
        "platform:cluster.kubernetesVersion: EKS add-on versions are pinned for Kubernetes "
        "1.33, 1.34, 1.35, not 1.36; pick one of those",
    )


def test_pool_sizes_split_across_zones_keep_their_order():
    for total in range(10):
        shares = [zone_share(total, 3, i) for i in range(3)]
        assert sum(shares) == total and max(shares) - min(shares) <= 1
    for low, high in [(0, 1), (1, 2), (2, 6), (3, 3), (4, 9)]:
        for i in range(3):
            assert zone_share(low, 3, i) <= zone_share(high, 3, i)


# --- first deploy, deploy runner, routed networks, cost ----------------------------------


@pytest.fixture(scope="module")
def cloud_phase():
    config = stack_config("prod")
    config["platform:bootstrapPhase"] = "cloud"
    # The first phase runs from a laptop, as whoever may create the cloud resources.
    return offline.run(
        "prod", config=config, project_dir=ROOT, deployer="arn:aws:iam::123456789012:user/alice"
    )


def test_the_cloud_phase_builds_the_cluster_and_runner_and_nothing_in_the_cluster(
    cloud_phase, stack_run
):
    types = {r.type for r in cloud_phase.registrations.values()}
    assert not [t for t in types if t.startswith("kubernetes:") or t.endswith(":kubernetes")]
    for needed in (CLUSTER, NODE_GROUP, ADDON, "aws:codebuild/project:Project"):
        assert needed in types, needed
    assert len(cloud_phase.of_type(ADDON)) == 5
    # The autoscaler's identity exists already, only its release waits for the full deploy.
    assert [
        r
        for r in cloud_phase.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["serviceAccount"] == "cluster-autoscaler"
    ]
    # Every resource keeps its name, parent and type in the full deploy that follows.
    assert set(cloud_phase.registrations) <= set(stack_run("prod").registrations)
    # What the laptop hands to GitHub next: the runner's label (the repository variable
    # PULUMI_RUNNER_PROD, as typed) and the CI identities, which already exist.
    assert cloud_phase.outputs["deployRunnerLabel"].value == "codebuild-platform-prod-deploy"
    assert cloud_phase.outputs["ciDeployRole"].value == (
        "arn:aws:iam::123456789012:role/platform-prod-ci-deploy"
    )
    assert set(cloud_phase.outputs) == {
        "tier", "cloud", "clusterName", "kubernetesVersion", "endpoint", "kubeconfig",
        "deployRunnerLabel", "ciDeployRole", "ciPreview",
    }  # fmt: skip


def test_the_deploy_runner_runs_github_jobs_inside_the_vpc(stack_run):
    run = stack_run("prod")
    [project] = run.of_type("aws:codebuild/project:Project")
    private = [
        f"{s.name}-id" for s in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name
    ]
    assert sorted(project.inputs["vpcConfig"]["subnets"]) == sorted(private)
    assert project.inputs["source"] == {
        "type": "GITHUB",
        "location": "https://github.com/acme/platform.git",
        "auth": {
            "type": "CODECONNECTIONS",
            "resource": "arn:aws:codeconnections:eu-west-1:123456789012:connection/"
            "3f2a9c4e-7b1d-4e8a-9c0f-5d6e7a8b9c0d",
        },
    }
    assert project.inputs["environment"]["image"] == versions.CODEBUILD_RUNNER_IMAGE
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("-deploy-runner"))
    assert project.inputs["serviceRole"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
    [egress] = run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert egress.inputs["securityGroupId"] in project.inputs["vpcConfig"]["securityGroupIds"]
    assert run.outputs["deployRunnerLabel"].value == f"codebuild-{project.inputs['name']}"
    [webhook] = run.of_type("aws:codebuild/webhook:Webhook")
    assert webhook.inputs["filterGroups"] == [
        {
            "filters": [
                {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
                {"type": "WORKFLOW_NAME", "pattern": "^Deploy$"},
            ]
        }
    ]


def test_a_routed_office_network_gets_an_attachment_and_routes(stack_run):
    run = stack_run("prod")
    [attachment] = run.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.inputs["transitGatewayId"] == "tgw-0123456789abcdef0"
    assert len(attachment.inputs["subnetIds"]) == 3
    routes = [r for r in run.of_type("aws:ec2/route:Route") if r.inputs.get("transitGatewayId")]
    assert {r.inputs["destinationCidrBlock"] for r in routes} == {"10.200.0.0/16"}
    assert len({r.inputs["routeTableId"] for r in routes}) == 3
    assert all(attachment.urn in r.dependencies for r in routes)


@pytest.fixture(scope="module")
def vpn_run():
    """A VPN gateway instead of a transit gateway, a GPU pool that scales from zero, and
    extended support chosen on purpose."""
    config = cloud(
        {
            **EKS,
            "eks": {
                **EKS["eks"],
                "supportType": "EXTENDED",
                "network": {
                    "vpcCidr": "10.30.0.0/16",
                    "privateAccessCidrs": ["10.30.0.0/16", "192.168.0.0/20"],
                    "vpnGatewayId": "vgw-0123456789abcdef0",
                },
            },
        },
        "dev",
        pools=[POOL, {**POOL, "name": "gpu", "instanceTypes": ["g6.xlarge"], "minSize": 0}],
    )
    return offline.run("vpn", config=config, project_dir=ROOT)


def test_a_vpn_gateway_carries_the_networks_outside_the_vpc(vpn_run):
    [attachment] = vpn_run.of_type("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    assert attachment.inputs["vpnGatewayId"] == "vgw-0123456789abcdef0"
    routes = [
        r
        for r in vpn_run.of_type("aws:ec2/route:Route")
        if r.inputs.get("gatewayId", "").startswith("vgw-")
    ]
    assert {r.inputs["destinationCidrBlock"] for r in routes} == {"192.168.0.0/20"}
    assert len(routes) == 3
    assert one(vpn_run, CLUSTER).inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_gpu_pools_boot_the_nvidia_image_and_start_empty(vpn_run):
    gpu = [
        g for g in vpn_run.of_type(NODE_GROUP) if g.inputs["nodeGroupNamePrefix"].startswith("gpu-")
    ]
    assert len(gpu) == 3
    assert {g.inputs["amiType"] for g in gpu} == {"AL2023_x86_64_NVIDIA"}
    assert {g.inputs["scalingConfig"]["desiredSize"] for g in gpu} == {0}


@pytest.mark.parametrize("tier", ["staging", "prod"])
def test_private_subnets_reach_s3_through_a_gateway_endpoint(stack_run, tier):
    run = stack_run(tier)
    [endpoint] = run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    tables = [
        f"{t.name}-id"
        for t in run.of_type("aws:ec2/routeTable:RouteTable")
        if "-private-" in t.name
    ]
    assert sorted(endpoint.inputs["routeTableIds"]) == sorted(tables)
    assert one(run, CLUSTER).inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def _verify(deployer: str, admins: list[str]) -> str:
    """The deploying identity as the cluster component checks it, against a bare provider."""
    found = {}

    def program():
        import pulumi_aws as aws

        provider = aws.Provider("aws", region="eu-west-1")
        found["identity"] = eks_deployer.verify_deployer(provider, admins)
        return {}

    offline.run("test", config={}, program=program, project_dir=ROOT, deployer=deployer)
    return found["identity"]


def test_the_deploying_identity_is_the_role_behind_its_session():
    deployer = "arn:aws:iam::123456789012:role/platform-deployer"
    assert _verify(deployer, [deployer]) == deployer
    # A role listed without the path its ARN has.
    assert (
        _verify(
            SSO_ROLE,
            ["arn:aws:iam::123456789012:role/AWSReservedSSO_PlatformAdmin_0a1b2c3d4e5f6789"],
        )
        == SSO_ROLE
    )
    # The deploy runner's own role is no admin principal, nor is a namesake in another account.
    with pytest.raises(eks_deployer.ForeignDeployerError):
        _verify("arn:aws:iam::123456789012:role/platform-prod-deploy-runner", [deployer])
    with pytest.raises(eks_deployer.ForeignDeployerError):
        _verify("arn:aws:iam::210987654321:role/platform-deployer", [deployer])
