"""Checks of emitted objects against upstream schemas. Each returns a list of findings (empty
when everything conforms), so a test can report all of them at once."""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from kube_platform.components.kubernetes.helm import merge_values
from kube_platform.stacks.offline import COMPUTED, Registration
from kube_platform.stacks.plan_footprint import chart_name
from tests import cel
from tests.conftest import SCHEMAS

# kubernetes-validate reads and parses its schema files (the shared definitions are megabytes
# of JSON) on every call; they never change during a run, so parse each file once.
kubernetes_validate.utils.schema_contents = functools.cache(
    kubernetes_validate.utils.schema_contents
)

# Resource types that are not Kubernetes objects themselves.
NON_OBJECT_TYPES = {
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
}

# Chart name -> folder under shared/schemas holding its values.yaml / values.schema.json.
CHART_SCHEMAS = {
    "cert-manager": "cert-manager/chart",
    "cert-manager-approver-policy": "cert-manager-approver-policy/chart",
    "cloudnative-pg": "cloudnative-pg/chart-cloudnative-pg",
    "plugin-barman-cloud": "barman-cloud-plugin/chart",
    "traefik": "traefik/chart",
    "aws-load-balancer-controller": "aws-load-balancer-controller/chart",
    "external-dns": "external-dns/chart",
    "external-secrets": "external-secrets/chart",
    "tailscale-operator": "tailscale-operator/chart",
    "karpenter": "karpenter/chart",
    "cluster-autoscaler": "cluster-autoscaler/chart",
    "flux-operator": "flux/chart-flux-operator",
    "argo-cd": "argo-cd/chart",
    "kube-prometheus-stack": "kube-prometheus-stack/chart",
}

# Sub-charts whose values a chart passes on under their name: known keys there are the
# sub-chart's values.yaml keys as well as the parent's own section (kube-prometheus-stack
# 88.5.3 Chart.yaml dependencies; none of them has a values schema).
SUBCHART_SCHEMAS = {
    "kube-prometheus-stack": {
        "grafana": "kube-prometheus-stack/chart-grafana",
        "kube-state-metrics": "kube-prometheus-stack/chart-kube-state-metrics",
        "prometheus-node-exporter": "kube-prometheus-stack/chart-prometheus-node-exporter",
    }
}

# Sub-charts whose values.yaml ../shared/schemas does not hold: the keys the platform sets or the
# footprint reads, with their defaults, as read in the sub-chart's values.yaml at the version
# the parent pins. argo-cd 10.1.1 depends on redis-ha 4.38.0 (charts/argo-cd/Chart.yaml);
# DandyDeveloper/charts charts/redis-ha/values.yaml, tag redis-ha-4.38.0 (2e2539a8).
SUBCHART_KNOWN_VALUES: dict[str, dict[str, Any]] = {
    "argo-cd": {
        "redis-ha": {
            "replicas": 3,
            "redis": {"resources": {}},
            "sentinel": {"resources": {}},
            "splitBrainDetection": {"resources": {}},
            "haproxy": {"replicas": 3, "resources": {}},
        }
    }
}

# Values a chart renders whatever keys they hold (documented as free maps, shipped with some
# defaults): Grafana's `grafana.ini` becomes one INI section per key (grafana chart 12.11.1
# templates/_config.tpl); argo-cd's `configs.cm` and `configs.params` become the keys of its
# ConfigMaps.
FREE_FORM_VALUES = {
    "kube-prometheus-stack": (("grafana", "grafana.ini"),),
    "argo-cd": (("configs", "cm"), ("configs", "params")),
}

SECRET_MARKERS = ("[secret]", "mock-password-", "BEGIN PRIVATE KEY")


def kubernetes_objects(registrations: list[Registration]) -> list[Registration]:
    return [
        r
        for r in registrations
        if r.custom and r.type.startswith("kubernetes:") and r.type not in NON_OBJECT_TYPES
    ]


def _group_version_kind(r: Registration) -> tuple[str, str, str]:
    api_version = r.inputs.get("apiVersion", "")
    group, _, version = api_version.rpartition("/")
    return group, version, r.inputs.get("kind", "")


def _yaml_loader() -> type[yaml.SafeLoader]:
    # libyaml's loader when PyYAML has it: the CRDs are megabytes of YAML.
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    # prometheus-operator CRDs carry an enum value '=' that PyYAML reads as a value tag.
    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: node.value)
    return Loader


@functools.cache
def crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema for every CRD under shared/schemas."""
    index: dict[tuple[str, str, str], dict[str, Any]] = {}
    loader = _yaml_loader()
    for path in sorted(SCHEMAS.rglob("*.yaml")):
        if "/chart" in str(path.relative_to(SCHEMAS)):
            continue
        for doc in yaml.load_all(path.read_text(), Loader=loader):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema and version.get("served", True):
                    index[(spec["group"], version["name"], spec["names"]["kind"])] = schema
    return index


def _without_computed(value: Any) -> Any:
    """Drop values only known after deploy; they cannot be checked offline."""
    if isinstance(value, dict):
        return {k: _without_computed(v) for k, v in value.items() if v != COMPUTED}
    if isinstance(value, list):
        return [_without_computed(v) for v in value if v != COMPUTED]
    return value


def is_builtin(r: Registration, k8s_version: str) -> bool:
    """Whether the official Kubernetes schema (not a CRD) describes this object."""
    return _is_builtin(r.inputs.get("apiVersion", ""), r.inputs.get("kind", ""), k8s_version)


@functools.cache
def _is_builtin(api_version: str, kind: str, k8s_version: str) -> bool:
    # Loading a kind's schema is slow, and every test asks about the same few kinds.
    try:
        kubernetes_validate.validate(
            {"apiVersion": api_version, "kind": kind}, k8s_version, strict=True
        )
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except kubernetes_validate.ValidationError:
        return True
    return True


def kubernetes_findings(r: Registration, k8s_version: str) -> list[str]:
    """Validate a built-in object against the official schema (strict: no unknown fields),
    reporting the error `kubernetes_validate.validate` would raise."""
    body = _without_computed(r.inputs)
    validator = _builtin_validator(body.get("apiVersion", ""), body.get("kind", ""), k8s_version)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return []
    path = ".".join(str(p) for p in error.absolute_path)
    return [f"{r.type} {r.name}: {path}: {error.message}"]


@functools.cache
def _builtin_validator(api_version: str, kind: str, k8s_version: str) -> Any:
    """kubernetes_validate.validate's validator for one kind, built once: it reads the
    schema and the large shared definitions file on every call."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    version = [v for v in utils.all_versions() if utils.major_minor(v) <= k8s_version][-1]
    schema_dir = f"kubernetes-json-schema/v{version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = utils.schema_contents(f"{schema_dir}/{kind.lower()}-{group_version}.json", version)
    definitions = _builtin_definitions(schema_dir, version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.cache
def _builtin_definitions(schema_dir: str, version: str) -> Any:
    from kubernetes_validate import utils

    return utils.schema_contents(f"{schema_dir}/_definitions.json", version)


def crd_findings(r: Registration) -> list[str]:
    """A custom resource against its pinned CRD: the structural schema, then its CEL rules."""
    group, version, kind = _group_version_kind(r)
    schema = crd_schemas().get((group, version, kind))
    if schema is None:
        return [f"{r.type} {r.name}: no CRD for {group}/{version} {kind} in shared/schemas"]
    body = {k: v for k, v in _without_computed(r.inputs).items() if k != "metadata"}
    # The API server, not the CRD schema, validates metadata; some CRDs still list it as
    # required (CloudNativePG, Barman Cloud), so stand in an empty object.
    body.update(apiVersion=r.inputs["apiVersion"], kind=kind, metadata={})
    validator = _crd_validator(group, version, kind)
    return [
        f"{r.type} {r.name}: {'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(body)
    ] + [f"{r.type} {r.name}: {res.detail}" for res in crd_rule_results(r) if res.is_finding]


def crd_rule_results(r: Registration) -> list[cel.Result]:
    """The CRD's CEL validation rules evaluated on a custom resource, as the API server does
    when it is created (see tests/cel.py). Values known only after deploy stay in as unknowns
    rather than being removed: a removed field would read as absent to `has()` and shorten
    lists, so a rule could fail (or pass) on an object that will never exist."""
    group, version, kind = _group_version_kind(r)
    schema = crd_schemas().get((group, version, kind))
    if schema is None:
        return []
    metadata = dict(r.inputs.get("metadata") or {})
    # Without a name, Pulumi auto-names the object: known only when it is created.
    metadata.setdefault("name", COMPUTED)
    body = {**r.inputs, "metadata": metadata}
    return list(_rule_results(group, version, kind, json.dumps(body, sort_keys=True)))


@functools.cache
def _rule_results(group: str, version: str, kind: str, body: str) -> tuple[cel.Result, ...]:
    # Many stacks emit the same object: evaluate each distinct one once per session.
    return tuple(cel.results(json.loads(body), crd_schemas()[(group, version, kind)]))


@functools.cache
def _crd_validator(group: str, version: str, kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_structural(crd_schemas()[(group, version, kind)]))


def _structural(schema: Any) -> Any:
    """OpenAPI v3 structural schema -> JSON schema: unknown fields are errors unless the
    schema preserves them, and int-or-string fields accept both."""
    if isinstance(schema, list):
        return [_structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural(v) for k, v in schema.items() if not k.startswith("x-kubernetes")}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def object_findings(r: Registration, k8s_version: str) -> list[str]:
    if is_builtin(r, k8s_version):
        return kubernetes_findings(r, k8s_version)
    return crd_findings(r)


def chart_folder(r: Registration) -> Path:
    chart = chart_name(r)
    return SCHEMAS / CHART_SCHEMAS.get(chart, f"<no schema folder for chart {chart}>")


@functools.cache
def _values_file(folder: Path) -> Any:
    return yaml.safe_load((folder / "values.yaml").read_text()) or {}


def _chart_defaults(chart: str, folder: Path) -> dict[str, Any]:
    """The chart's values.yaml, with each sub-chart's values.yaml merged under its key and
    free-form values emptied (an empty map accepts any key)."""
    defaults = copy.deepcopy(_values_file(folder))
    for key, sub_folder in SUBCHART_SCHEMAS.get(chart, {}).items():
        defaults[key] = _merged(_values_file(SCHEMAS / sub_folder), defaults.get(key) or {})
    for key, known in SUBCHART_KNOWN_VALUES.get(chart, {}).items():
        defaults[key] = _merged(copy.deepcopy(known), defaults.get(key) or {})
    for *parents, last in FREE_FORM_VALUES.get(chart, ()):
        node = defaults
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = {}
    return defaults


def _merged(base: Any, over: Any) -> Any:
    """`over` merged into `base` key by key (a parent chart's section over its sub-chart's
    defaults)."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over if over is not None else base
    return {k: _merged(base.get(k), over.get(k)) for k in {*base, *over}}


def helm_values_findings(r: Registration) -> list[str]:
    """A release's values against its chart's values.schema.json and known keys."""
    folder = chart_folder(r)
    if not folder.is_dir():
        return [f"{r.name}: {folder.name}"]
    values = _without_computed(r.inputs.get("values") or {})
    findings = []
    schema, defaults = _chart(folder)
    if schema:
        # Helm validates the chart's defaults merged with the release's values.
        validator = jsonschema.validators.validator_for(schema)(schema)
        findings += [
            f"{r.name}: values.{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(merge_values(defaults, values))
        ]
    defaults = _chart_defaults(chart_name(r), folder)
    findings += [
        f"{r.name}: unknown chart value {path}"
        for path in _unknown_keys(values, defaults, _resolved(schema, schema), root=schema)
    ]
    return findings


@functools.cache
def _chart(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A chart's values schema (empty without one) and default values, read once."""
    schema_path = folder / "values.schema.json"
    schema = json.loads(schema_path.read_text()) if schema_path.is_file() else {}
    defaults = yaml.load((folder / "values.yaml").read_text(), Loader=_yaml_loader()) or {}
    return schema, defaults


def _unknown_keys(
    values: Any,
    defaults: Any,
    schema: dict[str, Any],
    path: str = "values",
    root: dict[str, Any] | None = None,
) -> list[str]:
    root = schema if root is None else root
    if not isinstance(values, dict):
        return []
    known_defaults = defaults if isinstance(defaults, dict) else {}
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if not known_defaults and not properties:
        return []  # a free-form map such as podAnnotations
    unknown = []
    # A map of named entries (Traefik's `ports`) describes every entry in additionalProperties.
    entries = schema.get("additionalProperties") if isinstance(schema, dict) else None
    entry_schema = entries if isinstance(entries, dict) else {}
    for key, value in values.items():
        if key not in known_defaults and key not in properties:
            unknown.append(f"{path}.{key}")
            continue
        unknown += _unknown_keys(
            value,
            known_defaults.get(key),
            _resolved(properties.get(key, entry_schema), root),
            f"{path}.{key}",
            root,
        )
    return unknown


def _resolved(schema: Any, root: dict[str, Any]) -> Any:
    """Follow a local `$ref` (charts such as cert-manager define every key under `$defs`)."""
    seen = 0
    while isinstance(schema, dict) and str(schema.get("$ref", "")).startswith("#/") and seen < 32:
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    return schema


def plaintext_secret_findings(r: Registration) -> list[str]:
    """Secret material in an input Pulumi does not treat as secret, or in Helm values."""
    findings = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, str) and any(m in value for m in SECRET_MARKERS):
            secret = any(
                path == s or path.startswith(f"{s}.") or path.startswith(f"{s}[")
                for s in r.secret_inputs
            )
            if not secret:
                findings.append(f"{r.type} {r.name}: {path} holds a secret in plaintext")

    walk(r.inputs, "")
    if r.type == "kubernetes:helm.sh/v3:Release":
        findings += [
            f"{r.name}: Helm values hold a secret at {s}"
            for s in r.secret_inputs
            if s.startswith("values")
        ]
    return findings
