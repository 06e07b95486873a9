"""Every command the docs show works as typed from the repository root: the state backend is
Pulumi.yaml's, the passphrase comes from the file `make init` creates and the README says so
before its first `pulumi` command; each `pulumi` command uses real subcommands and flags, names
stacks the project ships and outputs the program exports. `make up` makes the cluster a dev
stack points at only when it is a kind one."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

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
    "preview": {"--diff", "--refresh", "-r", "--target", "-t", "--json", "-j"},
    "destroy": {"--yes", "-y", "--target", "-t", "--skip-preview", "-f"},
}
TAKES_VALUE = {"--stack", "-s", "--type", "--config-file", "--secrets-provider", "--target", "-t"}
TAKES_VALUE |= {"--copy-config-from", "--teams"}


def _shell_lines() -> list[tuple[str, str]]:
    """Commands in sh/bash blocks (continuations joined) and in inline code spans."""
    found = []
    fence = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
    for path in DOCS:
        text = path.read_text()
        where = str(path.relative_to(ROOT))
        for match in fence.finditer(text):
            if match.group(2) in ("sh", "bash"):
                for line in match.group(3).replace("\\\n", " ").splitlines():
                    found.append((where, re.sub(r"^#\s*\w+:\s*", "", line.strip())))
        prose = fence.sub("", text)
        found += [(where, span) for span in re.findall(r"`([^`\n]+)`", prose)]
    return found


SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


def _pulumi_commands() -> list[tuple[str, list[str]]]:
    """Each `pulumi ...` as its arguments; `$(...)` substitutions and `&&`, `;`, `|` lists are
    taken apart first."""
    commands = []
    for where, line in _shell_lines():
        parts = [*SUBSTITUTION.findall(line), SUBSTITUTION.sub("VALUE", line)]
        for part in parts:
            if "pulumi" not in part:
                continue  # prose in backticks need not be shell
            lexer = shlex.shlex(part, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            command: list[str] = []
            for token in [*lexer, ";"]:
                if token.strip(";&|"):
                    command.append(token)
                    continue
                if command[:1] == ["pulumi"] and len(command) > 1:
                    commands.append((where, command))
                command = []
    return commands


COMMANDS = _pulumi_commands()


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


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[" ".join(a) for _, a in COMMANDS])
def test_pulumi_commands_use_real_subcommands_and_flags(where, args):
    sub, flags, _ = _parse(args)
    assert sub in FLAGS, f"{where}: `{' '.join(args)}`: the docs use no `pulumi {sub}`"
    unknown = set(flags) - FLAGS[sub] - STACK_FLAGS
    assert not unknown, f"{where}: `{' '.join(args)}`: no flag {sorted(unknown)}"


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[" ".join(a) for _, a in COMMANDS])
def test_pulumi_commands_name_stacks_the_project_ships(where, args):
    sub, flags, positional = _parse(args)
    named = [v for k, v in flags.items() if k in STACK_FLAGS]
    if sub in ("stack init", "stack select"):
        named += positional
        assert flags.get("--secrets-provider") == "passphrase", (
            f"{where}: `{' '.join(args)}`: the local backend encrypts secrets with the "
            "passphrase; say `--secrets-provider passphrase`"
        )
    for stack in named:
        assert stack in SHIPPED_STACKS, f"{where}: `{' '.join(args)}`: no stack file for {stack}"


@pytest.fixture(scope="module")
def exported(checked_run) -> dict[str, bool]:
    """Every output some shipped stack exports, and whether it is secret."""
    outputs: dict[str, bool] = {}
    for source in CHECKED_STACKS:
        for name, output in checked_run(source).outputs.items():
            outputs[name] = outputs.get(name, False) or output.secret
    return outputs


def test_stack_output_commands_name_real_outputs(exported):
    for where, args in COMMANDS:
        sub, flags, positional = _parse(args)
        if sub != "stack output" or not positional:
            continue
        name = positional[0]
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
