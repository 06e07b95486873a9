"""Port 80 serves only the HTTPS redirect and the platform's ACME challenges.

Traefik attaches a router that names no entry point to every default entry point, and every
TCP entry point but its internal `traefik` one is a default unless some entry point sets
`asDefault` (traefik/traefik v3.7.9, cmd/traefik/traefik.go `getDefaultsEntrypoints`,
pkg/server/aggregator.go); the Kubernetes Ingress provider names entry points only from the
`router.entrypoints` annotation (pkg/provider/kubernetes/ingress/kubernetes.go). A router's
priority is its rule length, so a host-specific Ingress on `web` outranks the Gateway's
catch-all redirect and answers in plain HTTP. The chart turns `ports.<name>.asDefault` into
`--entryPoints.<name>.asDefault` (traefik/traefik-helm-chart v41.3.0,
traefik/templates/_podtemplate.tpl); `web` listens on 8000, where the Gateway's HTTP listener
binds (Gateway listeners map to entry points by port).

So, on every stack that serves HTTPS: Traefik's only default entry point is `websecure`; every
Gateway listener on the `web` port takes routes from the Gateway's own namespace only; the
platform attaches nothing there but the redirect; and the HTTP-01 solver that attaches there
selects only Certificates the platform puts in that namespace.
"""

from __future__ import annotations

from kube_platform.components.traffic.ingress import HTTP_PORT
from kube_platform.stacks.offline import Run
from tests.traffic_runs import CERTIFICATE, CLUSTER_ISSUER, GATEWAY, editable, release

HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def findings(run: Run) -> list[str]:
    (gateway,) = run.of_type(GATEWAY)
    listeners = gateway.inputs["spec"]["listeners"]
    if not any(item["protocol"] == "HTTPS" for item in listeners):
        return []  # no domain: the Gateway serves plain HTTP by design
    meta = gateway.inputs["metadata"]
    found = []

    ports = release(run, "traefik").inputs["values"].get("ports", {})
    defaults = sorted(name for name, port in ports.items() if (port or {}).get("asDefault"))
    if defaults != ["websecure"]:
        found.append(f"Traefik's default entry points are {defaults or 'all'}, not websecure")
    if (ports.get("web") or {}).get("http", {}).get("middlewares"):
        found.append("the web entry point runs middlewares of its own")

    plain = [item for item in listeners if item["port"] == HTTP_PORT]
    for item in plain:
        if item["protocol"] != "HTTP" or item["allowedRoutes"]["namespaces"] != {"from": "Same"}:
            found.append(f"listener {item['name']} on port 80 admits other namespaces' routes")

    def on_port_80(ref: dict) -> bool:
        return (ref["name"], ref["namespace"]) == (meta["name"], meta["namespace"]) and (
            ref.get("sectionName") in (None, *(item["name"] for item in plain))
        )

    for route in run.of_type(HTTP_ROUTE):
        if not any(on_port_80(ref) for ref in route.inputs["spec"]["parentRefs"]):
            continue
        for rule in route.inputs["spec"]["rules"]:
            redirect = rule.get("filters") == [
                {
                    "type": "RequestRedirect",
                    "requestRedirect": {"scheme": "https", "statusCode": 301},
                }
            ]
            if not redirect or rule.get("backendRefs"):
                found.append(f"{route.name} serves content on port 80")

    for issuer in run.of_type(CLUSTER_ISSUER):
        for solver in issuer.inputs["spec"].get("acme", {}).get("solvers", []):
            refs = solver.get("http01", {}).get("gatewayHTTPRoute", {}).get("parentRefs", [])
            if not any(on_port_80(ref) for ref in refs):
                continue
            wanted = (solver.get("selector") or {}).get("matchLabels")
            if not wanted:
                found.append(f"{issuer.name}: HTTP-01 solves Certificates of any namespace")
                continue
            for cert in run.of_type(CERTIFICATE):
                labels = cert.inputs["metadata"].get("labels") or {}
                selected = all(labels.get(k) == v for k, v in wanted.items())
                if selected and cert.inputs["metadata"]["namespace"] != meta["namespace"]:
                    found.append(f"{issuer.name}: HTTP-01 selects {cert.name} outside ingress")
    return found


def test_port_80_serves_only_the_redirect_and_acme_challenges(every_stack):
    assert findings(every_stack) == []


def test_the_rule_fires_when_ingress_routers_default_to_every_entry_point(stack_run):
    run = stack_run("prod")
    assert findings(run) == []
    mutated = editable(run, "kubernetes:helm.sh/v3:Release")
    del release(mutated, "traefik").inputs["values"]["ports"]  # the values as they were
    assert findings(mutated) == ["Traefik's default entry points are all, not websecure"]


def test_the_rule_fires_when_an_app_route_can_attach_to_port_80(stack_run):
    mutated = editable(stack_run("staging"), GATEWAY)
    (gateway,) = mutated.of_type(GATEWAY)
    gateway.inputs["spec"]["listeners"][0]["allowedRoutes"]["namespaces"] = {"from": "All"}
    assert findings(mutated) == ["listener http on port 80 admits other namespaces' routes"]
