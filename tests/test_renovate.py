"""Renovate finds every pinned version, so each new chart, image, CRD bundle, EKS add-on build,
package and action arrives as a pull request, and a new pin cannot slip past it.

The test applies `renovate.json`'s custom regex managers to the files as Renovate does
(renovatebot/renovate lib/modules/manager/custom/regex: `matchStrings` with the `g` flag, the
`any` and `recursive` strategies, templates filled from every named group) and checks that each
version literal of `components/versions.py` lies inside a `currentValue` match. Renovate's
regexes use JavaScript's `(?<name>...)` groups; Python spells them `(?P<name>...)`.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

CONFIG = json.loads((ROOT / "renovate.json").read_text())
MANAGERS = [m for m in CONFIG["customManagers"] if m["customType"] == "regex"]
VERSIONS = "components/versions.py"
# Kubernetes minors the platform supports or needs: reviewed by hand, not a dependency.
NOT_PINS = {
    "KUBERNETES_MIN",
    "KUBERNETES_MAX",
    "KUBERNETES_DEFAULT",
    "GKE_MIN_GATEWAY_API_VERSION",
}
VERSION = re.compile(r"v?\d+(?:\.\d+)+(?:[-+.][\w.-]*)?")
IMAGE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?/[\w./-]+:(?P<tag>\w[\w.-]*)")
URL_VERSION = re.compile(r"/(?P<version>v?\d+\.\d+\.\d+[\w.-]*)/")


def python_regex(javascript: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\(\?<(?![=!])", "(?P<", javascript))


def file_pattern(pattern: str) -> re.Pattern[str]:
    assert pattern.startswith("/") and pattern.endswith("/"), pattern
    return python_regex(pattern[1:-1])


@dataclass(frozen=True)
class Dependency:
    manager: str
    start: int
    end: int
    fields: dict[str, str]


def _render(template: str, groups: dict[str, str]) -> str:
    return re.sub(r"\{\{\{?(\w+)\}?\}\}", lambda m: groups.get(m[1], ""), template)


def _dependency(manager: dict, groups: dict[str, str], span: tuple[int, int]) -> Dependency:
    fields = {k: v for k, v in groups.items() if v is not None}
    for key, template in manager.items():
        if key.endswith("Template"):
            fields[key.removesuffix("Template")] = _render(template, groups)
    return Dependency(manager["description"], *span, fields)


def extract(manager: dict, content: str) -> list[Dependency]:
    """The dependencies one manager finds in `content`, with the span of each currentValue."""
    regexes = [python_regex(s) for s in manager["matchStrings"]]
    strategy = manager.get("matchStringsStrategy", "any")
    found: list[Dependency] = []
    if strategy == "any":
        for regex in regexes:
            for m in regex.finditer(content):
                groups = m.groupdict()
                found.append(_dependency(manager, groups, m.span("currentValue")))
    elif strategy == "recursive":

        def walk(level: int, start: int, end: int, groups: dict[str, str]) -> None:
            if level == len(regexes):
                span = groups.pop("_span")
                found.append(_dependency(manager, groups, span))
                return
            for m in regexes[level].finditer(content, start, end):
                merged = {**groups, **{k: v for k, v in m.groupdict().items() if v is not None}}
                if "currentValue" in m.groupdict():
                    merged["_span"] = m.span("currentValue")
                walk(level + 1, m.start(), m.end(), merged)

        walk(0, 0, len(content), {})
    else:
        raise AssertionError(f"the test does not know strategy {strategy}")
    return found


def dependencies(path: str, content: str) -> list[Dependency]:
    return [
        dep
        for manager in MANAGERS
        if any(file_pattern(p).search(path) for p in manager["managerFilePatterns"])
        for dep in extract(manager, content)
    ]


def pins(content: str) -> list[tuple[int, int, int]]:
    """(start, end, line) of every pinned version literal in a versions.py source."""
    tree = ast.parse(content)
    line_starts = [0]
    for line in content.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            skip |= {id(k) for k in node.keys if k is not None}
        if isinstance(node, ast.JoinedStr):  # f-strings build URLs from other pins
            skip |= {id(v) for v in node.values}
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in NOT_PINS for t in targets):
                skip |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))  # docstrings
    found = []
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant):
            continue
        if not isinstance(node.value, str):
            continue
        text = node.value
        if VERSION.fullmatch(text):
            part = (0, len(text))
        elif image := IMAGE.fullmatch(text):
            part = image.span("tag")
        elif text.startswith("https://") and (url := URL_VERSION.search(text)):
            part = url.span("version")
        else:
            continue
        start = line_starts[node.lineno - 1] + node.col_offset
        literal = content.index(text, start)
        found.append((literal + part[0], literal + part[1], node.lineno))
    return sorted(found)


def uncovered(content: str) -> list[str]:
    spans = {(d.start, d.end) for d in dependencies(VERSIONS, content)}
    return [
        f"{VERSIONS}:{line}: {content[start:end]!r} matches no Renovate manager"
        for start, end, line in pins(content)
        if not any(s <= start and end <= e for s, e in spans)
    ]


def test_every_pin_in_versions_py_has_a_renovate_manager():
    content = (ROOT / VERSIONS).read_text()
    assert len(pins(content)) >= 20
    assert uncovered(content) == []


def test_a_new_unmatched_pin_fails_the_coverage_check():
    content = (ROOT / VERSIONS).read_text()
    added = content + (
        '\nARGO_CD_CRDS = "v3.5.1"\n'
        'SEALED_SECRETS = Chart(name="sealed-secrets", version="2.18.0", repo="oci://x.io/c")\n'
        'SPIRE_IMAGE = "ghcr.io/spiffe/spire-server:1.13.2"\n'
    )
    assert [line.split(": ", 1)[1] for line in uncovered(added)] == [
        "'v3.5.1' matches no Renovate manager",
        "'2.18.0' matches no Renovate manager",
    ]
    # Annotated with its source, and in the positional shape the chart manager reads, they pass.
    fixed = content + (
        "\n# renovate: datasource=github-releases depName=argoproj/argo-cd\n"
        'ARGO_CD_CRDS = "v3.5.1"\n'
        'SEALED_SECRETS = Chart("sealed-secrets", "2.18.0", "oci://x.io/c")\n'
    )
    assert uncovered(fixed) == []
    oci = _by_value(dependencies(VERSIONS, fixed))["2.18.0"]
    assert (oci["datasource"], oci["depName"]) == ("docker", "x.io/c")


def _by_value(deps: list[Dependency]) -> dict[str, dict[str, str]]:
    return {d.fields["currentValue"]: d.fields for d in deps}


def test_each_pin_resolves_to_a_real_datasource_and_package():
    import kube_platform.components.versions as v

    deps = _by_value(dependencies(VERSIONS, (ROOT / VERSIONS).read_text()))
    cert_manager = deps[v.CERT_MANAGER.version]
    assert cert_manager["datasource"] == "helm"
    assert cert_manager["registryUrl"] == v.CERT_MANAGER.repo
    assert cert_manager["depName"] == "cert-manager"
    postgres = deps[v.POSTGRES_IMAGES[18].rsplit(":", 1)[1]]
    assert postgres["datasource"] == "docker"
    assert postgres["depName"] == "ghcr.io/cloudnative-pg/postgresql"
    gateway = deps[v.GATEWAY_API]
    assert (gateway["datasource"], gateway["depName"]) == (
        "github-releases",
        "kubernetes-sigs/gateway-api",
    )
    for minor, addons in v.EKS_ADDONS_BY_MINOR.items():
        for addon, version in addons.items():
            found = deps[version]
            assert found["datasource"] == "aws-eks-addon"
            # renovatebot/renovate lib/modules/datasource/aws-eks-addon/schema.ts
            assert json.loads(found["packageName"]) == {
                "kubernetesVersion": minor,
                "addonName": addon,
            }
    for minor, tag in v.CLUSTER_AUTOSCALER_IMAGE_TAGS.items():
        assert deps[tag]["depName"] == "registry.k8s.io/autoscaling/cluster-autoscaler"
        assert deps[tag]["depType"] == f"kubernetes-{minor}"
    for chart in [c for c in vars(v).values() if isinstance(c, v.Chart)]:
        if chart.repo.startswith("oci://"):
            assert deps[chart.version]["depName"] == chart.repo.removeprefix("oci://")


def test_every_manager_finds_something():
    """Each manager matches a pin today, or (OCI charts) the pins the coverage test adds."""
    files = [ROOT / VERSIONS, *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]
    for manager in MANAGERS:
        found = [
            d
            for path in files
            if any(
                file_pattern(p).search(str(path.relative_to(ROOT)))
                for p in manager["managerFilePatterns"]
            )
            for d in extract(manager, path.read_text())
        ]
        assert found or "OCI" in manager["description"], manager["description"]


REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[\w.+!-]+$")


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("**/requirements*.txt")
                   if ".venv" not in p.parts)
)
def test_requirements_are_exact_pins_renovate_updates(path):
    """Renovate's pip_requirements manager updates `name==version` lines."""
    lines = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / path).read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    loose = [line for line in lines if line != "-e ." and not REQUIREMENT.match(line)]
    assert loose == []


USES = re.compile(r"^\s*-?\s*uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (ROOT / ".github" / "workflows").glob("*.yml"))
)
def test_actions_are_pinned_by_commit_with_the_version_renovate_follows(path):
    """github-actions manager + helpers:pinGitHubActionDigestsToSemver: `@<sha> # vX.Y.Z`."""
    text = (ROOT / ".github" / "workflows" / path).read_text()
    bad = []
    for line in text.splitlines():
        m = USES.match(line)
        if m is None or m["ref"].startswith("./"):
            continue
        if not PINNED_ACTION.match(m["ref"]) or not re.match(r"\s+# v\d+\.\d+\.\d+$", m["comment"]):
            bad.append(line.strip())
    assert bad == []
    deps = dependencies(f".github/workflows/{path}", text)
    if "pulumi-version:" in text:
        assert [d.fields["depName"] for d in deps] == ["pulumi/pulumi"]


def test_renovate_config_uses_current_keys():
    """`fileMatch` became `managerFilePatterns` (slash-delimited regexes) in Renovate 40."""
    assert "fileMatch" not in json.dumps(CONFIG)
    assert Path(ROOT / "renovate.json").is_file()
