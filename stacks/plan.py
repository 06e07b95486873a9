"""An offline plan: the resource tree a stack would register, as text and JSON, and the
difference from a previous plan. Needs neither the Pulumi CLI nor cloud credentials, so it can
run on pull requests from forks."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from kube_platform.stacks.offline import Run

SECRET = "[secret]"


def _masked(value: Any, path: str, secrets: set[str]) -> Any:
    if path in secrets:
        return SECRET
    if isinstance(value, dict):
        return {k: _masked(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def to_json(run: Run) -> dict[str, Any]:
    """The plan as plain data; secret inputs and outputs are masked."""
    return {
        "stack": run.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider_urn,
                "protect": r.protect,
                "dependsOn": sorted(r.dependencies),
                "inputs": _masked(r.inputs, "", r.secret_inputs),
            }
            for r in sorted(run.registrations.values(), key=lambda r: r.urn)
        ],
        "outputs": {k: SECRET if o.secret else o.value for k, o in sorted(run.outputs.items())},
    }


def render_tree(run: Run) -> str:
    """Resources as an indented tree: type, name and protection."""
    children: dict[str, list] = {}
    for r in run.registrations.values():
        children.setdefault(r.parent if r.parent in run.registrations else "", []).append(r)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            mark = "  [protected]" if r.protect else ""
            lines.append(f"{'  ' * depth}{r.type}  {r.name}{mark}")
            walk(r.urn, depth + 1)

    walk("", 0)
    counts = Counter(r.type for r in run.registrations.values())
    protected = sum(r.protect for r in run.registrations.values())
    lines.append("")
    lines.append(
        f"{len(run.registrations)} resources ({protected} protected) in stack '{run.stack}':"
    )
    lines.extend(f"  {n:4d}  {t}" for t, n in sorted(counts.items()))
    return "\n".join(lines)


def diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What changed between two plans: resources added, removed, and changed (by input key)."""
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    lines = [f"+ {urn}" for urn in sorted(after.keys() - before.keys())]
    lines += [f"- {urn}" for urn in sorted(before.keys() - after.keys())]
    for urn in sorted(before.keys() & after.keys()):
        changes = _changed_fields(before[urn], after[urn])
        if changes:
            lines.append(f"~ {urn}")
            lines.extend(f"    {c}" for c in changes)
    if not lines:
        return "No changes."
    counts = Counter(line[0] for line in lines if line[0] in "+-~")
    summary = f"{counts['+']} to add, {counts['~']} to change, {counts['-']} to remove"
    return "\n".join([*lines, "", summary])


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = [
        f"{key}: {json.dumps(old.get(key))} => {json.dumps(new.get(key))}"
        for key in ("parent", "provider", "protect")
        if old.get(key) != new.get(key)
    ]
    old_in, new_in = old.get("inputs", {}), new.get("inputs", {})
    changes += [
        f"inputs.{key}: changed"
        for key in sorted(old_in.keys() | new_in.keys())
        if old_in.get(key) != new_in.get(key)
    ]
    return changes
