"""The EKS deploy runner is a network location, never an identity.

A CodeBuild-hosted GitHub Actions runner runs any queued workflow job that asks for its label,
and its build runs with the project's service role. A workflow job of the repository, including
a pull request branch's modified workflow, can ask for the label, so whatever the role may do,
any such job may do from inside the VPC. The role therefore gets only what CodeBuild itself
needs (its log stream, the build's network interface in the VPC, tokens through the GitHub
connection): no EKS access entry and no other policy. A deploy job on the runner assumes the CI
deploy role by OIDC, which trusts only jobs in the stack's GitHub environment. The webhook
starts builds only for queued jobs of one workflow, named exactly.

Sources:
- AWS CodeBuild user guide, "Tutorial: Configure a CodeBuild-hosted GitHub Actions runner"
  (action-runner.html): a build starts for a `WORKFLOW_JOB_QUEUED` event whose job asks for
  `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`, and the job runs with
  the project's service role.
- AWS CodeBuild API reference, WebhookFilter (botocore 1.44.8
  `data/codebuild/2016-10-06/service-2.json`, shape `WebhookFilter`): `WORKFLOW_NAME` "works
  with WORKFLOW_JOB_QUEUED events only"; `HEAD_REF` with push and pull request events;
  `REPOSITORY_NAME` with global or organization webhooks only. A build starts when every
  filter of any one filter group matches.
- AWS CodeBuild user guide, "Allow CodeBuild to interact with Amazon VPC"
  (auth-and-access-control-iam-identity-based-access-control.html, customer-managed policy
  example): the ENI actions and `ec2:CreateNetworkInterfacePermission` for
  `codebuild.amazonaws.com`; "GitHub App connections" (connections-github-app.html):
  `codeconnections:GetConnectionToken` and `GetConnection`.
- GitHub docs, "Reuse workflows": a called workflow's jobs run in the caller's workflow run,
  whose name is the caller's.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re

from kube_platform.stacks.offline import Registration, Run

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
ROLE = "aws:iam/role:Role"
ACCESS_TYPES = (
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
)
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"
# What CodeBuild does with the role for a VPC build of a GitHub connection's repository.
VPC_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:CreateNetworkInterfacePermission",
}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
CONNECTION_ACTIONS = {"GetConnection", "GetConnectionToken"}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _statement_problem(statement: dict, log_group: str, connection: str) -> str | None:
    actions = set(_listed(statement["Action"]))
    resources = set(_listed(statement["Resource"]))
    if statement.get("Effect") != "Allow":
        return None
    if actions <= LOG_ACTIONS and resources <= {f"{log_group}:*", log_group}:
        return None
    if actions <= VPC_ACTIONS and (
        "ec2:CreateNetworkInterfacePermission" not in actions
        or statement.get("Condition", {}).get("StringEquals", {}).get("ec2:AuthorizedService")
        == "codebuild.amazonaws.com"
    ):
        return None
    services = {a.split(":", 1)[0] for a in actions}
    if (
        services <= {"codeconnections", "codestar-connections"}
        and {a.split(":", 1)[1] for a in actions} <= CONNECTION_ACTIONS
        and resources == {connection}
    ):
        return None
    return f"the runner's role may {sorted(actions)} on {sorted(resources)}"


def runner_role_problems(run: Run) -> list[str]:
    problems = []
    for project in run.of_type(PROJECT):
        role_arn = project.inputs["serviceRole"]
        [role] = [r for r in run.of_type(ROLE) if r.outputs.get("arn") == role_arn]
        names = {role_arn, role.inputs["name"], f"{role.name}-id"}
        if role.inputs.get("managedPolicyArns") or role.inputs.get("inlinePolicies"):
            problems.append("the runner's role carries policies of its own")
        for access in (r for t in ACCESS_TYPES for r in run.of_type(t)):
            if access.inputs["principalArn"] in names:
                problems.append(f"the runner's role has cluster access ({access.type})")
        for attachment in run.of_type(ATTACHMENT):
            if attachment.inputs["role"] in names:
                problems.append(f"the runner's role has {attachment.inputs['policyArn']}")
        log_group = next(
            g.outputs["arn"]
            for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
            if g.inputs["name"] == project.inputs["logsConfig"]["cloudwatchLogs"]["groupName"]
        )
        connection = project.inputs["source"]["auth"]["resource"]
        for policy in run.of_type(INLINE):
            if policy.inputs["role"] not in names:
                continue
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                problem = _statement_problem(statement, log_group, connection)
                if problem:
                    problems.append(problem)
    return problems


def _names_one_workflow(pattern: str) -> bool:
    """`^<name>$` with every regular-expression character of the name escaped."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    inner = pattern[1:-1]
    return bool(inner) and re.escape(re.sub(r"\\(.)", r"\1", inner)) == inner


def webhook_problems(run: Run) -> list[str]:
    problems = []
    for project in run.of_type(PROJECT):
        name = project.inputs["name"]
        for webhook in (w for w in run.of_type(WEBHOOK) if w.inputs["projectName"] == name):
            for group in webhook.inputs["filterGroups"]:
                filters = {
                    f["type"]: f for f in group["filters"] if not f.get("excludeMatchedPattern")
                }
                event = filters.get("EVENT", {}).get("pattern", "")
                if {e.strip() for e in event.split(",")} != {"WORKFLOW_JOB_QUEUED"}:
                    problems.append(f"a filter group starts the runner for {event or 'any event'}")
                workflow = filters.get("WORKFLOW_NAME", {}).get("pattern", "")
                if not _names_one_workflow(workflow):
                    problems.append(
                        f"a filter group starts the runner for jobs of any workflow "
                        f"(WORKFLOW_NAME {workflow!r})"
                    )
    return problems


def test_the_deploy_runners_role_may_only_run_the_build(every_stack: Run):
    assert runner_role_problems(every_stack) == []


def test_the_deploy_runner_starts_only_for_one_named_workflow(every_stack: Run):
    assert webhook_problems(every_stack) == []


def _with(run: Run, *added: Registration) -> Run:
    return dataclasses.replace(
        run, registrations={**run.registrations, **{r.urn: r for r in added}}
    )


def test_the_rules_catch_the_runner_as_it_was_an_admin(stack_run):
    """Before these rules, the runner's role had AdministratorAccess (`policyArns`) and an
    access entry with the cluster admin policy, and the webhook started a build for every
    queued job of the repository."""
    run = stack_run("prod")
    [role] = [r for r in run.of_type(ROLE) if r.name.endswith("-deploy-runner")]
    entry = run.of_type(ACCESS_TYPES[0])[0]
    [webhook] = run.of_type(WEBHOOK)
    admin_entry = dataclasses.replace(
        copy.deepcopy(entry),
        urn=f"{entry.urn}-runner",
        inputs={**entry.inputs, "principalArn": role.outputs["arn"]},
    )
    attachment = dataclasses.replace(
        copy.deepcopy(admin_entry),
        urn=f"{role.urn}-AdministratorAccess",
        type=ATTACHMENT,
        inputs={
            "role": role.inputs["name"],
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
    )
    every_job = dataclasses.replace(
        copy.deepcopy(webhook),
        inputs={
            **webhook.inputs,
            "filterGroups": [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
        },
    )
    violating = _with(run, admin_entry, attachment, every_job)
    assert runner_role_problems(violating) == [
        "the runner's role has cluster access (aws:eks/accessEntry:AccessEntry)",
        "the runner's role has arn:aws:iam::aws:policy/AdministratorAccess",
    ]
    assert webhook_problems(violating) == [
        "a filter group starts the runner for jobs of any workflow (WORKFLOW_NAME '')"
    ]


def test_the_rules_catch_a_loose_workflow_pattern_and_a_wider_policy(stack_run):
    run = stack_run("prod")
    [webhook] = run.of_type(WEBHOOK)
    [policy] = [p for p in run.of_type(INLINE) if p.name.endswith("-deploy-runner")]
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append({"Effect": "Allow", "Action": "eks:*", "Resource": "*"})
    wider = dataclasses.replace(
        copy.deepcopy(policy), inputs={**policy.inputs, "policy": json.dumps(document)}
    )
    loose = dataclasses.replace(
        copy.deepcopy(webhook),
        inputs={
            **webhook.inputs,
            "filterGroups": [
                {
                    "filters": [
                        {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED, PUSH"},
                        {"type": "WORKFLOW_NAME", "pattern": "Deploy"},
                    ]
                }
            ],
        },
    )
    violating = _with(run, wider, loose)
    assert runner_role_problems(violating) == ["the runner's role may ['eks:*'] on ['*']"]
    assert webhook_problems(violating) == [
        "a filter group starts the runner for WORKFLOW_JOB_QUEUED, PUSH",
        "a filter group starts the runner for jobs of any workflow (WORKFLOW_NAME 'Deploy')",
    ]
