"""The GitHub Actions workflows: linted by actionlint and zizmor, safe for pull requests from
forks, deploying per environment with OIDC identities, and the plan comment produced from two
real offline plans."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kube_platform.components.cluster.eks_deploy_runner import DEPLOY_WORKFLOW, workflow_pattern
from tests.conftest import FIXTURES, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent


def _load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def _steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_actionlint_finds_nothing():
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color", *map(str, FILES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_zizmor_finds_nothing_of_medium_severity_or_above():
    """Offline (no GitHub API): every audit that reads only the files."""
    result = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--format",
            "json",
            "--min-severity",
            "medium",
            *map(str, FILES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert [
        (f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"])
        for f in findings
    ] == []
    assert result.returncode == 0, result.stderr


def test_the_only_silenced_audit_is_the_comment_posters_trigger():
    """zizmor flags every `workflow_run` trigger (dangerous-triggers). The comment poster needs
    one to comment on fork pull requests; it checks nothing out and runs nothing from the
    artifact. No other finding may be silenced."""
    ignores = [
        (path.name, line.split("zizmor: ignore", 1)[1].split("]", 1)[0] + "]")
        for path in FILES
        for line in path.read_text().splitlines()
        if "zizmor: ignore" in line
    ]
    assert ignores == [("plan-comment.yml", "[dangerous-triggers]")]
    poster = _load("plan-comment.yml")
    assert not [s for s in _steps(poster) if "checkout" in s.get("uses", "")]
    assert not [s for s in _steps(poster) if "setup-python" in s.get("uses", "")]


def test_pull_requests_never_run_fork_code_with_secrets_or_write_access():
    for path in FILES:
        workflow = _load(path.name)
        assert "pull_request_target" not in workflow["on"], path.name
        assert workflow.get("permissions") == {}, f"{path.name}: default to no permissions"
        for step in _steps(workflow):
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, path.name
    pr = _load("pull-request.yml")
    for name in ("test", "plan"):
        assert pr["jobs"][name]["permissions"] == {"contents": "read"}
    preview = pr["jobs"]["preview"]
    assert "head.repo.full_name == github.repository" in preview["if"]


def test_prod_deploys_after_staging_in_its_environment_one_at_a_time():
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}
    staging, prod = deploy["jobs"]["staging"], deploy["jobs"]["prod"]
    assert prod["needs"] == "staging"
    for job, env in ((staging, "staging"), (prod, "prod")):
        assert job["uses"] == "./.github/workflows/pulumi-up.yml"
        assert job["with"]["environment"] == env
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert prod["with"]["runs-on"] == "${{ vars.PULUMI_RUNNER_PROD || 'ubuntu-latest' }}"
    up = _load("pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    assert "inputs.stack" in up["concurrency"]["group"]
    (pulumi,) = [s for s in up["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert (pulumi["with"]["command"], pulumi["with"]["refresh"]) == ("up", True)


def test_the_drift_check_previews_with_refresh_and_expects_no_changes():
    drift = _load("drift.yml")
    assert drift["on"]["schedule"]
    check = drift["jobs"]["check"]
    assert check["uses"] == "./.github/workflows/pulumi-preview.yml"
    assert check["with"]["refresh"] is True
    assert check["with"]["expect-no-changes"] is True
    report = drift["jobs"]["report"]
    assert report["permissions"] == {"issues": "write"}
    assert "gh issue create" in report["steps"][-1]["run"]


def test_both_reusable_workflows_take_the_same_oidc_inputs():
    oidc = {"aws-role-arn", "aws-region", "gcp-workload-identity-provider", "gcp-service-account"}
    for name in ("pulumi-preview.yml", "pulumi-up.yml"):
        call = _load(name)["on"]["workflow_call"]
        assert oidc <= set(call["inputs"]), name
        for job in _load(name)["jobs"].values():
            assert job["permissions"]["id-token"] == "write"


PULUMI_COMMAND = re.compile(r"(^|[\s;&|(])pulumi\s")


def _runs_pulumi(step: dict) -> bool:
    return step.get("uses", "").startswith("pulumi/actions@") or bool(
        PULUMI_COMMAND.search(step.get("run", ""))
    )


def test_every_pulumi_step_gets_the_shared_state_backend():
    """Pulumi.yaml's `backend.url` (file://) wins over `pulumi login` and over pulumi/actions'
    `cloud-url` input, which only runs a login; only PULUMI_BACKEND_URL overrides it
    (pulumi/pulumi pkg/workspace/creds.go GetCurrentCloudURLWithSource: the environment, then
    the project, then stored credentials; pulumi/actions v7.0.0 src/login.ts runs `pulumi login
    <cloud-url>`, and the Automation API passes the step's environment to the CLI)."""
    found = []
    for path in FILES:
        workflow = _load(path.name)
        for name, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if not _runs_pulumi(step):
                    continue
                env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                found.append((path.name, name, step.get("name", step.get("uses"))))
                assert "PULUMI_BACKEND_URL" in env, (path.name, name, step)
    assert {(f, j) for f, j, _ in found} == {
        ("pulumi-up.yml", "up"),
        ("pulumi-preview.yml", "preview"),
    }
    for name in ("pulumi-up.yml", "pulumi-preview.yml"):
        job = next(iter(_load(name)["jobs"].values()))
        assert (
            job["env"]["PULUMI_BACKEND_URL"]
            == "${{ inputs.backend-url || vars.PULUMI_BACKEND_URL }}"
        )
        # An empty backend stops the job before pulumi could fall back to the file:// backend.
        first = job["steps"][0]
        assert first["if"] == "env.PULUMI_BACKEND_URL == ''" and "exit 1" in first["run"]


def test_the_deploy_runner_takes_the_prod_deploy_of_this_workflow():
    """The runner's webhook starts builds only for the workflow named in
    `deployRunner.workflow` (default: this deploy workflow's name), and the reusable workflows
    turn the exported label into the `runs-on` CodeBuild requires:
    `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}` (AWS CodeBuild user
    guide, "Tutorial: Configure a CodeBuild-hosted GitHub Actions runner")."""
    deploy = _load("deploy.yml")
    assert re.fullmatch(workflow_pattern(DEPLOY_WORKFLOW), deploy["name"])
    assert deploy["jobs"]["prod"]["with"]["runs-on"].startswith("${{ vars.PULUMI_RUNNER_PROD")
    for name in ("pulumi-up.yml", "pulumi-preview.yml"):
        runs_on = " ".join(next(iter(_load(name)["jobs"].values()))["runs-on"].split())
        assert runs_on == (
            "${{ startsWith(inputs.runs-on, 'codebuild-') && format('{0}-{1}-{2}', "
            "inputs.runs-on, github.run_id, github.run_attempt) || inputs.runs-on }}"
        ), name


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory) -> tuple[Path, Path]:
    """Two checkouts that differ in the dev stack file: the base adds a namespace, the head
    drops it again and changes a database's storage."""
    root = tmp_path_factory.mktemp("checkouts")
    base, head = root / "base", root / "head"
    for checkout in (base, head):
        checkout.mkdir()
        shutil.copy(FIXTURES / "Pulumi.dev.yaml", checkout / "Pulumi.dev.yaml")
    text = (base / "Pulumi.dev.yaml").read_text()
    (head / "Pulumi.dev.yaml").write_text(text.replace("size: 5Gi", "size: 8Gi"))
    return base, head


def test_the_plan_comment_comes_from_two_real_plans(checkouts, tmp_path):
    base, head = checkouts
    out = tmp_path / "comment.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / ".github" / "scripts" / "plan_comment.py"),
            "--base", str(base), "--head", str(head), "--out", str(out),
            "--base-python", sys.executable, "--head-python", sys.executable,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    comment = out.read_text()
    assert comment.startswith("<!-- kube-platform-offline-plan -->\n### Offline plan\n")
    summary, details = comment.split("<details>", 1)
    # Summary first: one row per stack with what changes.
    assert re.search(r"\| `dev` \| `\.` \| [^|\n]*\b1 to update\b", summary), summary
    # Then the change itself: the database's storage, old and new value, from the plans.
    assert "app-db" in details
    assert '`spec.storage.size`: `"5Gi"` → `"8Gi"`' in details
