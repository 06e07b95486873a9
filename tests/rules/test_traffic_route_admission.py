"""Only namespaces the platform marks attach HTTPS routes, each only for its own hostnames.

A listener admits routes from the namespaces its `allowedRoutes.namespaces` names (`All`,
`Same`, or a label `Selector`), and a route attaches to a listener with a `hostname` only for
the route hostnames that match it (Gateway API v1.6.1, apis/v1/gateway_types.go `Listener`,
`AllowedRoutes`; apis/v1/httproute_types.go `Hostnames`). Traefik v3.7 implements both and
orders routers by rule length only (traefik/traefik v3.7.9,
pkg/provider/kubernetes/gateway/httproute.go `findMatchingHostnames`, `buildHostRule`), with no
precedence for a more specific listener, so two namespaces whose listeners overlap race for a
name. ListenerSet (standard in Gateway API v1.5) would let each namespace bring its own
listeners, but Traefik v3.7 does not read it (no ListenerSet informer in
pkg/provider/kubernetes/gateway/client.go), so the platform lists the listeners itself.
external-dns publishes the hostnames of accepted routes (its `gateway-httproute` source).

So: every HTTPS listener names a hostname inside the platform domain that the platform
certificate covers, admits routes from one namespace only (by its name label, which the API
server sets and nobody can change) and only while that namespace carries the platform's mark,
and no two namespaces' listener hostnames overlap.
"""

from __future__ import annotations

import copy

from kube_platform.components.traffic.gateway_api import ROUTES_ALLOWED, ROUTES_LABEL
from kube_platform.stacks.offline import Run
from tests.traffic_runs import GATEWAY, editable, namespace_labels, platform_certificate

NAME_LABEL = "kubernetes.io/metadata.name"


def findings(run: Run) -> list[str]:
    (gateway,) = run.of_type(GATEWAY)
    https = [item for item in gateway.inputs["spec"]["listeners"] if item["protocol"] == "HTTPS"]
    if not https:
        return []
    domain = run.outputs["platformDomain"].value
    certified = platform_certificate(run).inputs["spec"]["dnsNames"]
    marked = namespace_labels(run)
    found, owners = [], []
    for item in https:
        name, hostname = item["name"], item.get("hostname")
        allowed = item["allowedRoutes"]["namespaces"]
        labels = allowed.get("selector", {}).get("matchLabels", {})
        namespace = labels.get(NAME_LABEL)
        if allowed.get("from") != "Selector" or set(allowed["selector"]) != {"matchLabels"}:
            found.append(f"listener {name} admits routes from {allowed}")
            continue
        if namespace is None or labels.get(ROUTES_LABEL) != ROUTES_ALLOWED:
            found.append(f"listener {name} does not require one marked namespace: {labels}")
            continue
        if (marked.get(namespace) or {}).get(ROUTES_LABEL) != ROUTES_ALLOWED:
            found.append(f"listener {name} admits {namespace}, which the platform does not mark")
        if hostname is None or not _within(hostname, domain):
            found.append(f"listener {name} serves {hostname or 'any name'} outside {domain}")
            continue
        if not any(_certifies(n, hostname) for n in certified):
            found.append(f"listener {name}: the platform certificate does not cover {hostname}")
        owners.append((namespace, hostname))
    for i, (namespace, hostname) in enumerate(owners):
        for other, taken in owners[:i]:
            if other != namespace and _overlap(hostname, taken):
                found.append(f"{hostname} of {namespace} overlaps {taken} of {other}")
    return found


def _within(hostname: str, domain: str) -> bool:
    name = hostname.removeprefix("*.")
    return name == domain or name.endswith(f".{domain}")


def _certifies(san: str, hostname: str) -> bool:
    """A certificate name covers a listener hostname (a SAN wildcard covers one label)."""
    if san == hostname:
        return True
    return san.startswith("*.") and hostname.split(".", 1)[-1] == san[2:] and "*" not in hostname


def _overlap(a: str, b: str) -> bool:
    def covers(wildcard: str, name: str) -> bool:
        return wildcard.startswith("*.") and name.endswith(wildcard[1:])

    return a == b or covers(a, b) or covers(b, a)


def test_only_marked_namespaces_attach_and_only_for_their_own_hostnames(every_stack):
    assert findings(every_stack) == []


def test_the_rule_fires_on_a_listener_open_to_every_namespace(stack_run):
    run = stack_run("prod")
    assert findings(run) == []
    mutated = editable(run, GATEWAY)
    (gateway,) = mutated.of_type(GATEWAY)
    https = gateway.inputs["spec"]["listeners"][1]
    # The listener as it was: no hostname, every namespace.
    del https["hostname"]
    https["allowedRoutes"]["namespaces"] = {"from": "All"}
    assert findings(mutated) == [f"listener {https['name']} admits routes from {{'from': 'All'}}"]


def test_the_rule_fires_on_overlapping_hostnames_of_two_namespaces(run_config):
    from tests.test_config_errors import base

    run = run_config(
        base(
            ingress={"domain": "apps.example.com"},
            access={"namespaces": [{"name": "a", "hostnames": ["a.apps.example.com"]}]},
        )
    )
    assert findings(run) == []
    mutated = editable(run, GATEWAY)
    (gateway,) = mutated.of_type(GATEWAY)
    stolen = copy.deepcopy(gateway.inputs["spec"]["listeners"][1])
    stolen["name"] = "wildcard.apps.example.com"
    stolen["hostname"] = "*.apps.example.com"
    stolen["allowedRoutes"]["namespaces"]["selector"]["matchLabels"][NAME_LABEL] = "b"
    gateway.inputs["spec"]["listeners"].append(stolen)
    assert "*.apps.example.com of b overlaps a.apps.example.com of a" in findings(mutated)
