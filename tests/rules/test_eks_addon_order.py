"""EKS nodes turn Ready only when pod networking and kube-proxy are there before them.

With `bootstrap_self_managed_addons=false` EKS installs no kube-proxy, CNI or CoreDNS of its own;
only the platform's managed add-ons do. The VPC CNI's `aws-node` talks to the API server through
the `kubernetes` Service ClusterIP, which works only once kube-proxy has written its rules on the
node, so a node that joins before both stays NotReady and the node group fails its health check
on every run.

Sources:
- aws/amazon-vpc-cni-k8s pull request #2138 ("optionally allow CLUSTER_ENDPOINT to be used
  rather than the cluster-ip"): the CNI "currently depends on kube-proxy to finish setting up
  cluster-ip routes on the node".
- terraform-aws-modules/terraform-aws-eks issue #3525 (node groups fail their health check when
  the VPC CNI and kube-proxy add-ons are not created before the instances) and issue #3160
  (`bootstrap_self_managed_addons = false` makes node group creation fail).
- terraform-aws-modules/terraform-aws-eks v21.19.0 `main.tf`: `aws_eks_addon.before_compute`
  has no dependency on the node groups, `aws_eks_addon.this` (everything else) depends on them.
"""

from __future__ import annotations

import dataclasses

from kube_platform.stacks.offline import Run

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
# DaemonSets: an add-on reports them ACTIVE with no node, and nodes need them to turn Ready.
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# Deployments: they turn ACTIVE only once nodes run them.
AFTER_NODES = ("coredns", "aws-ebs-csi-driver")


def order_problems(run: Run) -> list[str]:
    groups = run.of_type(NODE_GROUP)
    addons = {a.inputs["addonName"]: a for a in run.of_type(ADDON)}
    problems = [
        f"node group {g.name} does not wait for add-on {name}"
        for name in BEFORE_NODES
        for g in groups
        if name not in addons or addons[name].urn not in g.dependencies
    ]
    problems += [
        f"add-on {name} does not wait for every node group"
        for name in AFTER_NODES
        if name not in addons or not {g.urn for g in groups} <= set(addons[name].dependencies)
    ]
    return problems


def test_nodes_join_after_the_cni_kube_proxy_and_pod_identity_agent(every_stack):
    if not every_stack.of_type(NODE_GROUP):
        return  # no EKS node groups in this stack
    assert order_problems(every_stack) == []


def test_the_rule_catches_kube_proxy_installed_after_the_nodes(stack_run):
    """The order before this rule: kube-proxy waited for the node groups instead."""
    run = stack_run("prod")
    kube_proxy = next(a for a in run.of_type(ADDON) if a.inputs["addonName"] == "kube-proxy")
    groups = {g.urn for g in run.of_type(NODE_GROUP)}
    mutated = {
        urn: dataclasses.replace(
            r,
            dependencies=(
                [d for d in r.dependencies if d != kube_proxy.urn]
                if urn in groups
                else [*r.dependencies, *groups]
                if urn == kube_proxy.urn
                else r.dependencies
            ),
        )
        for urn, r in run.registrations.items()
    }
    problems = order_problems(dataclasses.replace(run, registrations=mutated))
    assert len(problems) == len(groups)
    assert all("does not wait for add-on kube-proxy" in p for p in problems)
