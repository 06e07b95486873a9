"""The kubeconfig context an existing-cluster stack deploys to, and whether it exists here.

`make up` checks before running Pulumi: a stack pointed at a kind context (`kind-<name>`) gets
that kind cluster created when it is missing; any other context must already exist, and a
missing one is a clear error instead of a provider failure half-way through `pulumi up`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from kube_platform.stacks.config import StackConfig

KIND_PREFIX = "kind-"
KIND_INSTALL = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"


@dataclass(frozen=True)
class Target:
    """Where an existing cluster is reached: a context (None: the kubeconfig's current one)
    in a kubeconfig file (None: `$KUBECONFIG` or `~/.kube/config`), or kubeconfig content
    stored in the stack (nothing to look up locally)."""

    context: str | None
    kubeconfig_path: str | None
    from_config: bool


def target(cfg: StackConfig) -> Target | None:
    """The existing cluster's target; None for EKS and GKE, whose kubeconfig the stack makes."""
    if cfg.cluster.kind != "existing":
        return None
    existing = cfg.cluster.existing_or_default
    return Target(existing.context, existing.kubeconfig_path, existing.kubeconfig is not None)


def kind_cluster(context: str | None) -> str | None:
    """The kind cluster a context belongs to (`kind create cluster --name X` makes `kind-X`)."""
    if context and context.startswith(KIND_PREFIX):
        return context.removeprefix(KIND_PREFIX)
    return None


def kubeconfig_files(path: str | None) -> list[Path]:
    """The files kubectl and the Kubernetes provider read, in order."""
    if path:
        return [Path(path).expanduser()]
    env = os.environ.get("KUBECONFIG", "")
    files = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return files or [Path.home() / ".kube" / "config"]


def contexts(files: list[Path]) -> tuple[list[str], str | None]:
    """Context names and the current context across kubeconfig files (first one wins)."""
    names: list[str] = []
    current = None
    for file in files:
        try:
            document = yaml.safe_load(file.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(document, dict):
            continue
        for entry in document.get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") and entry["name"] not in names:
                names.append(entry["name"])
        current = current or document.get("current-context") or None
    return names, current


def problem(stack: str, source: str, where: Target) -> str | None:
    """Why the stack's context cannot be used here, with the fix; None when it can."""
    if where.from_config:
        return None
    files = kubeconfig_files(where.kubeconfig_path)
    shown = os.pathsep.join(str(f) for f in files)
    names, current = contexts(files)
    fix = (
        f"or point the stack at an existing context with `pulumi config set --stack {stack} "
        "--path 'platform:cluster.existing.context' <context>`"
    )
    if where.context is None:
        if current is None:
            return (
                f"{source}: platform:cluster.existing sets no context and {shown} has no "
                f"current context; create a cluster {fix}"
            )
        return None
    if where.context not in names:
        known = f" (it has {', '.join(names)})" if names else ""
        kind = kind_cluster(where.context)
        create = (
            f"`kind create cluster --name {kind}` (or `kind export kubeconfig --name {kind}` "
            "if it exists)"
            if kind
            else "that cluster"
        )
        return (
            f"{source}: platform:cluster.existing.context is '{where.context}', but {shown} "
            f"has no such context{known}; create {create} {fix}"
        )
    return None


def ensure(stack: str, source: str, where: Target, create_kind: bool) -> str | None:
    """Like `problem`, but first make a missing kind context: create its kind cluster, or
    write the context of one that exists back into the kubeconfig."""
    found = problem(stack, source, where)
    cluster = kind_cluster(where.context)
    if found is None or cluster is None or not create_kind:
        return found
    if shutil.which("kind") is None:
        return f"{found}; kind is not installed: {KIND_INSTALL}"
    listed = subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True)
    exists = cluster in listed.stdout.split()
    command = ["kind", "export" if exists else "create", "kubeconfig" if exists else "cluster"]
    command += ["--name", cluster]
    if where.kubeconfig_path:
        command += ["--kubeconfig", str(Path(where.kubeconfig_path).expanduser())]
    print(
        f"{source}: {'exporting' if exists else 'creating'} kind cluster '{cluster}': "
        f"{' '.join(command)}",
        flush=True,
    )
    if subprocess.run(command).returncode != 0:
        return f"{source}: `{' '.join(command)}` failed; see its output above"
    return problem(stack, source, where)
