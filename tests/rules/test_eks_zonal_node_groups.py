"""Every EKS node group lives in one zone, every pool has one in each zone, and the autoscaler
balances them.

An EBS volume is zonal, so a pod bound to one (a Postgres instance) can only run in its zone.
cluster-autoscaler cannot choose the zone a multi-zone Auto Scaling group launches into: a
scale-up for such a pod may add a node in another zone and the pod stays Pending. The upstream
remedy is an Auto Scaling group per zone with `--balance-similar-node-groups`.

Sources:
- kubernetes/autoscaler `cluster-autoscaler/cloudprovider/aws/README.md`, "Common Notes and
  Gotchas": with persistent volumes, "use a single AZ ASG for this use case, or an ASG-per-AZ
  while enabling --balance-similar-node-groups".
- kubernetes/autoscaler `cluster-autoscaler/processors/nodegroupset/aws_nodegroups.go`: the
  `eks.amazonaws.com/nodegroup` label is ignored when comparing groups, so per-zone managed
  node groups of one pool count as similar.
"""

from __future__ import annotations

import copy

from kube_platform.stacks.offline import Run

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
BALANCE = "--balance-similar-node-groups=true"


def zonal_problems(run: Run) -> list[str]:
    cluster = run.of_type("aws:eks/cluster:Cluster")[0]
    subnets = set(cluster.inputs["vpcConfig"]["subnetIds"])
    problems = [
        f"node group {g.name} spans {len(g.inputs['subnetIds'])} subnets"
        for g in run.of_type(NODE_GROUP)
        if len(g.inputs["subnetIds"]) != 1
    ]
    pools: dict[str, set[str]] = {}
    for group in run.of_type(NODE_GROUP):
        pools.setdefault(group.inputs["launchTemplate"]["id"], set()).update(
            group.inputs["subnetIds"]
        )
    problems += [f"pool {t} misses zones" for t, s in pools.items() if s != subnets]
    autoscaler = [
        r
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "cluster-autoscaler"
    ]
    if any(BALANCE not in r.inputs["values"].get("customArgs", []) for r in autoscaler):
        problems.append("cluster-autoscaler does not balance similar node groups")
    return problems


def test_every_pool_has_a_node_group_in_each_zone(every_stack: Run):
    if not every_stack.of_type(NODE_GROUP):
        return
    assert zonal_problems(every_stack) == []


def test_the_rule_catches_a_node_group_across_zones(stack_run):
    """Before this rule, a pool was one node group over every private subnet."""
    run = copy.deepcopy(stack_run("staging"))
    groups = run.of_type(NODE_GROUP)
    subnets = run.of_type("aws:eks/cluster:Cluster")[0].inputs["vpcConfig"]["subnetIds"]
    for group in groups:
        group.inputs["subnetIds"] = list(subnets)
    assert zonal_problems(run) == [f"node group {g.name} spans 3 subnets" for g in groups]
