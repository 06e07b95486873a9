"""The offline Kubernetes CEL environment (tests/cel.py) against real CRD rules: objects the API
server accepts pass, objects it rejects fail with the message it returns."""

from __future__ import annotations

from typing import Any

import pytest

from kube_platform.stacks.offline import COMPUTED
from tests import cel, conformance
from tests.conftest import SCHEMAS

pytestmark = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason=f"{SCHEMAS} is absent (CI provides it); the CRDs live there"
)

GATEWAY = ("gateway.networking.k8s.io", "v1", "Gateway")
HTTPROUTE = ("gateway.networking.k8s.io", "v1", "HTTPRoute")
TLSROUTE = ("gateway.networking.k8s.io", "v1", "TLSRoute")
CLUSTER_ISSUER = ("cert-manager.io", "v1", "ClusterIssuer")
PG_CLUSTER = ("postgresql.cnpg.io", "v1", "Cluster")
PG_DATABASE = ("postgresql.cnpg.io", "v1", "Database")
OBJECT_STORE = ("barmancloud.cnpg.io", "v1", "ObjectStore")


def results(gvk: tuple[str, str, str], spec: dict[str, Any]) -> list[cel.Result]:
    group, version, kind = gvk
    obj = {"apiVersion": f"{group}/{version}", "kind": kind, "metadata": {"name": "x"}}
    return cel.results({**obj, "spec": spec}, conformance.crd_schemas()[gvk])


def findings(gvk: tuple[str, str, str], spec: dict[str, Any]) -> list[str]:
    return [r.detail for r in results(gvk, spec) if r.is_finding]


def outcomes(gvk: tuple[str, str, str], spec: dict[str, Any]) -> set[str]:
    return {r.outcome for r in results(gvk, spec)}


def listener(name: str, port: int, protocol: str = "HTTP", **extra: Any) -> dict[str, Any]:
    return {"name": name, "port": port, "protocol": protocol, **extra}


TLS = {"mode": "Terminate", "certificateRefs": [{"name": "platform-tls"}]}


def test_every_rule_of_every_pinned_crd_is_supported():
    """Every rule the pinned CRDs carry parses and calls only functions the environment has, so
    no rule the API server enforces is skipped here."""
    schemas = conformance.crd_schemas().values()
    rules = [rule for schema in schemas for rule in cel.rules_in(schema)]
    assert len(rules) > 100
    # Transition rules too: they are skipped at create time, not because they cannot run.
    unsupported = {rule["rule"]: cel.unsupported(rule) for rule in rules}
    assert {rule: why for rule, why in unsupported.items() if why} == {}


def test_an_unsupported_rule_is_a_finding_not_a_skip():
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    lower = {"rule": "self.name.lowerAscii() == self.name"}
    optional = {"rule": "self.?name.orValue('') == ''"}
    for rule in (lower, optional):
        result = cel.evaluate(rule, {"name": "A"}, schema, "spec")
        assert (result.outcome, result.is_finding) == (cel.UNSUPPORTED, True)
    assert "uses lowerAscii" in cel.evaluate(lower, {}, schema, "spec").detail


def test_gateway_listeners():
    good = {
        "gatewayClassName": "traefik",
        "listeners": [listener("http", 8000), listener("https", 8443, "HTTPS", tls=TLS)],
    }
    assert findings(GATEWAY, good) == []
    assert cel.PASS in outcomes(GATEWAY, good)

    tls_on_http = {**good, "listeners": [listener("http", 8000, tls=TLS)]}
    assert findings(GATEWAY, tls_on_http) == [
        'spec.listeners: Invalid value: "array": '
        "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"
    ]
    same_name = {**good, "listeners": [listener("web", 8000), listener("web", 8001)]}
    assert findings(GATEWAY, same_name) == [
        'spec.listeners: Invalid value: "array": Listener name must be unique within the Gateway'
    ]
    passthrough = {"mode": "Passthrough", "certificateRefs": [{"name": "c"}]}
    https_passthrough = {**good, "listeners": [listener("s", 443, "HTTPS", tls=passthrough)]}
    assert findings(GATEWAY, https_passthrough) == [
        'spec.listeners: Invalid value: "array": tls mode must be Terminate for protocol HTTPS'
    ]
    # tls.mode defaults to Terminate before the rules run, as on the API server; neither
    # certificateRefs nor options is there to size, so the rule ends in an error.
    no_certificate = {**good, "listeners": [listener("s", 443, "HTTPS", tls={})]}
    assert findings(GATEWAY, no_certificate) == [
        'spec.listeners[0].tls: Invalid value: "object": no such key: certificateRefs '
        "evaluating rule: certificateRefs or options must be specified when mode is Terminate"
    ]


def test_gateway_infrastructure_label_keys_use_the_strings_library():
    """`split` comes from cel-go's strings extension, which Kubernetes includes."""
    labels = {"example.com/team": "a", f"{'a' * 260}.com/x": "b"}
    spec = {"gatewayClassName": "c", "listeners": [listener("h", 80)]}
    assert findings(GATEWAY, {**spec, "infrastructure": {"labels": labels}}) == [
        'spec.infrastructure.labels: Invalid value: "object": '
        "If specified, the label key's prefix must be a DNS subdomain not longer than 253 "
        "characters in total."
    ]


def route(*rules: dict[str, Any], parents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"parentRefs": parents or [{"name": "gw"}], "rules": list(rules)}


def backend(**extra: Any) -> dict[str, Any]:
    return {"name": "web", "port": 80, **extra}


def test_httproute_matches():
    prefix = {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}]}
    assert findings(HTTPROUTE, route({**prefix, "backendRefs": [backend()]})) == []
    relative = {"matches": [{"path": {"type": "PathPrefix", "value": "api"}}]}
    assert findings(HTTPROUTE, route(relative)) == [
        'spec.rules[0].matches[0].path: Invalid value: "object": '
        "value must be an absolute path and start with '/' when type one of "
        "['Exact', 'PathPrefix']"
    ]
    doubled = {"matches": [{"path": {"type": "Exact", "value": "/a//b"}}]}
    assert findings(HTTPROUTE, route(doubled)) == [
        'spec.rules[0].matches[0].path: Invalid value: "object": '
        "must not contain '//' when type one of ['Exact', 'PathPrefix']"
    ]
    # With no matches, the default (PathPrefix /) is what the rules see.
    assert findings(HTTPROUTE, route({"backendRefs": [backend()]})) == []


def test_httproute_backend_defaults_to_a_service_that_needs_a_port():
    """group and kind default to "" and Service: without defaulting the rule would error on
    the missing group instead of saying what is wrong."""
    assert findings(HTTPROUTE, route({"backendRefs": [{"name": "web"}]})) == [
        'spec.rules[0].backendRefs[0]: Invalid value: "object": '
        "Must have port for Service reference"
    ]
    other_kind = {"name": "bucket", "group": "storage.example.com", "kind": "Bucket"}
    assert findings(HTTPROUTE, route({"backendRefs": [other_kind]})) == []


def test_httproute_parent_refs_reach_the_escaped_namespace_field():
    """`namespace` is a CEL keyword: rules read it as `__namespace__`."""
    two_namespaces = [{"name": "gw", "namespace": "a"}, {"name": "gw", "namespace": "b"}]
    assert findings(HTTPROUTE, route({}, parents=two_namespaces)) == []
    same_parent = [{"name": "gw", "namespace": "a"}, {"name": "gw", "namespace": "a"}]
    assert findings(HTTPROUTE, route({}, parents=same_parent)) == [
        'spec.parentRefs: Invalid value: "array": sectionName must be unique when parentRefs '
        "includes 2 or more references to the same parent"
    ]


def test_httproute_timeouts_compare_durations():
    ok = {"timeouts": {"request": "1m", "backendRequest": "30s"}}
    assert findings(HTTPROUTE, route(ok)) == []
    longer = {"timeouts": {"request": "10s", "backendRequest": "1m30s"}}
    assert findings(HTTPROUTE, route(longer)) == [
        'spec.rules[0].timeouts: Invalid value: "object": '
        "backendRequest timeout cannot be longer than request timeout"
    ]


def test_tlsroute_hostnames_use_the_ip_library():
    spec = {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [backend()]}]}
    assert findings(TLSROUTE, {**spec, "hostnames": ["db.example.com"]}) == []
    assert findings(TLSROUTE, {**spec, "hostnames": ["10.0.0.1"]}) == [
        'spec.hostnames: Invalid value: "array": Hostnames cannot contain an IP'
    ]


def test_cert_manager_venafi_issuer_takes_exactly_one_backend():
    tpp = {"url": "https://tpp.example.com/vedsdk", "credentialsRef": {"name": "tpp"}}
    cloud = {"apiTokenSecretRef": {"name": "token", "key": "api-key"}}
    assert findings(CLUSTER_ISSUER, {"venafi": {"zone": "z", "tpp": tpp}}) == []
    assert findings(CLUSTER_ISSUER, {"venafi": {"zone": "z", "tpp": tpp, "cloud": cloud}}) == [
        'spec.venafi: Invalid value: "object": '
        "exactly one of tpp, cloud, or ngts must be configured"
    ]


def test_cloudnative_pg_cluster():
    base = {"instances": 3, "storage": {"size": "10Gi"}}
    assert findings(PG_CLUSTER, {**base, "imageName": "ghcr.io/cloudnative-pg/postgresql:17"}) == []
    catalog = {"apiGroup": "postgresql.cnpg.io", "kind": "ClusterImageCatalog", "name": "c"}
    both = {**base, "imageName": "i", "imageCatalogRef": {**catalog, "major": 17}}
    assert findings(PG_CLUSTER, both) == [
        'spec: Invalid value: "object": imageName and imageCatalogRef are mutually exclusive'
    ]
    # A rule on a scalar: self is the number.
    no_sync = {**base, "postgresql": {"synchronous": {"method": "any", "number": 0}}}
    assert findings(PG_CLUSTER, no_sync) == [
        'spec.postgresql.synchronous.number: Invalid value: "integer": '
        "The number of synchronous replicas should be greater than zero"
    ]


def test_transition_rules_are_not_evaluated_at_create_time():
    """`serviceAccountName is immutable` reads oldSelf: it only applies to updates."""
    spec = {"instances": 1, "storage": {"size": "1Gi"}, "serviceAccountName": "sa"}
    transitions = [r for r in results(PG_CLUSTER, spec) if r.outcome == cel.TRANSITION]
    assert [r.path for r in transitions] == ["spec.serviceAccountName"]
    assert not transitions[0].is_finding


def test_cloudnative_pg_database_reserved_names():
    spec = {"cluster": {"name": "app-db"}, "owner": "app"}
    assert findings(PG_DATABASE, {**spec, "name": "app"}) == []
    assert findings(PG_DATABASE, {**spec, "name": "postgres"}) == [
        'spec.name: Invalid value: "string": the name postgres is reserved'
    ]


def test_barman_object_store_forbids_server_name_at_its_field_path():
    configuration = {"destinationPath": "s3://backups/app-db"}
    assert findings(OBJECT_STORE, {"configuration": configuration}) == []
    with_server = {"configuration": {**configuration, "serverName": "app-db"}}
    assert findings(OBJECT_STORE, with_server) == [
        "spec.configuration.serverName: Forbidden: "
        "use the 'serverName' plugin parameter in the Cluster resource"
    ]


def test_values_known_only_after_deploy_are_present_but_unknown():
    """A computed field exists (`has()` is true) but its value is unknown: outcomes that do not
    hang on it are decided, the others are inconclusive, never findings."""
    unknown_path = {"configuration": {"destinationPath": COMPUTED}}
    assert outcomes(OBJECT_STORE, unknown_path) == {cel.PASS}
    # Present though unknown: the exclusivity rule still fails. Dropping the field would pass.
    base = {"instances": 3, "storage": {"size": "10Gi"}}
    catalog = {"apiGroup": "postgresql.cnpg.io", "kind": "ImageCatalog", "name": "c", "major": 17}
    assert findings(PG_CLUSTER, {**base, "imageName": COMPUTED, "imageCatalogRef": catalog}) == [
        'spec: Invalid value: "object": imageName and imageCatalogRef are mutually exclusive'
    ]
    # Listener ports differ, so uniqueness holds whatever the computed hostname turns out to be.
    listeners = [listener("a", 80, hostname=COMPUTED), listener("b", 81)]
    assert findings(GATEWAY, {"gatewayClassName": "c", "listeners": listeners}) == []
    # The path check needs the value itself: inconclusive.
    unknown_value = {"matches": [{"path": {"type": "PathPrefix", "value": COMPUTED}}]}
    path_results = [r for r in results(HTTPROUTE, route(unknown_value)) if ".path" in r.path]
    assert {r.outcome for r in path_results} == {cel.UNKNOWN, cel.PASS}
    assert not any(r.is_finding for r in path_results)


def test_escaping_of_property_names():
    assert cel.escape("namespace") == "__namespace__"
    assert cel.escape("x-y") == "x__dash__y"
    assert cel.escape("a.b/c") == "a__dot__b__slash__c"
    assert cel.escape("__x") == "__underscores__x"
    assert cel.escape("1x") is None
    assert cel.escape("a b") is None
    integer = {"type": "integer"}
    schema = {"type": "object", "properties": {"x-y": integer, "a b": integer}}
    rule = {"rule": "self.x__dash__y == 1 && !has(self.a)"}
    assert cel.evaluate(rule, {"x-y": 1, "a b": 2}, schema, "spec").outcome == cel.PASS


@pytest.mark.parametrize(
    ("rule", "outcome"),
    [
        ("1 == 1.0 && 2 < 2.5 && 3u >= 3", cel.PASS),  # numbers compare across kinds
        ("'a' == 1", cel.FAIL),  # different kinds are unequal, not an error
        ("'a' in [1, 'a']", cel.PASS),
        ("has(self.missing.field)", cel.ERROR),  # has() on a missing object is an error
        ("self.missing == 1 || true", cel.PASS),  # || absorbs the error
        ("'a/b/c'.split('/', 2) == ['a', 'b/c'] && 'abc'.substring(1, 2) == 'b'", cel.PASS),
        ("'ab12'.find('[0-9]+') == '12' && 'ab'.find('[0-9]') == ''", cel.PASS),
        ("isIP('::1') && !isIP('::ffff:1.2.3.4') && !isIP('01.2.3.4')", cel.PASS),
    ],
)
def test_cel_semantics_match_kubernetes(rule, outcome):
    empty_object = {"type": "object", "properties": {}}
    assert cel.evaluate({"rule": rule}, {}, empty_object, "").outcome == outcome
