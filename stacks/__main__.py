"""Command line: `python -m kube_platform.stacks plan <stack>` and friends.

python -m kube_platform.stacks plan prod                       # the resource tree and counts
python -m kube_platform.stacks plan prod --out plan.json       # also write the plan as JSON
python -m kube_platform.stacks plan prod --compare old.json    # what changed since old.json
python -m kube_platform.stacks plan prod --compare old.json --format markdown  # for a PR
python -m kube_platform.stacks plan prod --preview             # computed values unknown
python -m kube_platform.stacks reference --write               # regenerate docs/configuration.md
python -m kube_platform.stacks check-context dev               # dev's kubeconfig context exists
python -m kube_platform.stacks check-context dev --create-kind # ... made by kind if it is kind's
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kube_platform.components.errors import ConfigurationError


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _plan(args: argparse.Namespace) -> int:
    from kube_platform.stacks import offline, plan

    mode = "preview" if args.preview else "update"
    previous = None
    if args.compare:
        try:
            previous = plan.load(Path(args.compare))
            plan.check_comparable(previous, args.stack, mode, args.compare)
        except plan.PlanError as exc:
            return _fail(str(exc))
    try:
        run = offline.run(args.stack, preview=args.preview, project_dir=Path(args.project_dir))
    except ConfigurationError as exc:
        return _fail(f"configuration is invalid:\n{exc}")
    except FileNotFoundError as exc:
        return _fail(f"no stack file {exc.filename}")
    if run.unknown_invokes:
        return _fail(f"unknown invokes {run.unknown_invokes}", 1)
    data = plan.to_json(run)
    markdown = args.format == "markdown"
    if previous is not None:
        changes = plan.diff(previous, data)
        if markdown:
            print(plan.render_diff_markdown(changes, args.compare), end="")
        else:
            print(f"Changes since {args.compare}:\n{plan.render_diff(changes)}")
    elif markdown:
        print(plan.render_markdown(run), end="")
    else:
        print(plan.render_tree(run))
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        print(f"Plan written to {args.out}", file=sys.stderr)
    return 0


def _reference(args: argparse.Namespace) -> int:
    from kube_platform.stacks import reference

    text = reference.render()
    if args.write:
        reference.REFERENCE_PATH.write_text(text)
        print(f"wrote {reference.REFERENCE_PATH}")
    else:
        print(text, end="")
    return 0


def _check_context(args: argparse.Namespace) -> int:
    from kube_platform.stacks import kube_context, loader

    try:
        where = kube_context.target(loader.from_stack_file(args.stack, Path(args.project_dir)))
    except ConfigurationError as exc:
        return _fail(f"configuration is invalid:\n{exc}")
    except FileNotFoundError as exc:
        return _fail(f"no stack file {exc.filename}")
    if where is None:
        return 0
    source = loader.stack_file(args.stack, Path(args.project_dir)).name
    problem = kube_context.ensure(args.stack, source, where, args.create_kind)
    if problem:
        return _fail(problem, 1)
    print(f"{source}: kubeconfig context {where.context or '(current)'} is ready")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kube_platform.stacks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan_cmd = commands.add_parser("plan", help="offline plan of a stack (no CLI, no cloud)")
    plan_cmd.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    plan_cmd.add_argument("--out", help="write the plan as JSON to this file")
    plan_cmd.add_argument("--compare", help="a previous plan JSON (--out) to diff against")
    plan_cmd.add_argument("--preview", action="store_true", help="leave computed values unknown")
    plan_cmd.add_argument(
        "--format",
        choices=["text", "markdown"],
        default="text",
        help="markdown: a pull-request comment (summary first, long lists folded)",
    )
    plan_cmd.add_argument("--project-dir", default=".", help="folder holding the stack files")
    plan_cmd.set_defaults(func=_plan)
    ref_cmd = commands.add_parser("reference", help="the configuration reference")
    ref_cmd.add_argument("--write", action="store_true", help="write docs/configuration.md")
    ref_cmd.set_defaults(func=_reference)
    ctx_cmd = commands.add_parser(
        "check-context", help="check that an existing cluster's kubeconfig context exists"
    )
    ctx_cmd.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    ctx_cmd.add_argument(
        "--create-kind",
        action="store_true",
        help="create the kind cluster of a missing kind-<name> context",
    )
    ctx_cmd.add_argument("--project-dir", default=".", help="folder holding the stack files")
    ctx_cmd.set_defaults(func=_check_context)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    status = main()
    offline_runner = sys.modules.get("kube_platform.stacks.offline")
    if offline_runner is not None:
        # A plan ran the mock runtime in this process: close its event loops before exit.
        offline_runner.shutdown()
    sys.exit(status)
