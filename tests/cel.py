"""The Kubernetes CEL environment for CRD validation rules (`x-kubernetes-validations`),
evaluated as the API server does when a custom resource is created.

Built on cel-python (`celpy`). What the API server does, and this module mirrors (sources:
kubernetes/kubernetes staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/
validation.go, .../schema/defaulting/algorithm.go, staging/src/k8s.io/apiserver/pkg/cel/
escaping.go, common/values.go, library/ip.go, library/regex.go; cel-go ext/strings.go;
https://kubernetes.io/docs/reference/using-api/cel/):

- the schema's defaults are applied before validation;
- a rule runs with `self` bound to the value at the schema node carrying it (object, array or
  scalar, inside `items`, `additionalProperties` and `allOf` too), typed by the schema: integer
  -> int, number -> double, strings with format duration / date / date-time / byte -> duration /
  timestamp / bytes; object properties are reached by their escaped names (`__dash__`,
  `__dot__`, `__slash__`, `__underscores__`, `__namespace__` and the other CEL keywords), fields
  the schema does not declare are not reachable, null fields count as absent; the resource root
  also carries apiVersion, kind and metadata.name / generateName;
- a rule that is not true fails with its `messageExpression`, else its `message`, else
  "failed rule: <rule>", at the node's path (plus `fieldPath`), shaped by `reason`; a rule that
  errors fails with "<error> evaluating rule: <message or rule>";
- transition rules (those reading `oldSelf`) are not evaluated at create time.

Values only known after deploy (`COMPUTED`) are present but unknown: every use of one is an
error, which CEL's commutative `&&`, `||`, `all` and `exists` absorb when the other side decides
the outcome. A rule whose outcome hangs on an unknown is inconclusive, never a finding.

Where celpy departs from cel-go, which the API server runs, the environment follows cel-go:
`has()`, heterogeneous equality and numeric comparison across int / uint / double, errors in
`&&` / `||` and in `map` / `filter` / `exists_one` predicates.

Only what the CRDs under ../shared/schemas use is implemented beyond celpy's standard library
(`split`, `substring`, `find`, `findAll`, `isIP`); a rule calling anything else, or using syntax
celpy cannot parse (optional types), is reported as unsupported so the caller can fail on it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import celpy
import lark
import re2
from celpy import celtypes
from celpy.evaluation import CELEvalError, Evaluator

from kube_platform.stacks.offline import COMPUTED

# Outcomes of one rule on one value.
PASS, FAIL, ERROR = "pass", "fail", "error"
UNKNOWN, TRANSITION, UNSUPPORTED = "unknown", "transition", "unsupported"


class Unknown(CELEvalError):
    """A value known only after deploy: present, but any use of it is an error."""

    def __init__(self) -> None:
        super().__init__("value known only after deploy")


# --- the environment ---------------------------------------------------------------------


class _Evaluator(Evaluator):
    def macro_has_eval(self, exprlist: lark.Tree) -> Any:
        """`has(e.f)` per the CEL spec: whether map or object `e` has field `f`, an error when
        `e` is an error or no map. celpy instead answers whether `e.f` evaluates, which makes
        a present unknown field look absent and hides errors in `e`."""
        node: Any = exprlist
        while isinstance(node, lark.Tree) and node.data != "member_dot" and len(node.children) == 1:
            node = node.children[0]
        if not (isinstance(node, lark.Tree) and node.data == "member_dot"):
            return CELEvalError("invalid argument to has() macro")
        operand_tree, field = node.children
        operand = self.visit(operand_tree)
        if isinstance(operand, CELEvalError):
            return operand
        if isinstance(operand, celtypes.MapType):
            return celtypes.BoolType(celtypes.StringType(field.value) in operand)
        return CELEvalError(f"no such overload: has() on {type(operand).__name__}")

    def member_dot_arg(self, tree: lark.Tree) -> Any:
        """celpy raises out of `map`, `filter` and `exists_one` when the predicate errors (and
        counts an error as a match in `exists_one`): keep the error a value, so an enclosing
        `&&` or `||` can still decide, as in cel-go."""
        try:
            return super().member_dot_arg(tree)
        except CELEvalError as error:
            return error

    def sub_evaluator(self, ast: lark.Tree) -> Evaluator:
        # Macro bodies evaluate with these semantics too.
        return _Evaluator(ast, activation=self.activation)


class _Runner(celpy.InterpretedRunner):
    def evaluate(self, context: Any) -> Any:
        return _Evaluator(ast=self.ast, activation=self.new_activation()).evaluate(context)


_NUMBERS = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def _kind(value: Any) -> str:
    # BoolType and the number types share Python's int: test bool first.
    if isinstance(value, celtypes.BoolType):
        return "bool"
    if isinstance(value, _NUMBERS):
        return "number"
    for kind, cel_type in (
        ("string", celtypes.StringType),
        ("bytes", celtypes.BytesType),
        ("list", celtypes.ListType),
        ("map", celtypes.MapType),
        ("duration", celtypes.DurationType),
        ("timestamp", celtypes.TimestampType),
    ):
        if isinstance(value, cel_type):
            return kind
    return "null" if value is None else type(value).__name__


def _equal(a: Any, b: Any) -> Any:
    """Heterogeneous equality, as Kubernetes enables it: values of different kinds are unequal,
    numbers compare by value, containers element-wise. A definite difference wins over an
    error (an unknown) elsewhere in the containers."""
    for value in (a, b):
        if isinstance(value, CELEvalError):
            return value
    kind = _kind(a)
    if kind != _kind(b):
        return celtypes.BoolType(False)
    if kind == "list":
        if len(a) != len(b):
            return celtypes.BoolType(False)
        return _all_equal(_equal(x, y) for x, y in zip(a, b, strict=True))
    if kind == "map":
        if len(a) != len(b) or set(a) != set(b):
            return celtypes.BoolType(False)
        return _all_equal(_equal(a[k], b[k]) for k in a)
    if kind == "number":
        return celtypes.BoolType(_number(a) == _number(b))
    return celtypes.BoolType(a == b)


def _number(value: Any) -> int | float:
    # Exact for ints; Python compares int with float by value, as CEL does across kinds.
    return float(value) if isinstance(value, celtypes.DoubleType) else int(value)


def _all_equal(results: Iterator[Any]) -> Any:
    error = None
    for result in results:
        if isinstance(result, CELEvalError):
            error = error or result
        elif not result:
            return celtypes.BoolType(False)
    return error or celtypes.BoolType(True)


def _not_equal(a: Any, b: Any) -> Any:
    result = _equal(a, b)
    return result if isinstance(result, CELEvalError) else celtypes.BoolType(not result)


def _ordering(compare: Any) -> Any:
    """`<`, `<=`, `>`, `>=`: numbers of any kind compare by value, as in Kubernetes."""

    def ordered(a: Any, b: Any) -> Any:
        for value in (a, b):
            if isinstance(value, CELEvalError):
                return value
        kind = _kind(a)
        if kind != _kind(b) or kind in {"list", "map", "null"}:
            return CELEvalError("no such overload", TypeError, (a, b))
        if kind == "number":
            a, b = _number(a), _number(b)
        return celtypes.BoolType(compare(a, b))

    return ordered


def _logical(absorbing: bool) -> Any:
    """`&&` (absorbing false) and `||` (absorbing true), commutative over errors: a decided
    side wins, else the first error stands (celpy fails on error with error)."""

    def combine(a: Any, b: Any) -> Any:
        if any(isinstance(v, celtypes.BoolType) and bool(v) is absorbing for v in (a, b)):
            return celtypes.BoolType(absorbing)
        for value in (a, b):
            if isinstance(value, CELEvalError):
                return value
            if not isinstance(value, celtypes.BoolType):
                return CELEvalError("no such overload", TypeError, (a, b))
        return celtypes.BoolType(not absorbing)

    return combine


def _in(item: Any, container: Any) -> Any:
    if isinstance(item, CELEvalError):
        return item
    if isinstance(container, CELEvalError):
        return container
    if isinstance(container, celtypes.MapType):
        return celtypes.BoolType(item in container)
    if isinstance(container, celtypes.ListType):
        error = None
        for element in container:
            result = _equal(element, item)
            if isinstance(result, CELEvalError):
                error = error or result
            elif result:
                return celtypes.BoolType(True)
        return error or celtypes.BoolType(False)
    return CELEvalError("no such overload", TypeError, (item, container))


def _go_split(text: str, separator: str, limit: int) -> list[str]:
    """Go's strings.SplitN, which cel-go's `split` calls."""
    if limit == 0:
        return []
    if separator == "":
        chars = list(text)
        if 0 < limit < len(chars):
            return [*chars[: limit - 1], "".join(chars[limit - 1 :])]
        return chars
    return text.split(separator, limit - 1 if limit > 0 else -1)


def _split(text: Any, separator: Any, limit: Any = -1) -> Any:
    if not isinstance(text, str) or not isinstance(separator, str):
        raise TypeError("split(string, string)")
    return celtypes.ListType(
        celtypes.StringType(part) for part in _go_split(text, separator, int(limit))
    )


def _substring(text: Any, start: Any, end: Any = None) -> Any:
    if not isinstance(text, str):
        raise TypeError("substring(string, int)")
    start, end = int(start), len(text) if end is None else int(end)
    if start < 0 or start > len(text):
        return CELEvalError(f"index out of range: {start}")
    if end < 0 or end > len(text):
        return CELEvalError(f"index out of range: {end}")
    if end < start:
        return CELEvalError(f"invalid substring range. start: {start}, end: {end}")
    return celtypes.StringType(text[start:end])


@functools.cache
def _regex(pattern: str) -> Any:
    return re2.compile(pattern)


def _find_all(text: Any, pattern: Any, limit: Any = -1) -> Any:
    if not isinstance(text, str) or not isinstance(pattern, str):
        raise TypeError("findAll(string, string)")
    try:
        matches = [m.group(0) for m in _regex(pattern).finditer(text)]
    except re2.error as exc:
        return CELEvalError(f"regex compilation error: {exc}")
    limit = int(limit)
    return celtypes.ListType(
        celtypes.StringType(m) for m in (matches if limit < 0 else matches[:limit])
    )


def _find(text: Any, pattern: Any) -> Any:
    found = _find_all(text, pattern, 1)
    if isinstance(found, CELEvalError):
        return found
    return found[0] if found else celtypes.StringType("")


def _is_ip(text: Any) -> Any:
    """Kubernetes' isIP: no zones, no IPv4-mapped IPv6, no leading zeros in IPv4 octets."""
    if not isinstance(text, str):
        raise TypeError("isIP(string)")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return celtypes.BoolType(False)
    if isinstance(address, ipaddress.IPv6Address) and (address.scope_id or address.ipv4_mapped):
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


FUNCTIONS: dict[str, Any] = {
    "_==_": _equal,
    "_!=_": _not_equal,
    "_<_": _ordering(lambda a, b: a < b),
    "_<=_": _ordering(lambda a, b: a <= b),
    "_>_": _ordering(lambda a, b: a > b),
    "_>=_": _ordering(lambda a, b: a >= b),
    "_in_": _in,
    "_&&_": _logical(False),
    "_||_": _logical(True),
    # cel-go ext.Strings, which Kubernetes includes.
    "split": _split,
    "substring": _substring,
    # Kubernetes' regex and IP libraries.
    "find": _find,
    "findAll": _find_all,
    "isIP": _is_ip,
}
MACROS = {"has", "dyn", "all", "exists", "exists_one", "map", "filter"}
SUPPORTED = MACROS | set(FUNCTIONS) | set(celpy.evaluation.base_functions)

_ENVIRONMENT = celpy.Environment(runner_class=_Runner)


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    program: Any  # None when the rule cannot be evaluated here
    unsupported: str  # why, when it cannot
    uses_old_self: bool


@functools.cache
def compile_rule(source: str) -> Compiled:
    """Parse a rule once per session; say what about it this environment cannot evaluate."""
    try:
        ast = _ENVIRONMENT.compile(source)
    except Exception as exc:  # celpy raises its own parse errors
        return Compiled(None, f"does not parse here: {str(exc).splitlines()[0]}", False)
    called, identifiers = set(), set()
    for node in ast.iter_subtrees():
        if node.data == "ident_arg":
            called.add(node.children[0].value)
        elif node.data == "member_dot_arg":
            called.add(node.children[1].value)
        elif node.data == "ident":
            identifiers.add(node.children[0].value)
    missing = sorted(called - SUPPORTED)
    unsupported = f"uses {', '.join(missing)}" if missing else ""
    program = None if missing else _ENVIRONMENT.program(ast, functions=FUNCTIONS)
    return Compiled(program, unsupported, "oldSelf" in identifiers)


def unsupported(rule: dict[str, Any]) -> str:
    """Why this environment cannot evaluate a rule as the API server would; empty if it can."""
    compiled = compile_rule(rule["rule"])
    if compiled.unsupported:
        return compiled.unsupported
    if compiled.uses_old_self and rule.get("optionalOldSelf"):
        return "optionalOldSelf binds oldSelf to an optional, and optional types are not here"
    message = rule.get("messageExpression")
    if message and compile_rule(message).unsupported:
        return f"messageExpression {compile_rule(message).unsupported}"
    return ""


@dataclass(frozen=True)
class Result:
    """One rule evaluated on one value."""

    path: str  # the schema node's field path, as the API server prints it
    rule: str
    outcome: str  # PASS, FAIL, ERROR, UNKNOWN, TRANSITION or UNSUPPORTED
    detail: str  # the error the API server would return, or why it was not evaluated

    @property
    def is_finding(self) -> bool:
        return self.outcome in {FAIL, ERROR, UNSUPPORTED}


def evaluate(rule: dict[str, Any], value: Any, schema: dict[str, Any], path: str) -> Result:
    """Evaluate one `x-kubernetes-validations` entry with `self` bound to `value` (raw, already
    defaulted) typed by `schema`."""
    source = rule["rule"]
    compiled = compile_rule(source)
    if compiled.uses_old_self and not rule.get("optionalOldSelf"):
        return Result(path, source, TRANSITION, "transition rule: not evaluated at create time")
    why = unsupported(rule)
    if why:
        return Result(path, source, UNSUPPORTED, f"{_at(path)}: rule not supported ({why})")
    self_value = to_cel(value, schema)
    outcome = _run(compiled.program, self_value)
    if outcome is True:
        return Result(path, source, PASS, "")
    message = str(rule.get("message") or "").strip()
    type_name = _schema_type(schema)
    if isinstance(outcome, CELEvalError):
        if _holds_unknown(self_value):
            return Result(path, source, UNKNOWN, "depends on a value known only after deploy")
        text = f"{_error_text(outcome)} evaluating rule: {message or source.strip()}"
        return Result(path, source, ERROR, f'{_at(path)}: Invalid value: "{type_name}": {text}')
    detail = _message(rule, self_value) or message or f"failed rule: {source.strip()}"
    field_path = _join(path, rule.get("fieldPath", ""))
    return Result(path, source, FAIL, _field_error(field_path, type_name, detail, rule))


def _run(program: Any, self_value: Any) -> Any:
    """True, False, or the CELEvalError the rule ended in."""
    try:
        result = program.evaluate({"self": self_value})
    except CELEvalError as exc:
        return exc
    except (TypeError, ValueError, AttributeError) as exc:
        return CELEvalError(f"no such overload: {exc}")
    if isinstance(result, celtypes.BoolType):
        return bool(result)
    return CELEvalError(f"rule returned {type(result).__name__}, not bool")


def _message(rule: dict[str, Any], self_value: Any) -> str:
    """A `messageExpression`'s text; empty (so `message` is used) when it cannot be had."""
    source = rule.get("messageExpression")
    if not source:
        return ""
    compiled = compile_rule(source)
    if compiled.program is None:
        return ""
    try:
        text = compiled.program.evaluate({"self": self_value})
    except Exception:
        return ""
    text = str(text).strip() if isinstance(text, str) else ""
    return "" if "\n" in text else text


def _error_text(error: CELEvalError) -> str:
    text = str(error.args[0]) if error.args else "evaluation error"
    # cel-go's wording for a missing field, which the API server returns.
    missing = re2.match(r"no such member in mapping: '(.*)'$", text)
    return f"no such key: {missing.group(1)}" if missing else text


def _field_error(path: str, type_name: str, detail: str, rule: dict[str, Any]) -> str:
    reason = rule.get("reason", "FieldValueInvalid")
    if reason == "FieldValueForbidden":
        return f"{_at(path)}: Forbidden: {detail}"
    if reason == "FieldValueRequired":
        return f"{_at(path)}: Required value: {detail}"
    if reason == "FieldValueDuplicate":
        return f'{_at(path)}: Duplicate value: "{type_name}"'
    return f'{_at(path)}: Invalid value: "{type_name}": {detail}'


def _at(path: str) -> str:
    return path or "<root>"


def _join(path: str, child: str) -> str:
    """Append a rule's `fieldPath` (`.a.b`, `['x.y']`) to a node's path."""
    if not child:
        return path
    return f"{path}{child}" if path else child.lstrip(".")


def _schema_type(schema: dict[str, Any]) -> str:
    return str(schema.get("type", ""))  # what the API server prints as the invalid value


# --- values ------------------------------------------------------------------------------

# CEL's reserved words, which Kubernetes escapes as __word__ in property names.
_RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
    "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
    "void", "while",
}  # fmt: skip


def escape(name: str) -> str | None:
    """The CEL field name of an object property (k8s.io/apiserver/pkg/cel escaping.go), or
    None when CEL cannot reach it."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    out, i = [], 0
    while i < len(name):
        char = name[i]
        if name.startswith("__", i):
            out.append("__underscores__")
            i += 2
            continue
        if char in "./-":
            out.append({".": "__dot__", "/": "__slash__", "-": "__dash__"}[char])
        elif char.isascii() and (char.isalnum() or char == "_"):
            out.append(char)
        else:
            return None
        i += 1
    return "".join(out)


def to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """A raw JSON value as the CEL value the API server binds for `schema`."""
    if value == COMPUTED:
        return Unknown()
    if value is None:
        return None
    if schema.get("x-kubernetes-int-or-string"):
        return celtypes.IntType(value) if isinstance(value, int) else celtypes.StringType(value)
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None or schema.get("x-kubernetes-embedded-resource"):
            properties = {**(properties or {}), **_embedded_meta(schema)}
            fields = {}
            for key, item in value.items():
                name = escape(key)
                if key in properties and name is not None and item is not None:
                    fields[celtypes.StringType(name)] = to_cel(item, properties[key])
            return celtypes.MapType(fields)
        items = schema.get("additionalProperties")
        if isinstance(items, dict):
            return celtypes.MapType(
                {celtypes.StringType(k): to_cel(v, items) for k, v in value.items()}
            )
        return celtypes.MapType()  # preserved unknown fields are not reachable
    if kind == "array" and isinstance(value, list):
        return celtypes.ListType(to_cel(item, schema.get("items") or {}) for item in value)
    if kind == "string" and isinstance(value, str):
        return _formatted_string(value, schema.get("format", ""))
    if kind == "integer" and _is_whole(value):
        return celtypes.IntType(int(value))
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return celtypes.DoubleType(value)
    if kind == "boolean" and isinstance(value, bool):
        return celtypes.BoolType(value)
    if kind is None and schema.get("x-kubernetes-preserve-unknown-fields"):
        return celpy.json_to_cel(value)
    return CELEvalError(f"invalid data, expected {kind}, got {type(value).__name__}")


def _is_whole(value: Any) -> bool:
    # Pulumi carries every number as a double; the provider sends whole ones as integers.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or value.is_integer()


def _embedded_meta(schema: dict[str, Any]) -> dict[str, Any]:
    """What an embedded resource (or the resource root) exposes besides its own properties."""
    if not schema.get("x-kubernetes-embedded-resource"):
        return {}
    return ROOT_META


ROOT_META: dict[str, Any] = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "generateName": {"type": "string"}},
    },
}


def _formatted_string(value: str, fmt: str) -> Any:
    try:
        if fmt == "duration":
            return celtypes.DurationType(value)
        if fmt == "date-time":
            return celtypes.TimestampType(value)
        if fmt == "date":
            return celtypes.TimestampType(f"{value}T00:00:00Z")
        if fmt == "byte":
            return celtypes.BytesType(base64.b64decode(value, validate=True))
    except (ValueError, binascii.Error) as exc:
        return CELEvalError(f"invalid {fmt} formatted string {value}: {exc}")
    return celtypes.StringType(value)


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def with_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """A copy of `value` with the schema's defaults applied, as the API server does before it
    validates (apiextensions-apiserver schema/defaulting/algorithm.go)."""
    if isinstance(value, dict):
        out = dict(value)
        properties = schema.get("properties") or {}
        for key, prop in properties.items():
            unset = key not in out or (out[key] is None and not prop.get("nullable"))
            if unset and "default" in prop:
                out[key] = prop["default"]
        extra = schema.get("additionalProperties")
        for key, item in out.items():
            if key in properties:
                out[key] = with_defaults(item, properties[key])
            elif isinstance(extra, dict):
                out[key] = with_defaults(item, extra)
        return out
    if isinstance(value, list):
        return [with_defaults(item, schema.get("items") or {}) for item in value]
    return value


# --- the walk ----------------------------------------------------------------------------


def results(obj: dict[str, Any], schema: dict[str, Any]) -> list[Result]:
    """Every rule of a CRD's `openAPIV3Schema` evaluated on custom resource `obj` (as sent to
    the API server: apiVersion, kind, metadata, spec, ...)."""
    root_schema = {**schema, "properties": {**(schema.get("properties") or {}), **ROOT_META}}
    out: list[Result] = []
    _walk(root_schema, root_schema, with_defaults(obj, schema), "", out)
    return out


def _walk(
    rules_schema: dict[str, Any],
    schema: dict[str, Any],
    value: Any,
    path: str,
    out: list[Result],
) -> None:
    """Rules come from `rules_schema`, types from `schema` (they differ only under allOf)."""
    if value is None:
        return  # the API server validates only non-null values
    rules = rules_schema.get("x-kubernetes-validations") or []
    if value == COMPUTED:
        out += [Result(path, r["rule"], UNKNOWN, "value known only after deploy") for r in rules]
        return  # what lies inside is unknown too
    out += [evaluate(rule, value, schema, path) for rule in rules]
    for nested in rules_schema.get("allOf") or []:
        _walk(nested, schema, value, path, out)
    if isinstance(value, dict):
        properties = rules_schema.get("properties") or {}
        extra = rules_schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                child = (schema.get("properties") or {}).get(key, properties[key])
                _walk(properties[key], child, item, _join(path, f".{key}"), out)
            elif isinstance(extra, dict):
                child = schema.get("additionalProperties") or extra
                _walk(extra, child, item, f"{path}[{key}]", out)
    elif isinstance(value, list) and isinstance(rules_schema.get("items"), dict):
        for i, item in enumerate(value):
            child = schema.get("items") or rules_schema["items"]
            _walk(rules_schema["items"], child, item, f"{path}[{i}]", out)


def rules_in(schema: Any) -> Iterator[dict[str, Any]]:
    """Every `x-kubernetes-validations` entry anywhere in a schema."""
    if not isinstance(schema, dict):
        return
    yield from schema.get("x-kubernetes-validations") or []
    children = [*(schema.get("properties") or {}).values(), *(schema.get("allOf") or [])]
    children += [schema.get("items"), schema.get("additionalProperties")]
    for child in children:
        yield from rules_in(child)
