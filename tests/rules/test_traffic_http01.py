"""No HTTP-01 challenge is handed to a listener that will not admit it.

cert-manager creates the challenge HTTPRoute of a `gatewayHTTPRoute` solver in the namespace
of the Certificate (its Challenge), with the solver's parentRefs (cert-manager/cert-manager
v1.21.1, pkg/issuer/acme/http/httproute.go: `HTTPRoutes(ch.Namespace).Create`), and picks the
solver per name from the issuer's list by selector (pkg/util/solverpicker/solverpicker.go). A
listener admits a route only from the namespaces its `allowedRoutes` names (Gateway API v1.6.1,
apis/v1/gateway_types.go, `AllowedRoutes`; default `Same`). A challenge route that never
attaches leaves the Certificate pending until the ACME order expires.

Checked for every Certificate the platform emits and for the Certificates teams create in
their own namespaces (directly, or through an Ingress annotated with the issuer): one for a
name under the platform domain and one for a domain of their own.
"""

from __future__ import annotations

from kube_platform.stacks.offline import Run
from tests.traffic_runs import CERTIFICATE, CLUSTER_ISSUER, challenge_findings, editable


def findings(run: Run) -> list[str]:
    found = []
    for cert in run.of_type(CERTIFICATE):
        meta, spec = cert.inputs["metadata"], cert.inputs["spec"]
        found += challenge_findings(
            run,
            meta["namespace"],
            spec.get("dnsNames", []),
            meta.get("labels") or {},
            issuer_name=spec["issuerRef"]["name"],
        )
    domain = run.outputs["platformDomain"].value if "platformDomain" in run.outputs else None
    app_names = [f"api.{domain}"] if domain else []
    for namespace in run.outputs["appNamespaces"].value if "appNamespaces" in run.outputs else []:
        found += challenge_findings(run, namespace, [*app_names, "shop.example.org"], {})
    return found


def test_every_http01_challenge_route_attaches_to_its_listener(every_stack):
    assert findings(every_stack) == []


def test_the_rule_fires_for_an_unrestricted_http01_solver(stack_run):
    run = stack_run("staging")
    assert findings(run) == []
    mutated = editable(run, CLUSTER_ISSUER)
    for issuer in mutated.of_type(CLUSTER_ISSUER):
        for solver in issuer.inputs["spec"].get("acme", {}).get("solvers", []):
            if "http01" in solver:
                del solver["selector"]  # the solver as it was: every name, every namespace
    assert any("shop.example.org in namespace apps" in f for f in findings(mutated))
