"""Rules of Argo CD's declarative setup and of its server behind a TLS-terminating proxy,
checked on every stack that runs Argo CD. Each rule also fires on a violating input below."""

from __future__ import annotations

from kube_platform.stacks.offline import Registration, Run
from tests.traffic_runs import listener_for, mutated

SECRET = "kubernetes:core/v1:Secret"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def _argocd(run: Run):
    found = [r for r in run.of_type(RELEASE) if r.inputs["chart"] == "argo-cd"]
    return found[0] if found else None


def declarative_secrets_are_labelled(run: Run) -> list[str]:
    release = _argocd(run)
    if release is None:
        return []
    namespace = release.inputs["namespace"]
    secrets = [r for r in run.of_type(SECRET) if r.inputs["metadata"]["namespace"] == namespace]
    findings = []
    clusters = []
    for secret in secrets:
        labels = secret.inputs["metadata"].get("labels") or {}
        kind = labels.get("argocd.argoproj.io/secret-type")
        data = secret.inputs.get("stringData", {})
        if kind == "repository" and not data.get("url"):
            findings.append(f"{secret.name}: a repository Secret without url")
        if kind == "cluster":
            clusters.append(secret)
            if data.get("server") != "https://kubernetes.default.svc":
                findings.append(f"{secret.name}: the in-cluster Secret points elsewhere")
        if kind is None and {"url", "sshPrivateKey", "password"} & set(data):
            findings.append(f"{secret.name}: repository credentials without the label")
    if len(clusters) != 1:
        findings.append(f"{len(clusters)} in-cluster cluster Secrets")
    return findings


def test_declarative_secrets_carry_argocd_labels(every_stack):
    """Argo CD reads repositories and clusters from Secrets in its namespace labelled
    `argocd.argoproj.io/secret-type: repository` (with `url`) or `cluster` (with `server`;
    `https://kubernetes.default.svc` is the in-cluster entry) (argoproj/argo-cd
    docs/operator-manual/declarative-setup.md and argocd-repositories.yaml, release-3.x)."""
    assert declarative_secrets_are_labelled(every_stack) == []


def server_speaks_http_behind_the_gateway(run: Run) -> list[str]:
    release = _argocd(run)
    if release is None:
        return []
    routes = [
        r
        for r in run.of_type(ROUTE)
        if r.inputs["metadata"]["namespace"] == release.inputs["namespace"]
    ]
    params = release.inputs["values"].get("configs", {}).get("params", {})
    findings = []
    for route in routes:
        ports = {b["port"] for rule in route.inputs["spec"]["rules"] for b in rule["backendRefs"]}
        if ports != {80} or params.get("server.insecure") is not True:
            findings.append(
                f"{route.name}: TLS ends at the Gateway, so the server must run insecure"
            )
        protocols = {item["protocol"] for p in _parents(route) for item in listener_for(run, p)}
        if protocols != {"HTTPS"}:
            findings.append(f"{route.name}: attached to a listener other than an HTTPS one")
    return findings


def _parents(route: Registration) -> list[dict]:
    return route.inputs["spec"]["parentRefs"]


def test_argocd_server_speaks_http_behind_the_gateway(every_stack):
    """argocd-server's port 80 redirects to HTTPS unless it runs with TLS disabled
    (`server.insecure: "true"` in argocd-cmd-params-cm) when a proxy terminates TLS
    (argoproj/argo-cd docs/operator-manual/ingress.md); the route attaches to the Gateway's
    HTTPS listener only, so the UI is never served in clear."""
    assert server_speaks_http_behind_the_gateway(every_stack) == []


def admin_password_not_in_values(run: Run) -> list[str]:
    release = _argocd(run)
    if release is None:
        return []
    secret = release.inputs["values"].get("configs", {}).get("secret", {})
    if secret.get("argocdServerAdminPassword"):
        return [f"{release.name}: the admin password hash is in Helm values"]
    return []


def test_argocd_admin_password_is_never_in_helm_values(every_stack):
    """With `configs.secret.argocdServerAdminPassword` empty (argo-helm charts/argo-cd
    values.yaml, chart 10.1.1) Argo CD generates a random admin password into the Secret
    `argocd-initial-admin-secret` (Argo CD getting started guide); setting it would put the
    bcrypt hash in the release's values and Pulumi state."""
    assert admin_password_not_in_values(every_stack) == []


def _fullname(release: Registration) -> str:
    """`argo-cd.fullname` (argo-helm charts/argo-cd templates/_common.tpl, tag argo-cd-10.1.1):
    `fullnameOverride`, else the release name when it contains the name (`nameOverride`,
    `argocd` in the chart's values.yaml), else `<release>-<name>`."""
    values = release.inputs["values"]
    if values.get("fullnameOverride"):
        return values["fullnameOverride"][:63].rstrip("-")
    name, release_name = values.get("nameOverride", "argocd"), release.inputs["name"]
    return release_name if name in release_name else f"{release_name}-{name}"[:63].rstrip("-")


def services_are_the_ones_the_chart_renders(run: Run) -> list[str]:
    release = _argocd(run)
    if release is None:
        return []
    values = release.inputs["values"]
    fullname = _fullname(release)
    server = f"{fullname}-{values.get('server', {}).get('name', 'server')}"
    findings = [
        f"{route.name}: backend {backend['name']!r}, but the chart's Service is {server!r}"
        for route in run.of_type(ROUTE)
        if route.inputs["metadata"]["namespace"] == release.inputs["namespace"]
        for rule in route.inputs["spec"]["rules"]
        for backend in rule["backendRefs"]
        if backend["name"] != server
    ]
    dashboards = [
        r.inputs["values"].get("grafana", {}).get("dashboards", {})
        for r in run.of_type(RELEASE)
        if r.inputs["chart"].endswith("kube-prometheus-stack")
    ]
    if any("argocd" in found.get("platform", {}) for found in dashboards) and fullname != "argocd":
        findings.append(
            f"the Argo CD dashboard selects jobs argocd-<component>-metrics; the chart names "
            f"the metrics Services {fullname}-<component>-metrics"
        )
    return findings


def test_argocd_routes_and_dashboard_name_the_services_the_chart_renders(every_stack):
    """The argo-cd chart names each object after `argo-cd.fullname` and the component
    (`argo-cd.server.fullname` = `<fullname>-server`, its metrics Service `<...>-metrics`:
    argo-helm charts/argo-cd templates/_helpers.tpl and argocd-server/metrics.yaml, tag
    argo-cd-10.1.1). A Prometheus Operator ServiceMonitor target's `job` is its Service's name,
    and Argo CD's dashboard (argoproj/argo-cd examples/dashboard.json, v3.4.4) selects
    `job="argocd-server-metrics"`, `argocd-application-controller-metrics`, ... So the UI's
    route must name the Service the chart renders, and the dashboard needs the `argocd`
    prefix. Before the platform fixed `fullnameOverride`, the release `argo-cd` rendered
    `argo-cd-argocd-server` while the route pointed at `argocd-server`."""
    assert services_are_the_ones_the_chart_renders(every_stack) == []


def test_the_argocd_rules_fire(stack_run):
    run = stack_run("argocd")

    def unlabel(r):
        if r.inputs["metadata"]["name"] == "in-cluster":
            r.inputs["metadata"]["labels"] = {}

    def secure(r):
        if r.inputs["chart"] == "argo-cd":
            r.inputs["values"]["configs"]["params"] = {}

    def password(r):
        if r.inputs["chart"] == "argo-cd":
            r.inputs["values"]["configs"]["secret"] = {"argocdServerAdminPassword": "$2a$10$x"}

    assert declarative_secrets_are_labelled(mutated(run, SECRET, unlabel))
    assert server_speaks_http_behind_the_gateway(mutated(run, RELEASE, secure))
    assert admin_password_not_in_values(mutated(run, RELEASE, password))

    def default_names(r):
        if r.inputs["chart"] == "argo-cd":
            del r.inputs["values"]["fullnameOverride"]

    assert services_are_the_ones_the_chart_renders(mutated(run, RELEASE, default_names)) == [
        "argocd-route: backend 'argocd-server', but the chart's Service is 'argo-cd-argocd-server'",
        "the Argo CD dashboard selects jobs argocd-<component>-metrics; the chart names the "
        "metrics Services argo-cd-argocd-<component>-metrics",
    ]
