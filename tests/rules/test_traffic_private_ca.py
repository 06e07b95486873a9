"""A private CA exists only where no public CA serves the domain, and signs only its names.

- cert-manager's built-in approver approves every CertificateRequest whose signer its service
  account may `approve`; the chart grants that for `approveSignerNames` (default: every
  Issuer and ClusterIssuer) unless `disableAutoApproval` (cert-manager/cert-manager v1.21.1,
  deploy/charts/cert-manager/values.yaml, templates/rbac.yaml; the webhook checks the verb:
  internal/webhook/admission/certificaterequest/approval/certificaterequest_approval.go).
- approver-policy approves a request only if a CertificateRequestPolicy selects its issuer and
  namespace, the requester may `use` the policy (a SubjectAccessReview in the request's
  namespace), and the policy allows every field; with no such policy the request is left
  unprocessed, never approved (cert-manager/approver-policy v0.27.0,
  pkg/internal/approver/manager/review.go, predicate/predicate.go `RBACBound`). Its chart's
  `app.approveSignerNames` limits what it may approve (deploy/charts/approver-policy).
- A CA certificate's X.509 name constraints bound what clients accept from it, whatever it is
  made to sign; cert-manager sets them from `spec.nameConstraints` (feature gate
  NameConstraints, Beta and on by default in v1.21.1: internal/controller/feature/features.go,
  internal/webhook/feature/features.go; RFC 5280 section 4.2.1.10).

So: no private CA beside a public issuer; where one exists, its root is generated in the
cluster (no key in Pulumi state, nothing exported), lives a year at most, is name-constrained to
the platform domain, and only approver-policy, with a policy for the platform certificate's
namespace and domain, approves its requests.
"""

from __future__ import annotations

from kube_platform.components.traffic.private_ca import PRIVATE_CA, SIGNER
from kube_platform.stacks.offline import Run
from tests.traffic_runs import CERTIFICATE, CLUSTER_ISSUER, editable, platform_certificate, release

POLICY = "kubernetes:policy.cert-manager.io/v1alpha1:CertificateRequestPolicy"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
MAX_ROOT_HOURS = 24 * 366


def findings(run: Run) -> list[str]:
    found = [
        f"{r.name}: key material in Pulumi" for r in run.registrations.values() if "tls:" in r.type
    ]
    if "privateCaCertificate" in run.outputs:
        found.append("the private CA root is exported")
    issuers = {r.inputs["metadata"]["name"]: r for r in run.of_type(CLUSTER_ISSUER)}
    if PRIVATE_CA not in issuers:
        return found
    if "platformDomain" not in run.outputs:
        return [*found, "a private CA without a platform domain to restrict it to"]
    domain = run.outputs["platformDomain"].value
    cert = platform_certificate(run).inputs
    if cert["spec"]["issuerRef"]["name"] != PRIVATE_CA:
        found.append("a private CA beside the public issuer of the platform certificate")
    requester = cert["metadata"]["namespace"]

    ca_secret = issuers[PRIVATE_CA].inputs["spec"]["ca"]["secretName"]
    roots = [c for c in run.of_type(CERTIFICATE) if c.inputs["spec"]["secretName"] == ca_secret]
    if len(roots) != 1:
        return [*found, f"the {PRIVATE_CA} root is not a Certificate cert-manager generates"]
    root = roots[0]
    spec = root.inputs["spec"]
    if spec.get("nameConstraints") != {"critical": True, "permitted": {"dnsDomains": [domain]}}:
        found.append(f"the root is not name-constrained to {domain}: {spec.get('nameConstraints')}")
    if int(spec["duration"].removesuffix("h")) > MAX_ROOT_HOURS:
        found.append(f"the root lives {spec['duration']}")

    approved_by_cert_manager = (
        release(run, "cert-manager").inputs["values"].get("approveSignerNames")
    )
    if not approved_by_cert_manager or any(
        n in (SIGNER, "clusterissuers.cert-manager.io/*") for n in approved_by_cert_manager
    ):
        found.append(f"cert-manager approves {SIGNER} itself: {approved_by_cert_manager}")
    approver = release(run, "cert-manager-approver-policy").inputs["values"]
    if approver.get("app", {}).get("approveSignerNames") != [SIGNER]:
        found.append(f"approver-policy may approve more than {SIGNER}")

    policies = [p.inputs["spec"] for p in run.of_type(POLICY)]
    governing = [
        p
        for p in policies
        if p["selector"].get("issuerRef", {}).get("name") == PRIVATE_CA
        and p["selector"].get("issuerRef", {}).get("kind") == "ClusterIssuer"
    ]
    for p in governing:
        if p["selector"].get("namespace") != {"matchNames": [requester]}:
            found.append(f"a policy approves {PRIVATE_CA} requests outside {requester}")
        allowed = p["allowed"]
        names = allowed.get("dnsNames", {}).get("values", [])
        if not names or any(not (n == domain or n.endswith(f".{domain}")) for n in names):
            found.append(f"a policy allows names outside {domain}: {names}")
        if allowed.get("isCA") or set(allowed) - {"dnsNames", "usages", "isCA"}:
            found.append(f"a policy allows more than server names: {sorted(allowed)}")
    if not governing:
        found.append(f"no policy governs {PRIVATE_CA}")
    bound = [
        b
        for b in run.of_type(ROLE_BINDING)
        if b.inputs["metadata"]["namespace"] == requester
        and {"kind": "ServiceAccount", "name": "cert-manager", "namespace": "cert-manager"}
        in b.inputs["subjects"]
    ]
    roles = {
        r.inputs["metadata"]["name"]: r.inputs["rules"]
        for r in run.of_type(ROLE)
        if r.inputs["metadata"]["namespace"] == requester
    }
    uses = [
        rule
        for b in bound
        for rule in roles.get(b.inputs["roleRef"]["name"], [])
        if rule["verbs"] == ["use"] and rule.get("resourceNames") == [PRIVATE_CA]
    ]
    if not uses:
        found.append(f"cert-manager may not use the {PRIVATE_CA} policy in {requester}")
    return found


def test_a_private_ca_signs_only_the_platform_domain_and_only_where_needed(every_stack):
    assert findings(every_stack) == []


def test_the_rule_fires_on_an_unrestricted_private_ca(stack_run):
    run = stack_run("dev")
    assert findings(run) == []
    mutated = editable(run, "kubernetes:helm.sh/v3:Release", CERTIFICATE)
    del release(mutated, "cert-manager").inputs["values"]["approveSignerNames"]
    (root,) = [c for c in mutated.of_type(CERTIFICATE) if c.name.endswith("-root")]
    del root.inputs["spec"]["nameConstraints"]
    root.inputs["spec"]["duration"] = f"{24 * 365 * 10}h"
    assert len(findings(mutated)) == 3


def test_the_rule_fires_on_a_private_ca_beside_lets_encrypt(stack_run):
    run = stack_run("prod")
    assert findings(run) == []
    mutated = editable(run)
    dev = stack_run("dev")
    for r in dev.of_type(CLUSTER_ISSUER):
        mutated.registrations[r.urn] = r  # the private-ca ClusterIssuer every stack had
    assert "a private CA beside the public issuer of the platform certificate" in findings(mutated)
