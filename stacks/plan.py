"""An offline plan: the resource tree a stack would register, as text and JSON, and what changed
since a previous plan, for a terminal or a pull-request comment. Needs neither the Pulumi CLI
nor cloud credentials, so it can run on pull requests from forks.

Resources are identified by their URN, built exactly as the Pulumi engine builds it, so a
reviewer can match every line with `pulumi preview` output."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kube_platform.stacks import plan_footprint, plan_replacements
from kube_platform.stacks.config import PROJECT
from kube_platform.stacks.offline import Run

SECRET = "[secret]"
# Version of the JSON written by `plan --out`; a plan of another version is not compared.
FORMAT = 2
_REQUIRED_KEYS = ("format", "stack", "project", "mode", "resources", "outputs")
_MISSING = object()


class PlanError(Exception):
    """A plan file that cannot be read or compared; the message is one line."""


def _masked(value: Any, path: str, secrets: set[str]) -> Any:
    """`value` with secrets masked and whole numbers written as such (the engine's wire
    format carries every number as a float)."""
    if path in secrets:
        return SECRET
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _masked(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def to_json(run: Run) -> dict[str, Any]:
    """The plan as plain data; secret inputs and outputs are masked."""
    return {
        "format": FORMAT,
        "stack": run.stack,
        "project": PROJECT,
        "mode": "preview" if run.preview else "update",
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider_urn,
                "protect": r.protect,
                "dependsOn": sorted(r.dependencies),
                "deletedWith": r.deleted_with,
                "aliases": sorted(r.aliases),
                "ignoreChanges": sorted(r.ignore_changes),
                "replaceOnChanges": sorted(r.replace_on_changes),
                "inputs": _masked(r.inputs, "", r.secret_inputs),
            }
            for r in sorted(run.registrations.values(), key=lambda r: r.urn)
        ],
        "outputs": {k: SECRET if o.secret else o.value for k, o in sorted(run.outputs.items())},
    }


def load(path: Path) -> dict[str, Any]:
    """A plan written by `plan --out`, checked enough to compare against."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(
            f"{path}: no such plan file; write one with "
            f"`python -m kube_platform.stacks plan <stack> --out {path}`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read the plan file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path}: not a plan file (invalid JSON at line {exc.lineno})") from None
    missing = [k for k in _REQUIRED_KEYS if k not in data] if isinstance(data, dict) else ["format"]
    if missing:
        raise PlanError(
            f"{path}: not a plan written by `python -m kube_platform.stacks plan --out` "
            f"(no {', '.join(repr(k) for k in missing)}); write it again with this version"
        )
    if data["format"] != FORMAT:
        raise PlanError(
            f"{path}: plan format {data['format']!r}, this version reads format {FORMAT}; "
            "write the plan again with this version"
        )
    resources = data["resources"]
    if not isinstance(resources, list) or not all(
        isinstance(r, dict) and {"urn", "type", "name", "inputs"} <= r.keys() for r in resources
    ):
        raise PlanError(f"{path}: 'resources' is not a list of planned resources")
    return data


def check_comparable(old: dict[str, Any], stack: str, mode: str, source: str) -> None:
    """Refuse to compare plans of different stacks or of different modes."""
    if old["stack"] != stack:
        raise PlanError(
            f"{source} is a plan of stack '{old['stack']}', not '{stack}'; compare plans of "
            "the same stack"
        )
    if old["mode"] != mode:
        hint = "--preview" if old["mode"] == "preview" else "no --preview"
        raise PlanError(
            f"{source} is {_article(old['mode'])} plan and this is {_article(mode)} plan, whose "
            f"computed values differ; run with {hint} to compare like with like"
        )


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


# --- the resource tree ---------------------------------------------------------------------


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
    lines.append("")
    lines.append(_summary_of_run(run) + ":")
    counts = Counter(r.type for r in run.registrations.values())
    lines.extend(f"  {n:4d}  {t}" for t, n in sorted(counts.items()))
    lines += ["", plan_footprint.render(run)]
    return "\n".join(lines)


def _summary_of_run(run: Run) -> str:
    protected = sum(r.protect for r in run.registrations.values())
    mode = "preview" if run.preview else "update"
    return (
        f"{len(run.registrations)} resources ({protected} protected) in stack '{run.stack}' "
        f"({mode} mode)"
    )


# --- what changed between two plans -------------------------------------------------------


@dataclass
class FieldChange:
    path: str
    old: Any
    new: Any
    replaces: bool = False


@dataclass
class ResourceChange:
    """One resource that a deployment would touch. `action` is create, delete, replace or
    update; `old_urn` differs from `urn` when the URN changed (a rename, a move or an alias)."""

    action: str
    urn: str
    type: str
    name: str
    protected: bool
    old_urn: str = ""
    # Protection of what is deployed: Pulumi refuses to replace or delete that.
    was_protected: bool = False
    fields: list[FieldChange] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Pulumi refuses to replace or delete a protected resource."""
        return self.was_protected and self.action in ("replace", "delete")


_ACTION_ORDER = {"replace": 0, "delete": 1, "update": 2, "create": 3}


@dataclass
class PlanDiff:
    stack: str
    mode: str
    changes: list[ResourceChange]

    def counts(self) -> Counter:
        return Counter(c.action for c in self.changes)

    def summary(self) -> str:
        if not self.changes:
            return f"No changes to stack '{self.stack}' ({self.mode} mode)."
        counts = self.counts()
        parts = []
        for action in ("replace", "update", "create", "delete"):
            text = f"{counts[action]} to {action}"
            blocked = sum(c.blocked for c in self.changes if c.action == action)
            if blocked:
                text += f" ({blocked} protected)"
            parts.append(text)
        return f"Stack '{self.stack}' ({self.mode} mode): {', '.join(parts)}."

    def ordered(self) -> list[ResourceChange]:
        """Protected resources first, then replacements, deletions, updates and creations."""
        return sorted(
            self.changes,
            key=lambda c: (not c.blocked, not c.protected, _ACTION_ORDER[c.action], c.urn),
        )


def diff(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    """What a deployment of `new` would do to what `old` describes."""
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    pairs = _pair_by_urn_and_alias(before, after)
    _pair_renamed(before, after, pairs)
    changes: list[ResourceChange] = []
    paired_old = {old_urn for old_urn, _ in pairs.values()}
    for urn in sorted(after.keys() - pairs.keys()):
        r = after[urn]
        changes.append(ResourceChange("create", urn, r["type"], r["name"], r.get("protect", False)))
    for urn in sorted(before.keys() - paired_old):
        r = before[urn]
        protected = bool(r.get("protect"))
        changes.append(
            ResourceChange("delete", urn, r["type"], r["name"], protected, "", protected)
        )
    for new_urn, (old_urn, how) in sorted(pairs.items()):
        change = _compare(before[old_urn], after[new_urn], how)
        if change is not None:
            changes.append(change)
    _cascade_deleted_with(changes, before, after, pairs)
    return PlanDiff(new["stack"], new.get("mode", "update"), changes)


def _pair_by_urn_and_alias(
    before: dict[str, dict], after: dict[str, dict]
) -> dict[str, tuple[str, str]]:
    """new URN -> (old URN, how): the same URN, or an old URN listed as an alias."""
    pairs = {urn: (urn, "same") for urn in after.keys() & before.keys()}
    for urn in sorted(after.keys() - before.keys()):
        for alias in after[urn].get("aliases", []):
            if alias in before and alias not in after:
                pairs[urn] = (alias, "alias")
                break
    return pairs


def _pair_renamed(
    before: dict[str, dict], after: dict[str, dict], pairs: dict[str, tuple[str, str]]
) -> None:
    """Pair what was removed with what was added when one of name, parent or type changed
    (and, under a renamed parent, its children): Pulumi sees a new resource and deletes the
    old one, which is a replacement. Only unambiguous pairs are made."""
    while _pair_once(before, after, pairs):
        pass


def _identity_keys(moved: dict[str, str]) -> list[tuple[str, Any, Any]]:
    """(what changed, key of an old resource, key of a new one): two of name, parent and type
    agree, the old parent read through the renames found so far."""

    def parent(r: dict) -> str:
        return moved.get(r["parent"], r["parent"])

    return [
        ("parent", lambda r: (r["type"], r["name"]), lambda r: (r["type"], r["name"])),
        ("name", lambda r: (r["type"], parent(r)), lambda r: (r["type"], r["parent"])),
        ("type", lambda r: (r["name"], parent(r)), lambda r: (r["name"], r["parent"])),
    ]


def _pair_once(
    before: dict[str, dict], after: dict[str, dict], pairs: dict[str, tuple[str, str]]
) -> bool:
    moved = {old: new for new, (old, _) in pairs.items()}
    removed = [before[u] for u in sorted(before.keys() - moved.keys())]
    added = [after[u] for u in sorted(after.keys() - pairs.keys())]
    for how, key_old, key_new in _identity_keys(moved):
        olds = Counter(key_old(r) for r in removed)
        news = Counter(key_new(r) for r in added)
        found = False
        for r_new in added:
            key = key_new(r_new)
            if olds[key] == 1 and news[key] == 1:
                r_old = next(r for r in removed if key_old(r) == key)
                pairs[r_new["urn"]] = (r_old["urn"], how)
                found = True
        if found:
            return True
    return False


def _compare(old: dict[str, Any], new: dict[str, Any], how: str) -> ResourceChange | None:
    protected = bool(old.get("protect")) or bool(new.get("protect"))
    change = ResourceChange(
        "update",
        new["urn"],
        new["type"],
        new["name"],
        protected,
        old["urn"],
        bool(old.get("protect")),
    )
    if how in ("parent", "name", "type"):
        what = {"parent": "parent", "name": "name", "type": "type token"}[how]
        change.reasons.append(
            f"the URN changed (its {what}); without an alias Pulumi creates a new resource and "
            "deletes the old one"
        )
    elif how == "alias":
        change.notes.append("URN changed; an alias carries the old one, so nothing is replaced")
    for key in ("protect", "parent"):
        if old.get(key) != new.get(key) and how == "same":
            change.fields.append(FieldChange(key, old.get(key), new.get(key)))
    if old.get("provider") != new.get("provider"):
        change.fields.append(FieldChange("provider", old.get("provider"), new.get("provider")))
        change.notes.append(
            "provider changed: Pulumi replaces the resource if the new provider's "
            "configuration requires it"
        )
    ignored = tuple(new.get("ignoreChanges", []))
    found: list[tuple[str, Any, Any]] = []
    _diff_values(old.get("inputs", {}), new.get("inputs", {}), "", found)
    force_new = plan_replacements.force_new_fields(new["type"])
    on_removal = plan_replacements.removal_replaces(new["type"])
    replace_on = tuple(new.get("replaceOnChanges", []))
    for path, a, b in found:
        if _covered(path, ignored):
            continue
        replaces = _forces_replacement(path, a, b, force_new, on_removal, replace_on)
        change.fields.append(FieldChange(path, a, b, replaces))
    if any(f.replaces for f in change.fields):
        fields = dict.fromkeys(_plain(f.path) for f in change.fields if f.replaces)
        change.reasons.append(f"{', '.join(f'`{p}`' for p in fields)} cannot change in place")
    if change.reasons:
        change.action = "replace"
    elif not change.fields:
        return None  # the same resource, or one an alias carries over unchanged
    return change


def _diff_values(old: Any, new: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            sub = f"{path}.{key}" if path else key
            _diff_values(old.get(key, _MISSING), new.get(key, _MISSING), sub, out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff_values(a, b, f"{path}[{i}]", out)
    else:
        out.append((path, old, new))


def _plain(path: str) -> str:
    """`a[0].b` -> `a.b`: field paths without list indices."""
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _covered(path: str, prefixes: tuple[str, ...]) -> bool:
    plain = _plain(path)
    return any(plain == p or plain.startswith(f"{p}.") for p in prefixes)


def _lookup(value: Any, dotted: str) -> Any:
    for part in dotted.split(".") if dotted else []:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _absent(value: Any) -> bool:
    return value is _MISSING or value is None


def _forces_replacement(
    path: str,
    old: Any,
    new: Any,
    force_new: tuple[str, ...],
    on_removal: tuple[str, ...],
    replace_on: tuple[str, ...],
) -> bool:
    if "*" in replace_on or _covered(path, replace_on):
        return True
    plain = _plain(path)
    for spec in force_new:
        block = spec.endswith("/")
        spec = spec.rstrip("/")
        if plain == spec or plain.startswith(f"{spec}."):
            if not block or (plain == spec and _absent(old) != _absent(new)):
                return True
        elif spec.startswith(f"{plain}.") and "[" not in path:
            # A whole object changed: compare the field inside it.
            rest = spec[len(plain) + 1 :]
            a, b = _lookup(old, rest), _lookup(new, rest)
            if (_absent(a) != _absent(b)) if block else a != b:
                return True
    return any(plain == spec and not _absent(old) and _absent(new) for spec in on_removal)


def _cascade_deleted_with(
    changes: list[ResourceChange],
    before: dict[str, dict],
    after: dict[str, dict],
    pairs: dict[str, tuple[str, str]],
) -> None:
    """A resource whose `deletedWith` resource is replaced is replaced with it."""
    by_urn = {c.urn: c for c in changes}
    while True:
        replaced = {c.urn for c in changes if c.action == "replace"}
        replaced |= {c.old_urn for c in changes if c.action == "replace" and c.old_urn}
        grew = False
        for urn, r in after.items():
            anchor = r.get("deletedWith")
            if not anchor or anchor not in replaced or urn not in pairs:
                continue
            change = by_urn.get(urn)
            if change is None:
                old = before[pairs[urn][0]]
                was_protected = bool(old.get("protect"))
                protected = was_protected or bool(r.get("protect"))
                change = ResourceChange(
                    "update", urn, r["type"], r["name"], protected, old["urn"], was_protected
                )
                changes.append(change)
                by_urn[urn] = change
            if change.action != "replace":
                change.action = "replace"
                change.reasons.append(f"replaced with its deletedWith resource {anchor}")
                grew = True
        if not grew:
            return


# --- rendering ------------------------------------------------------------------------------

_SYMBOL = {"create": "+", "delete": "-", "replace": "+-", "update": "~"}
_MAX_FIELDS = 25
_MAX_VALUE = 100


def _value(value: Any) -> str:
    if value is _MISSING:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _field_line(f: FieldChange) -> str:
    mark = "  (forces replacement)" if f.replaces else ""
    return f"{f.path}: {_shown(f, f.old)} → {_shown(f, f.new)}{mark}"


def _shown(f: FieldChange, value: Any) -> str:
    # URNs (provider, parent) are shown whole: they are what a reviewer matches.
    return json.dumps(value) if f.path in ("provider", "parent") else _value(value)


def render_diff(result: PlanDiff) -> str:
    """The changes as text: a summary line first, protected resources next."""
    if not result.changes:
        return result.summary()
    lines = [result.summary()]
    blocked = [c for c in result.changes if c.blocked]
    if blocked:
        lines.append(
            f"{len(blocked)} protected resource(s) would be replaced or deleted; `pulumi up` "
            "stops at them. Keep the name, parent and type (or add an alias), or lift "
            "protection on purpose."
        )
    section = None
    for change in result.ordered():
        title = "Protected resources:" if change.protected else "Other resources:"
        if title != section:
            lines += ["", title]
            section = title
        mark = "  [protected]" if change.protected else ""
        lines.append(f"{_SYMBOL[change.action]} {change.type}  {change.name}{mark}")
        lines.append(f"      {change.urn}")
        if change.old_urn and change.old_urn != change.urn:
            lines.append(f"      was {change.old_urn}")
        lines.extend(f"      {change.action}: {reason}" for reason in change.reasons)
        lines.extend(f"      note: {note}" for note in change.notes)
        lines.extend(f"      {_field_line(f)}" for f in change.fields[:_MAX_FIELDS])
        if len(change.fields) > _MAX_FIELDS:
            lines.append(f"      … and {len(change.fields) - _MAX_FIELDS} more changed fields")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Inline code that survives any value, backticks included."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


_DETAILS_OVER = 5


def render_diff_markdown(result: PlanDiff, source: str) -> str:
    """The changes as a pull-request comment: summary line first, protected resources next,
    long lists folded into <details>. Values are as masked as in the plan file."""
    lines = [
        f"<!-- kube-platform plan: {result.stack} -->",
        f"**Offline plan** — {result.summary()}",
        "",
        f"Compared with `{source}`. Computed from the program and the stack file, without "
        "credentials: it cannot show drift from what is deployed.",
    ]
    if not result.changes:
        return "\n".join(lines) + "\n"
    blocked = [c for c in result.changes if c.blocked]
    if blocked:
        lines += [
            "",
            f"> **{len(blocked)} protected resource(s) would be replaced or deleted; "
            "`pulumi up` stops at them.**",
        ]
    protected = [c for c in result.ordered() if c.protected]
    others = [c for c in result.ordered() if not c.protected]
    if protected:
        lines += ["", "#### Protected resources", ""]
        lines += [line for c in protected for line in _md_change(c)]
    for action in ("replace", "delete", "update", "create"):
        group = [c for c in others if c.action == action]
        if not group:
            continue
        body = [line for c in group for line in _md_change(c)]
        title = f"{len(group)} to {action}"
        if len(group) > _DETAILS_OVER or len(body) > 4 * _DETAILS_OVER:
            lines += ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]
        else:
            lines += ["", f"#### {title}", "", *body]
    return "\n".join(lines) + "\n"


def _md_change(change: ResourceChange) -> list[str]:
    lock = " (protected)" if change.protected else ""
    lines = [f"- **{change.action}**{lock} {_md(change.type)} {_md(change.name)}"]
    lines.append(f"  - URN {_md(change.urn)}")
    if change.old_urn and change.old_urn != change.urn:
        lines.append(f"  - was {_md(change.old_urn)}")
    lines.extend(f"  - why: {reason.replace('`', '')}" for reason in change.reasons)
    lines.extend(f"  - note: {note}" for note in change.notes)
    for f in change.fields[:_MAX_FIELDS]:
        mark = " — **forces replacement**" if f.replaces else ""
        lines.append(f"  - {_md(f.path)}: {_md(_shown(f, f.old))} → {_md(_shown(f, f.new))}{mark}")
    if len(change.fields) > _MAX_FIELDS:
        lines.append(f"  - … and {len(change.fields) - _MAX_FIELDS} more changed fields")
    return lines


def render_markdown(run: Run) -> str:
    """A plan without a comparison, as a pull-request comment: counts and protected resources
    first, the whole tree folded."""
    protected = sorted((r for r in run.registrations.values() if r.protect), key=lambda r: r.urn)
    counts = Counter(r.type for r in run.registrations.values())
    lines = [
        f"<!-- kube-platform plan: {run.stack} -->",
        f"**Offline plan** — {_summary_of_run(run)}.",
        "",
    ]
    if protected:
        lines += ["#### Protected resources", ""]
        lines += [f"- {_md(r.type)} {_md(r.name)}" for r in protected]
        lines.append("")
    lines += ["<details><summary>Resources by type</summary>", "", "| count | type |", "|---|---|"]
    lines += [f"| {n} | {_md(t)} |" for t, n in sorted(counts.items())]
    lines += ["", "</details>", "", "<details><summary>Resource tree</summary>", "", "```text"]
    lines += [render_tree(run).split("\n\n")[0], "```", "", "</details>"]
    lines += ["", "<details><summary>Requests the platform reserves</summary>", "", "```text"]
    lines += [plan_footprint.render(run), "```", "", "</details>"]
    return "\n".join(lines) + "\n"
