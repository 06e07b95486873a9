"""Every command the docs show works as typed from the repository root: the state backend is
Pulumi.yaml's unless a guide's section exports PULUMI_BACKEND_URL (nothing else switches it), the
passphrase comes from the file `make init` creates and the README says so before its first
`pulumi` command; each `pulumi`, `aws` and `gh` command uses real subcommands and flags; stacks
are created with a secrets provider their backend can serve; commands name stacks the project
ships and outputs the program exports. `make up` makes the cluster a dev stack points at only
when it is a kind one."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore import xform_name

from kube_platform.stacks import kube_context, loader
from tests.conftest import CHECKED_STACKS, ROOT, SHIPPED_STACKS

DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "examples").glob("*/README.md")),
]
SETUP_ANCHOR = "README.md#before-the-first-pulumi-command"
PASSPHRASE_EXPORT = "export PULUMI_CONFIG_PASSPHRASE_FILE=$PWD/.pulumi-state/passphrase"

# Flags of the pulumi commands the docs use, as the CLI defines them (pulumi/pulumi
# pkg/cmd/pulumi/config/config.go newConfigSetCmd and newConfigRmCmd, stack/stack_output.go,
# stack/stack_new.go (`init` is its alias), stack/stack_select.go, stack/stack.go,
# state/state_delete.go, operations/up.go, preview.go, destroy.go).
STACK_FLAGS = {"--stack", "-s"}
FLAGS: dict[str, set[str]] = {
    "config set": {"--path", "--secret", "--plaintext", "--type", "--raw", "--config-file"},
    "config get": {"--path", "--json", "-j", "--open", "--config-file"},
    "config rm": {"--path", "--config-file"},
    "stack output": {"--json", "-j", "--shell", "--show-secrets"},
    "stack init": {"--secrets-provider", "--copy-config-from", "--no-select", "--teams"},
    "stack select": {"--create", "-c", "--secrets-provider"},
    "stack": {"--show-urns", "-u", "--show-ids", "-i", "--show-secrets", "--show-name"},
    "state delete": {"--yes", "-y", "--force", "--target-dependents"},
    "up": {"--yes", "-y", "--diff", "--refresh", "-r", "--skip-preview", "-f", "--target", "-t"},
    "preview": {
        "--diff", "--refresh", "-r", "--target", "-t", "--json", "-j", "--expect-no-changes",
        "--policy-pack", "--policy-pack-config",
    },
    "destroy": {"--yes", "-y", "--target", "-t", "--skip-preview", "-f"},
}  # fmt: skip
TAKES_VALUE = {"--stack", "-s", "--type", "--config-file", "--secrets-provider", "--target", "-t"}
TAKES_VALUE |= {"--copy-config-from", "--teams", "--policy-pack", "--policy-pack-config"}
# `pulumi login` records a backend in ~/.pulumi/credentials.json, but a project's `backend.url`
# wins over stored credentials and PULUMI_BACKEND_URL over both (pulumi/pulumi
# pkg/workspace/creds.go GetCurrentCloudURLWithSource; pkg/cmd/pulumi/auth/login.go
# backendSourceHint: "neither `pulumi login` nor `pulumi logout` helps").
NO_BACKEND_SWITCH = {"login", "logout"}
# Secrets providers a shared backend can serve to CI (pulumi/pulumi stack/stack_new.go
# possibleSecretsProviderChoices): a cloud key, or Pulumi Cloud's own ("default") there.
KMS_PROVIDERS = ("awskms://", "gcpkms://", "azurekeyvault://", "hashivault://")
CLOUD_BACKENDS = ("s3://", "gs://", "azblob://", "https://", "postgres://")


@dataclass(frozen=True)
class ShellLine:
    where: str
    backend: str  # the PULUMI_BACKEND_URL the line's section exports, else ""
    text: str


BACKEND_EXPORT = re.compile(r"export PULUMI_BACKEND_URL=(\S+)")


def _shell_lines() -> list[ShellLine]:
    """Commands in sh/bash blocks (continuations joined) and in inline code spans, each with
    the backend its section (a `##` heading) exports."""
    found = []
    fence = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
    for path in DOCS:
        where = str(path.relative_to(ROOT))
        for section in re.split(r"^(?=## )", path.read_text(), flags=re.M):
            exported = BACKEND_EXPORT.findall(section)
            backend = exported[-1].strip("'\"") if exported else ""
            for match in fence.finditer(section):
                if match.group(2) in ("sh", "bash"):
                    for line in match.group(3).replace("\\\n", " ").splitlines():
                        text = re.sub(r"^#\s*\w+:\s*", "", line.strip())
                        found.append(ShellLine(where, backend, text))
            prose = fence.sub("", section)
            found += [ShellLine(where, backend, span) for span in re.findall(r"`([^`\n]+)`", prose)]
    return found


SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


def _commands(tool: str) -> list[tuple[ShellLine, list[str]]]:
    """Each `<tool> ...` as its arguments; `$(...)` substitutions and `&&`, `;`, `|` lists are
    taken apart first."""
    commands = []
    for line in _shell_lines():
        parts = [*SUBSTITUTION.findall(line.text), SUBSTITUTION.sub("VALUE", line.text)]
        for part in parts:
            if tool not in part:
                continue  # prose in backticks need not be shell
            lexer = shlex.shlex(part, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            command: list[str] = []
            try:
                tokens = [*lexer, ";"]
            except ValueError:
                continue  # prose with an unbalanced quote
            for token in tokens:
                if token.strip(";&|"):
                    command.append(token)
                    continue
                if command[:1] == [tool] and len(command) > 1:
                    commands.append((line, command))
                command = []
    return commands


COMMANDS = _commands("pulumi")


def _ids(commands: list[tuple[ShellLine, list[str]]]) -> list[str]:
    return [" ".join(args) for _, args in commands]


def test_docs_show_pulumi_commands():
    assert len(COMMANDS) >= 40


def _subcommand(args: list[str]) -> str:
    words = [a for a in args[1:3] if not a.startswith("-")]
    two = " ".join(words[:2])
    return two if two in FLAGS else words[0]


def _parse(args: list[str]) -> tuple[str, dict[str, str | None], list[str]]:
    """(subcommand, flags with their values, positional arguments)."""
    sub = _subcommand(args)
    rest = args[1 + len(sub.split()) :]
    flags: dict[str, str | None] = {}
    positional: list[str] = []
    while rest:
        arg = rest.pop(0)
        if arg.startswith(">"):
            break
        if arg.startswith("-"):
            name, _, value = arg.partition("=")
            flags[name] = value or (rest.pop(0) if name in TAKES_VALUE and rest else None)
        else:
            positional.append(arg)
    return sub, flags, positional


@pytest.mark.parametrize(("line", "args"), COMMANDS, ids=_ids(COMMANDS))
def test_pulumi_commands_use_real_subcommands_and_flags(line, args):
    sub, flags, _ = _parse(args)
    assert sub not in NO_BACKEND_SWITCH, (
        f"{line.where}: `{' '.join(args)}` does not switch this project's backend: "
        "Pulumi.yaml's backend.url wins over stored credentials; say `export "
        "PULUMI_BACKEND_URL=<url>` (or edit backend.url) instead"
    )
    assert sub in FLAGS, f"{line.where}: `{' '.join(args)}`: the docs use no `pulumi {sub}`"
    unknown = set(flags) - FLAGS[sub] - STACK_FLAGS
    assert not unknown, f"{line.where}: `{' '.join(args)}`: no flag {sorted(unknown)}"


def _creates_a_stack(sub: str, flags: dict[str, str | None]) -> bool:
    return sub == "stack init" or (sub == "stack select" and bool({"--create", "-c"} & set(flags)))


@pytest.mark.parametrize(("line", "args"), COMMANDS, ids=_ids(COMMANDS))
def test_new_stacks_get_a_secrets_provider_their_backend_serves(line, args):
    """The local backend's stacks encrypt with the passphrase `make init` creates. A stack in a
    shared backend is deployed by CI, which has no such file: it takes a KMS key (or, in
    Pulumi Cloud, the service's own provider)."""
    sub, flags, _ = _parse(args)
    if not _creates_a_stack(sub, flags):
        return  # selecting an existing stack keeps its provider
    provider = flags.get("--secrets-provider") or ""
    command = f"{line.where}: `{' '.join(args)}`"
    if not line.backend:
        assert provider == "passphrase", (
            f"{command}: the local backend encrypts secrets with the passphrase; say "
            "`--secrets-provider passphrase`"
        )
        return
    assert line.backend.startswith(CLOUD_BACKENDS), f"{command}: unknown backend {line.backend}"
    cloud_service = line.backend.startswith("https://")
    assert provider.startswith(KMS_PROVIDERS) or (cloud_service and provider == "default"), (
        f"{command}: its section exports PULUMI_BACKEND_URL={line.backend}; give the stack a "
        f"key CI can use too, such as `--secrets-provider "
        f"'awskms://alias/pulumi-state?region=eu-west-1'`"
    )


@pytest.mark.parametrize(("line", "args"), COMMANDS, ids=_ids(COMMANDS))
def test_pulumi_commands_name_stacks_the_project_ships(line, args):
    sub, flags, positional = _parse(args)
    named = [v for k, v in flags.items() if k in STACK_FLAGS]
    if sub in ("stack init", "stack select"):
        named += positional
    for stack in named:
        assert stack in SHIPPED_STACKS, (
            f"{line.where}: `{' '.join(args)}`: no stack file for {stack}"
        )


def test_the_checks_catch_a_login_and_a_passphrase_in_a_shared_backend():
    """The guides before these checks: `pulumi login s3://...` to pick the shared backend, and
    a stack created there with the laptop's passphrase."""
    shared = ShellLine("docs/aws.md", "s3://acme-pulumi-state?region=eu-west-1", "")
    with pytest.raises(AssertionError, match="does not switch this project's backend"):
        test_pulumi_commands_use_real_subcommands_and_flags(shared, ["pulumi", "login", "s3://b"])
    with pytest.raises(AssertionError, match="give the stack a key CI can use"):
        test_new_stacks_get_a_secrets_provider_their_backend_serves(
            shared, ["pulumi", "stack", "init", "prod", "--secrets-provider", "passphrase"]
        )
    local = ShellLine("README.md", "", "")
    with pytest.raises(AssertionError, match="say `--secrets-provider passphrase`"):
        test_new_stacks_get_a_secrets_provider_their_backend_serves(
            local, ["pulumi", "stack", "select", "--create", "dev"]
        )
    test_new_stacks_get_a_secrets_provider_their_backend_serves(
        local, ["pulumi", "stack", "select", "prod"]
    )


# --- aws and gh -----------------------------------------------------------------------------

# The AWS CLI builds each operation's options from the service model, one `--<member>` per
# input member in kebab case (aws/aws-cli awscli/clidriver.py, botocore.xform_name); these
# options exist for every command (awscli/data/cli.json) or every paginated one.
AWS_GLOBAL = {
    "--region", "--output", "--query", "--profile", "--endpoint-url", "--debug",
    "--no-cli-pager", "--no-paginate", "--no-verify-ssl", "--cli-input-json",
    "--generate-cli-skeleton", "--max-items", "--starting-token", "--page-size",
}  # fmt: skip
# Commands the CLI adds outside the service models (aws/aws-cli
# awscli/customizations/eks/update_kubeconfig.py, eks/get_token.py, v2 sso/login.py).
AWS_CUSTOM = {
    ("eks", "update-kubeconfig"): {
        "--name", "--kubeconfig", "--role-arn", "--proxy-url", "--dry-run", "--verbose",
        "--alias", "--user-alias", "--assume-role-arn",
    },
    ("eks", "get-token"): {"--cluster-name", "--role-arn", "--cluster-id"},
    ("sso", "login"): {"--sso-session", "--no-browser", "--use-device-code"},
}  # fmt: skip
AWS_SERVICES = {"s3api": "s3"}  # CLI command name -> botocore service name
# Flags of the gh commands the docs use (cli/cli v2.60.0 pkg/cmd/variable/set/set.go with the
# `--repo` override of pkg/cmd/variable/variable.go, pkg/cmd/api/api.go,
# pkg/cmd/pr/create/create.go).
GH_FLAGS = {
    "variable set": {
        "--body", "-b", "--env", "-e", "--org", "-o", "--visibility", "-v", "--repos", "-r",
        "--env-file", "-f", "--repo", "-R",
    },
    "api": {
        "--method", "-X", "--field", "-F", "--raw-field", "-f", "--header", "-H", "--jq", "-q",
        "--template", "-t", "--paginate", "--slurp", "--input", "--silent", "--include", "-i",
        "--hostname", "--preview", "-p", "--cache", "--verbose",
    },
    "pr create": {
        "--fill", "-f", "--fill-first", "--fill-verbose", "--title", "-t", "--body", "-b",
        "--base", "-B", "--head", "-H", "--draft", "-d", "--reviewer", "-r", "--label", "-l",
        "--web", "-w", "--dry-run",
    },
}  # fmt: skip

AWS_COMMANDS = _commands("aws")
GH_COMMANDS = _commands("gh")


def _flags(args: list[str]) -> set[str]:
    return {a.split("=", 1)[0] for a in args if a.startswith("-")}


def _aws_options(service: str, operation: str) -> set[str] | None:
    if (service, operation) in AWS_CUSTOM:
        return AWS_CUSTOM[service, operation] | AWS_GLOBAL
    session = botocore.session.get_session()
    model = session.get_service_model(AWS_SERVICES.get(service, service))
    names = {xform_name(o, "-"): o for o in model.operation_names}
    if operation not in names:
        return None
    shape = model.operation_model(names[operation]).input_shape
    members = shape.members.items() if shape is not None else []
    options = {f"--{xform_name(m, '-')}" for m, _ in members}
    options |= {f"--no-{xform_name(m, '-')}" for m, t in members if t.type_name == "boolean"}
    return options | AWS_GLOBAL


def test_docs_show_aws_and_gh_commands():
    assert len(AWS_COMMANDS) >= 10 and len(GH_COMMANDS) >= 5


@pytest.mark.parametrize(("line", "args"), AWS_COMMANDS, ids=_ids(AWS_COMMANDS))
def test_aws_commands_use_real_operations_and_options(line, args):
    service, operation = [a for a in args[1:] if not a.startswith("-")][:2]
    options = _aws_options(service, operation)
    assert options is not None, f"{line.where}: `{' '.join(args)}`: no `aws {service} {operation}`"
    unknown = _flags(args) - options
    assert not unknown, f"{line.where}: `{' '.join(args)}`: no option {sorted(unknown)}"


@pytest.mark.parametrize(("line", "args"), GH_COMMANDS, ids=_ids(GH_COMMANDS))
def test_gh_commands_use_real_subcommands_and_flags(line, args):
    sub = next((s for s in GH_FLAGS if args[1 : 1 + len(s.split())] == s.split()), None)
    assert sub is not None, f"{line.where}: `{' '.join(args)}`: the docs use no such gh command"
    unknown = _flags(args) - GH_FLAGS[sub]
    assert not unknown, f"{line.where}: `{' '.join(args)}`: no flag {sorted(unknown)}"


def test_the_aws_and_gh_checks_catch_made_up_options():
    line = ShellLine("docs/aws.md", "", "")
    with pytest.raises(AssertionError, match=r"no option \['--name'\]"):
        test_aws_commands_use_real_operations_and_options(
            line, ["aws", "codeconnections", "create-connection", "--name", "platform-github"]
        )
    with pytest.raises(AssertionError, match="no `aws eks describe-runner`"):
        test_aws_commands_use_real_operations_and_options(line, ["aws", "eks", "describe-runner"])
    with pytest.raises(AssertionError, match=r"no flag \['--environment'\]"):
        test_gh_commands_use_real_subcommands_and_flags(
            line, ["gh", "variable", "set", "X", "--environment", "prod", "--body", "y"]
        )


@pytest.fixture(scope="module")
def exported(checked_run) -> dict[str, bool]:
    """Every output some shipped stack exports, and whether it is secret."""
    outputs: dict[str, bool] = {}
    for source in CHECKED_STACKS:
        for name, output in checked_run(source).outputs.items():
            outputs[name] = outputs.get(name, False) or output.secret
    return outputs


def test_stack_output_commands_name_real_outputs(exported):
    for line, args in COMMANDS:
        sub, flags, positional = _parse(args)
        if sub != "stack output" or not positional:
            continue
        name = positional[0]
        where = line.where
        assert name in exported, f"{where}: `{' '.join(args)}`: the program exports no {name}"
        if exported[name] and "--json" not in flags:
            assert "--show-secrets" in flags, (
                f"{where}: `{' '.join(args)}`: {name} is secret; without --show-secrets "
                "Pulumi prints [secret]"
            )


def _first(text: str, needle: str) -> int:
    index = text.find(needle)
    return len(text) if index < 0 else index


def test_the_readme_sets_up_state_and_passphrase_before_any_pulumi_command():
    text = (ROOT / "README.md").read_text()
    first_pulumi = min(_first(text, "`pulumi "), _first(text, "\npulumi "))
    assert _first(text, "\nmake init\n") < first_pulumi
    assert _first(text, PASSPHRASE_EXPORT) < first_pulumi
    assert "## Before the first `pulumi` command" in text


# configuration.md is the generated key reference; its `pulumi config set` hints are not steps.
GUIDES = [p for p in DOCS[1:] if p.name != "configuration.md"]


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_guide_points_at_the_setup_before_its_first_pulumi_command(path):
    text = path.read_text()
    first_pulumi = min(_first(text, "`pulumi "), _first(text, "\npulumi "))
    if first_pulumi < len(text):
        assert _first(text, SETUP_ANCHOR) < first_pulumi, path


def test_the_backend_is_the_state_folder_make_init_creates():
    """Pulumi resolves a relative file:// backend from the directory it runs in
    (pulumi/pulumi pkg/backend/diy/backend.go massageBlobPath, filepath.Abs), which the docs
    make the repository root; the folder is never committed."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["backend"]["url"] == "file://./.pulumi-state"
    assert ".pulumi-state/" in (ROOT / ".gitignore").read_text().splitlines()
    makefile = (ROOT / "Makefile").read_text()
    assert "STATE_DIR := .pulumi-state" in makefile
    assert "PULUMI_BACKEND_URL" not in makefile, "make and plain pulumi must share one backend"


def test_make_init_creates_a_private_passphrase_once(tmp_path):
    def init() -> str:
        result = subprocess.run(
            ["make", "-s", "-f", str(ROOT / "Makefile"), "init"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "PULUMI_"))},
        )
        return result.stdout

    out = init()
    passphrase = tmp_path / ".pulumi-state" / "passphrase"
    first = passphrase.read_text()
    assert len(first.strip()) >= 32
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert f"export PULUMI_CONFIG_PASSPHRASE_FILE={tmp_path}/.pulumi-state/passphrase" in out
    init()
    assert passphrase.read_text() == first, "make init must never replace the passphrase"


def test_make_up_checks_the_cluster_before_pulumi_up():
    result = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "up"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": os.environ["PATH"]},
    )
    out = result.stdout
    assert "check-context dev --create-kind" in out
    assert out.index("check-context dev") < out.index("pulumi up --stack dev")
    assert "kind create" not in out, "only the context check may decide to create a cluster"


# --- the dev cluster: created only when it is a kind one -----------------------------------


def _stack_dir(tmp_path: Path, context: str) -> Path:
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        f"    existing:\n      context: {context}\n"
    )
    return tmp_path


@pytest.fixture
def fake_kind(tmp_path, monkeypatch):
    """A `kind` that records its calls and writes the context `kind create` would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "kind.log"
    kind = bin_dir / "kind"
    kind.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        'if [ "$1" = create ]; then\n'
        f"  printf 'contexts:\\n- name: kind-%s\\n' \"$4\" > {tmp_path}/kubeconfig\n"
        "fi\n"
    )
    kind.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    return log


def _ensure(stack_dir: Path) -> str | None:
    cfg = loader.from_stack_file("dev", stack_dir)
    return kube_context.ensure("dev", "Pulumi.dev.yaml", kube_context.target(cfg), True)


def test_a_missing_kind_context_gets_its_kind_cluster(tmp_path, fake_kind):
    assert _ensure(_stack_dir(tmp_path, "kind-platform")) is None
    assert fake_kind.read_text().splitlines() == [
        "get clusters",
        "create cluster --name platform",
    ]


def test_another_context_is_checked_and_never_created(tmp_path, fake_kind):
    (tmp_path / "kubeconfig").write_text("contexts:\n- name: k3d-dev\ncurrent-context: k3d-dev\n")
    assert _ensure(_stack_dir(tmp_path, "k3d-dev")) is None
    assert _ensure(_stack_dir(tmp_path, "my-cluster")) == (
        f"Pulumi.dev.yaml: platform:cluster.existing.context is 'my-cluster', but "
        f"{tmp_path}/kubeconfig has no such context (it has k3d-dev); create that cluster or "
        "point the stack at an existing context with `pulumi config set --stack dev --path "
        "'platform:cluster.existing.context' <context>`"
    )
    assert not fake_kind.exists(), "kind ran for a context that is not kind's"
