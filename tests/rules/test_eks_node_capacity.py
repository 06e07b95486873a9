"""EKS pools start at their desired size or their minimum, and boot the image of their
instance types.

A pool's `desiredSize` defaults to its `minSize` (docs/configuration.md), so a pool of minimum
0 (spot, GPU) starts no paid node. A node group boots one AMI type: NVIDIA GPU instances need
the NVIDIA image (drivers, container toolkit), Inferentia and Trainium the Neuron image,
Graviton the arm64 one; the standard x86_64 image on a GPU instance leaves the GPU unusable.

Sources:
- EKS user guide, "Retrieve recommended Amazon Linux AMI IDs" (retrieve-ami-id.html):
  `amazon-linux-2023/x86_64/nvidia` for NVIDIA x86 instances, `arm64/nvidia`, `x86_64/neuron`
  for Neuron instances, `arm64/standard` for Graviton.
- EKS API reference, `Nodegroup.amiType` (AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD,
  AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, AL2023_x86_64_NEURON), as listed by the CDK
  `NodegroupAmiType` enum.
"""

from __future__ import annotations

import copy
import re

import pulumi
import pulumi_aws as aws

from kube_platform.components.cluster import eks_node_groups
from kube_platform.components.cluster.eks_node_groups import EksNodeGroupArgs
from kube_platform.stacks import offline
from kube_platform.stacks.offline import Run
from tests.conftest import CHECKED_STACKS, ROOT, stack_config

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
# Instance families and the image EKS documents for them (examples, not the full list).
IMAGES = [
    (re.compile(r"^(g4dn|g5|g6|g6e|gr6|p4d|p5)\."), "AL2023_x86_64_NVIDIA"),
    (re.compile(r"^g5g\."), "AL2023_ARM_64_NVIDIA"),
    (re.compile(r"^(inf2|trn1|trn2)\."), "AL2023_x86_64_NEURON"),
    (re.compile(r"^(m7g|m8g|c7g|c7gn|r7g|t4g)\."), "AL2023_ARM_64_STANDARD"),
    (re.compile(r"^(m5|m6i|m7i|c7i|r7i|t3)\."), "AL2023_x86_64_STANDARD"),
]


def _pool_groups(run: Run, cluster_name: str, pool: str) -> list:
    template = next(
        t
        for t in run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
        if t.inputs["name"] == f"{cluster_name}-{pool}"
    )
    return [
        g
        for g in run.of_type(NODE_GROUP)
        if g.inputs["launchTemplate"]["id"] == f"{template.name}-id"
    ]


def sizing_problems(run: Run, pools: list[dict]) -> list[str]:
    cluster_name = run.of_type("aws:eks/cluster:Cluster")[0].inputs["name"]
    problems = []
    for pool in pools:
        groups = _pool_groups(run, cluster_name, pool["name"])
        total = {
            k: int(sum(g.inputs["scalingConfig"][k] for g in groups))
            for k in ("desiredSize", "minSize", "maxSize")
        }
        minimum = pool.get("minSize", 1)
        expected = {
            "desiredSize": pool.get("desiredSize", minimum),
            "minSize": minimum,
            "maxSize": pool.get("maxSize", 3),
        }
        if total != expected:
            problems.append(f"pool {pool['name']} starts with {total}, not {expected}")
    return problems


def image_problems(run: Run) -> list[str]:
    problems = []
    for group in run.of_type(NODE_GROUP):
        for instance_type in group.inputs["instanceTypes"]:
            for family, image in IMAGES:
                if family.match(instance_type) and group.inputs["amiType"] != image:
                    problems.append(f"{instance_type} boots {group.inputs['amiType']}, not {image}")
    return problems


def test_pools_start_at_their_desired_size_or_minimum_with_their_image(every_stack, request):
    if not every_stack.of_type(NODE_GROUP):
        return
    config = CHECKED_STACKS[request.node.callspec.params["every_stack"]].config()
    assert sizing_problems(every_stack, config["platform:nodePools"]) == []
    assert image_problems(every_stack) == []


def _node_groups(pools: list[EksNodeGroupArgs]) -> Run:
    """Only the node groups of `pools`, in three zones."""

    def program():
        provider = aws.Provider("aws", region="eu-west-1")
        for pool in pools:
            eks_node_groups.create_node_groups(
                "c",
                pool,
                cluster_name="c",
                eks_cluster_name="c",
                kubernetes_version="1.35",
                node_role_arn="arn:aws:iam::123456789012:role/c-node",
                zone_subnets=[(f"eu-west-1{z}", f"subnet-{z}") for z in "abc"],
                region="eu-west-1",
                tags={},
                depends_on=[],
                opts=lambda **kw: pulumi.ResourceOptions(provider=provider, **kw),
            )
        return {}

    return offline.run("test", config={}, program=program, project_dir=ROOT)


def test_the_rule_catches_a_paid_node_in_an_idle_pool(stack_run):
    """Before this rule, a pool of minimum 0 started one node (`max(minSize, 1)`)."""
    run = copy.deepcopy(stack_run("staging"))
    spot = _pool_groups(run, "platform-staging", "spot")
    spot[0].inputs["scalingConfig"]["desiredSize"] = 1
    pools = stack_config("staging")["platform:nodePools"]
    assert sizing_problems(run, pools) == [
        "pool spot starts with {'desiredSize': 1, 'minSize': 0, 'maxSize': 6}, not "
        "{'desiredSize': 0, 'minSize': 0, 'maxSize': 6}"
    ]


def test_the_rule_catches_gpus_on_the_standard_image():
    """Before this rule, every x86_64 pool booted the standard image."""
    pools = [
        EksNodeGroupArgs(
            name="gpu", instance_types=("g5.xlarge",), min_size=0, max_size=3, initial_size=0
        ),
        EksNodeGroupArgs(
            name="infer", instance_types=("inf2.xlarge",), min_size=0, max_size=3, initial_size=0
        ),
    ]
    run = _node_groups(pools)
    assert {g.inputs["amiType"] for g in run.of_type(NODE_GROUP)} == {
        "AL2023_x86_64_NVIDIA",
        "AL2023_x86_64_NEURON",
    }
    assert image_problems(run) == []
    for group in run.of_type(NODE_GROUP):
        group.inputs["amiType"] = "AL2023_x86_64_STANDARD"
    assert sorted(image_problems(run)) == [
        *["g5.xlarge boots AL2023_x86_64_STANDARD, not AL2023_x86_64_NVIDIA"] * 3,
        *["inf2.xlarge boots AL2023_x86_64_STANDARD, not AL2023_x86_64_NEURON"] * 3,
    ]
