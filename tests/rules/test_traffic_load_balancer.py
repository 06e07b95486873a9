"""On EKS the NLB keeps the client's address, prod's cannot be deleted, and rollouts wait for
healthy targets.

From the AWS Load Balancer Controller v3.5.0 docs (kubernetes-sigs/aws-load-balancer-controller,
tag v3.5.0):
- docs/guide/service/nlb.md: "an NLB with IP targets doesn't pass the client source IP
  address, unless you specifically configure it to using target group attributes";
  docs/guide/service/annotations.md#target-group-attributes:
  `aws-load-balancer-target-group-attributes: preserve_client_ip.enabled=true`. (Proxy
  protocol v2 would work too, but with the VPC CNI pods share the VPC's addresses, so trusting
  the VPC range would let any pod forge the client address in a PROXY header.)
- annotations.md#load-balancer-attributes: `aws-load-balancer-attributes:
  deletion_protection.enabled=true` keeps the controller (and anyone) from deleting the NLB;
  "only attributes defined in the annotation will be updated", so off must be said explicitly.
- docs/deploy/pod_readiness_gate.md: the namespace label
  `elbv2.k8s.aws/pod-readiness-gate-inject: enabled` makes a pod ready only once it is a
  healthy target, so a rolling update cannot leave the target group without healthy targets.
"""

from __future__ import annotations

from kube_platform.stacks.offline import Run
from tests.traffic_runs import editable, one, release

AWS_LB = "service.beta.kubernetes.io/aws-load-balancer"
READINESS_GATE = "elbv2.k8s.aws/pod-readiness-gate-inject"


def findings(run: Run) -> list[str]:
    if not run.of_type("aws:eks/cluster:Cluster"):
        return []
    traefik = release(run, "traefik")
    annotations = traefik.inputs["values"]["service"]["annotations"]
    found = []
    if annotations.get(f"{AWS_LB}-type") != "external":
        found.append("the Service is not handed to the load balancer controller")
    attributes = annotations.get(f"{AWS_LB}-target-group-attributes", "").split(",")
    if "preserve_client_ip.enabled=true" not in attributes:
        found.append("the NLB hides the client's address from Traefik")
    ports = traefik.inputs["values"].get("ports", {})
    if any((port or {}).get("proxyProtocol") for port in ports.values()):
        found.append("Traefik expects PROXY headers the NLB does not send")
    protection = annotations.get(f"{AWS_LB}-attributes", "")
    expected = "true" if run.outputs["tier"].value == "prod" else None
    if f"deletion_protection.enabled={expected or ''}" not in protection:
        found.append(f"deletion protection is not stated explicitly: {protection!r}")
    namespace = one(run, "kubernetes:core/v1:Namespace", metadata__name=traefik.inputs["namespace"])
    if (namespace.inputs["metadata"].get("labels") or {}).get(READINESS_GATE) != "enabled":
        found.append("Traefik's pods become ready before they are healthy NLB targets")
    return found


def test_the_nlb_keeps_client_addresses_is_protected_in_prod_and_gates_rollouts(every_stack):
    assert findings(every_stack) == []


def test_the_rule_fires_on_the_load_balancer_as_it_was(stack_run):
    run = stack_run("prod")
    assert findings(run) == []
    mutated = editable(run, "kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Namespace")
    annotations = release(mutated, "traefik").inputs["values"]["service"]["annotations"]
    del annotations[f"{AWS_LB}-target-group-attributes"]
    del annotations[f"{AWS_LB}-attributes"]
    namespace = one(mutated, "kubernetes:core/v1:Namespace", metadata__name="ingress")
    del namespace.inputs["metadata"]["labels"][READINESS_GATE]
    assert len(findings(mutated)) == 3
