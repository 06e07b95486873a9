"""No EKS cluster bootstraps admin for its creator, and only an admin principal deploys it.

With `bootstrapClusterCreatorAdminPermissions` on, EKS creates an access entry for the identity
that creates the cluster; the platform's own access entry for the same ARN (from
`adminPrincipals`, which lists the deployer) then fails with 409 ResourceInUseException. The
flag forces a new cluster when changed, so it must be the same at every tier and ignored after
creation. Without it only access entries grant access, so the identity that runs a full
`pulumi up` (for an assumed role, the role behind the session, from `aws_iam_session_context`)
must be an admin principal, checked before anything is created. The deploy runner's own role is
none (tests/rules/test_eks_deploy_runner.py): a job on the runner deploys as the CI deploy role
it assumes by OIDC. The cloud phase creates nothing in the cluster and is not checked.

Sources:
- pulumi/pulumi-eks issue #2373 (the creator's implicit entry duplicates an explicit access
  entry for the deploying identity).
- terraform-aws-modules/terraform-aws-eks issues #2968 and #3293 (CreateAccessEntry: 409
  "The specified access entry resource is already in use on this cluster").
- terraform-aws-modules/terraform-aws-eks v21.19.0 `main.tf`: the flag is hard-coded to false
  and listed in `lifecycle.ignore_changes`; the creator's entry, when wanted, is an explicit
  access entry for `data.aws_iam_session_context.current.issuer_arn`.
- EKS user guide, "Grant IAM users access to Kubernetes with EKS access entries"
  (awsdocs/amazon-eks-user-guide `latest/ug/manage-access/k8s-access/grant-k8s-access.adoc`):
  an access entry's role ARN can include a path.
"""

from __future__ import annotations

import copy

import pytest

from kube_platform.components.errors import ConfigurationError
from kube_platform.stacks import offline
from kube_platform.stacks.offline import Registration, Run
from tests.conftest import ROOT, stack_config

CLUSTER = "aws:eks/cluster:Cluster"
FLAG = "accessConfig.bootstrapClusterCreatorAdminPermissions"


def creator_admin_problems(cluster: Registration) -> list[str]:
    problems = []
    if cluster.inputs["accessConfig"].get("bootstrapClusterCreatorAdminPermissions") is not False:
        problems.append("the creator gets an implicit access entry")
    if FLAG not in cluster.ignore_changes:
        problems.append("changing the creator flag would replace the cluster")
    return problems


def test_no_cluster_bootstraps_admin_for_its_creator(every_stack: Run):
    for cluster in every_stack.of_type(CLUSTER):
        assert creator_admin_problems(cluster) == [], cluster.name


def test_the_rule_catches_creator_admin_below_prod(stack_run):
    """Before this rule, clusters below prod set the flag and nothing ignored its changes."""
    cluster = copy.deepcopy(stack_run("staging").of_type(CLUSTER)[0])
    cluster.inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] = True
    cluster.ignore_changes = []
    assert creator_admin_problems(cluster) == [
        "the creator gets an implicit access entry",
        "changing the creator flag would replace the cluster",
    ]


@pytest.mark.parametrize(
    "deployer",
    [
        "arn:aws:iam::123456789012:role/laptop-admin",
        # The runner's own role, as a job that assumed no role would run.
        "arn:aws:iam::123456789012:role/platform-prod-deploy-runner",
    ],
)
def test_a_deployer_that_is_no_admin_principal_is_stopped_before_anything_exists(deployer):
    monitor = offline.RecordingMonitor(offline.RecordingMocks(preview=False))
    with pytest.raises(ConfigurationError) as caught:
        offline.run(
            "prod",
            config=stack_config("prod"),
            project_dir=ROOT,
            monitor=monitor,
            deployer=deployer,
        )
    assert str(caught.value) == (
        f"Pulumi.prod.yaml: platform:cluster.eks.adminPrincipals: this `pulumi up` runs as "
        f"{deployer}, which is not in this list; the cluster grants its creator no implicit "
        "admin, so the deployment could not reach the Kubernetes API. Run it as one of the "
        f"listed principals (an assumed role counts as its role), or add {deployer} to the "
        "list. On the deploy runner, assume the CI deploy role first (the runner's own role "
        "is no admin)."
    )
    # Only the cluster component and its AWS provider: nothing in the cloud yet.
    assert {r.type for r in monitor.registrations.values()} == {
        "platform:index:EksCluster",
        "pulumi:providers:aws",
    }
