"""A change to an EKS node group never sends a stale desired size.

Node groups ignore `scalingConfig.desiredSize` after creation so that Pulumi never resets what
cluster-autoscaler set. But ignoring a property means Pulumi sends its value from state: a later
change to the minimum, maximum or labels updates the whole scaling config with the desired
size recorded at creation, which fails ("Minimum capacity 4 can't be greater than desired size
3") or shrinks a group the autoscaler grew. Refreshing state before every operation makes the
value sent the group's current one.

Sources:
- terraform-aws-modules/terraform-aws-eks issue #748 ("Can't increase cluster size via TF":
  `ignore_changes = [scaling_config.0.desired_size]` and "Minimum capacity 4 can't be greater
  than desired size 3"), issue #3683 (the same error on module v21), and `docs/faq.md` ("Why
  are there no changes when a node group's desired_size is modified?": changing the desired
  count must be handled outside once the node group exists).
- Pulumi project file reference (https://www.pulumi.com/docs/iac/concepts/projects/project-file/)
  and schema (pulumi/pulumi `sdk/go/common/workspace/project.json`): `options.refresh: always`
  refreshes the state before every operation.
"""

from __future__ import annotations

from typing import Any

import yaml

from kube_platform.stacks.offline import Run
from tests.conftest import ROOT

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def stale_size_problems(run: Run, project: dict[str, Any]) -> list[str]:
    problems = [
        f"{g.name} lets Pulumi reset the autoscaler's desired size"
        for g in run.of_type(NODE_GROUP)
        if "scalingConfig.desiredSize" not in g.ignore_changes
    ]
    if (project.get("options") or {}).get("refresh") != "always":
        problems.append("updates send the desired size recorded at creation (no refresh)")
    return problems


def test_node_group_updates_send_the_current_desired_size(every_stack: Run):
    if not every_stack.of_type(NODE_GROUP):
        return
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert stale_size_problems(every_stack, project) == []


def test_the_rule_catches_a_project_that_does_not_refresh(stack_run):
    """Before this rule, Pulumi.yaml had no `options`."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    del project["options"]
    assert stale_size_problems(stack_run("prod"), project) == [
        "updates send the desired size recorded at creation (no refresh)"
    ]
