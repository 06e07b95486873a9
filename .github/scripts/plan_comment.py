"""The offline plan difference of every stack between two checkouts, as one pull-request comment.

    python .github/scripts/plan_comment.py --base base --head head --out comment.md

For each stack file of the head checkout (`Pulumi.<stack>.yaml` at its root and in
`examples/*/`), the base checkout's own code writes the base plan (`plan <stack> --out`), and
the head checkout's code compares its plan with it (`plan <stack> --compare`). Each side runs
with the Python of its own `.venv`, so a pull request that changes the program is planned with
the program it changes. Nothing here needs credentials or the Pulumi CLI: the plan runs the
program on Pulumi's mock runtime, so this works for pull requests from forks.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARKER = "<!-- kube-platform-offline-plan -->"
# GitHub rejects comments above 65536 characters.
LIMIT = 60000


@dataclass(frozen=True)
class Stack:
    name: str
    folder: str  # relative to the checkout: "." or "examples/<name>"


@dataclass(frozen=True)
class Result:
    stack: Stack
    summary: str
    details: str


def stacks(checkout: Path) -> list[Stack]:
    found = [Stack(p.stem.removeprefix("Pulumi."), ".") for p in checkout.glob("Pulumi.*.yaml")]
    found += [
        Stack(p.stem.removeprefix("Pulumi."), str(p.parent.relative_to(checkout)))
        for p in checkout.glob("examples/*/Pulumi.*.yaml")
    ]
    return sorted(found, key=lambda s: (s.folder != ".", s.folder, s.name))


def _plan(python: str, checkout: Path, stack: Stack, *extra: str) -> subprocess.CompletedProcess:
    command = [python, "-m", "kube_platform.stacks", "plan", stack.name]
    command += ["--project-dir", str(checkout / stack.folder), *extra]
    return subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def compare(
    stack: Stack,
    base: Path,
    head: Path,
    base_python: str,
    head_python: str,
    work: Path,
) -> Result:
    """One stack's difference, or why there is none."""
    if not (base / stack.folder / f"Pulumi.{stack.name}.yaml").is_file():
        planned = _plan(head_python, head, stack)
        if planned.returncode != 0:
            return Result(stack, "new stack; its plan fails", _fence(planned.stderr))
        return Result(stack, "new stack", _fence(planned.stdout))
    old = work / f"{stack.folder.replace('/', '_')}-{stack.name}.json"
    base_run = _plan(base_python, base, stack, "--out", str(old))
    if base_run.returncode != 0:
        return Result(
            stack, f"no base plan ({_last_line(base_run.stderr)})", _fence(base_run.stderr)
        )
    head_run = _plan(head_python, head, stack, "--compare", str(old), "--format", "markdown")
    if head_run.returncode != 0:
        return Result(stack, "the plan fails on this pull request", _fence(head_run.stderr))
    text = head_run.stdout.strip()
    return Result(stack, _first_line(text), text)


def _first_line(text: str) -> str:
    """The markdown's summary line, without comments, headings and bold labels."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("<!--"):
            line = re.sub(r"\*\*[^*]+\*\*\s*[—:-]?\s*", "", line)
            return re.sub(r"^[#>\s]+", "", line).strip()
    return "no output"


def _fence(text: str, language: str = "text") -> str:
    body = text.strip().replace("```", "'''")
    return f"```{language}\n{body}\n```"


def render(results: list[Result], removed: list[Stack]) -> str:
    """Summary first (one row per stack), then each stack's details folded."""
    lines = [
        MARKER,
        "### Offline plan",
        "",
        "What the program would register, compared with the base branch, computed on Pulumi's "
        "mock runtime (no credentials; drift from the cloud shows only in `pulumi preview`).",
        "",
        "| stack | folder | change |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.stack.name}` | `{r.stack.folder}` | {r.summary} |" for r in results]
    lines += [f"| `{s.name}` | `{s.folder}` | stack file removed |" for s in removed]
    for r in results:
        lines += ["", f"<details><summary><code>{r.stack.name}</code>: {r.summary}</summary>"]
        lines += ["", r.details, "", "</details>"]
    text = "\n".join(lines) + "\n"
    if len(text) > LIMIT:
        note = "\n\n(truncated: run the plan locally for the rest)\n"
        text = text[: LIMIT - len(note)] + note
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="base branch checkout")
    parser.add_argument("--head", type=Path, required=True, help="pull request checkout")
    parser.add_argument("--out", type=Path, required=True, help="where to write the comment")
    parser.add_argument("--base-python", help="default: <base>/.venv/bin/python")
    parser.add_argument("--head-python", help="default: <head>/.venv/bin/python")
    args = parser.parse_args(argv)
    base, head = args.base.resolve(), args.head.resolve()
    # Each side runs in its own checkout, so relative interpreter paths are resolved first.
    base_python = str(Path(args.base_python).absolute()) if args.base_python else str(
        base / ".venv" / "bin" / "python"
    )
    head_python = str(Path(args.head_python).absolute()) if args.head_python else str(
        head / ".venv" / "bin" / "python"
    )
    head_stacks = stacks(head)
    removed = [s for s in stacks(base) if s not in head_stacks]
    with tempfile.TemporaryDirectory() as work:
        results = [
            compare(s, base, head, base_python, head_python, Path(work)) for s in head_stacks
        ]
    args.out.write_text(render(results, removed))
    print(f"wrote {args.out}: {len(results)} stacks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
