"""Every Kubernetes minor the platform supports has EKS add-ons and a cluster-autoscaler of that
minor, and an EKS stack installs exactly those.

kube-proxy must match the cluster's minor (Kubernetes version skew policy: kube-proxy must not
be newer than the API server and at most three minors older; EKS publishes a kube-proxy build
per minor). cluster-autoscaler is released per Kubernetes minor and is only tested against the
matching one; the chart's default image follows only its newest minor. A minor in the window
without these pins is one users may pick and cannot deploy.

Sources:
- kubernetes/autoscaler `cluster-autoscaler/README.md`, "Releases": "We recommend using Cluster
  Autoscaler with the Kubernetes control plane (previously referred to as master) version for
  which it was meant"; release 1.36.1 (kubernetes/autoscaler pull request #10027).
- EKS user guide, "Manage kube-proxy in Amazon EKS clusters" (managing-kube-proxy.html): one
  kube-proxy add-on version line per Kubernetes version.
- Add-on builds a 1.36 cluster resolved to on 2026-09-16 (vpc-cni v1.22.4-eksbuild.3,
  kube-proxy v1.36.0-eksbuild.21, coredns v1.14.3-eksbuild.16, eks-pod-identity-agent
  v1.3.10-eksbuild.3), recorded in a public deployment log; check with `aws eks
  describe-addon-versions --kubernetes-version 1.36`.
"""

from __future__ import annotations

from kube_platform.components import versions
from kube_platform.stacks.offline import Run

ADDONS = {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"}


def window() -> list[str]:
    low, high = (int(v.split(".")[1]) for v in (versions.KUBERNETES_MIN, versions.KUBERNETES_MAX))
    return [f"1.{minor}" for minor in range(low, high + 1)]


def pin_problems(
    addons_by_minor: dict[str, dict[str, str]], autoscaler_tags: dict[str, str]
) -> list[str]:
    problems = []
    for minor in window():
        pinned = {**versions.EKS_ADDONS, **addons_by_minor.get(minor, {})}
        if set(pinned) != ADDONS or minor not in addons_by_minor:
            problems.append(f"Kubernetes {minor} has no EKS add-on pins")
        elif not pinned["kube-proxy"].startswith(f"v{minor}."):
            problems.append(f"kube-proxy {pinned['kube-proxy']} does not match {minor}")
        if not autoscaler_tags.get(minor, "").startswith(f"v{minor}."):
            problems.append(f"Kubernetes {minor} has no cluster-autoscaler of its minor")
    return problems


def test_every_minor_in_the_window_has_eks_add_ons_and_an_autoscaler():
    assert pin_problems(versions.EKS_ADDONS_BY_MINOR, versions.CLUSTER_AUTOSCALER_IMAGE_TAGS) == []


def test_every_eks_stack_installs_the_pins_of_its_minor(every_stack: Run):
    clusters = every_stack.of_type("aws:eks/cluster:Cluster")
    if not clusters:
        return
    minor = clusters[0].inputs["version"]
    installed = {
        a.inputs["addonName"]: a.inputs["addonVersion"]
        for a in every_stack.of_type("aws:eks/addon:Addon")
    }
    assert installed == versions.eks_addons(minor)
    [autoscaler] = [
        r
        for r in every_stack.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "cluster-autoscaler"
    ]
    assert autoscaler.inputs["values"]["image"]["tag"].startswith(f"v{minor}.")


def test_the_rule_catches_a_minor_without_pins():
    """Before this rule, the window reached 1.36 but nothing was pinned for it."""
    addons = {m: a for m, a in versions.EKS_ADDONS_BY_MINOR.items() if m != "1.36"}
    tags = {m: t for m, t in versions.CLUSTER_AUTOSCALER_IMAGE_TAGS.items() if m != "1.36"}
    assert pin_problems(addons, tags) == [
        "Kubernetes 1.36 has no EKS add-on pins",
        "Kubernetes 1.36 has no cluster-autoscaler of its minor",
    ]
