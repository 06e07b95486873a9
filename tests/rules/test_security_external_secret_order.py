"""Every ExternalSecret (and ClusterExternalSecret) the platform creates waits for the secret
store it reads, when that store is created in the same program.

- External Secrets Operator: an ExternalSecret whose store does not exist yet fails its sync
  and is retried with back-off, so the target Secret appears late.
- The Tailscale operator's Deployment mounts its OAuth client from the Secret
  `operator-oauth` (tailscale v1.102.3, cmd/k8s-operator/deploy/chart/templates/
  deployment.yaml, volume `oauth`); the platform installs that chart atomically with a timeout,
  so a late Secret can roll the release back. The ExternalSecret that produces `operator-oauth`
  must not race its ClusterSecretStore.
"""

from __future__ import annotations

import copy

from kube_platform.stacks import offline

STORE_KINDS = {"ClusterSecretStore", "SecretStore"}
READER_KINDS = {"ExternalSecret", "ClusterExternalSecret"}


def _kind(r: offline.Registration) -> str:
    return r.type.rsplit(":", 1)[-1] if r.type.startswith("kubernetes:external-secrets") else ""


def _store_ref(reader: offline.Registration) -> tuple[str, str]:
    spec = reader.inputs["spec"]
    ref = (spec.get("externalSecretSpec") or spec)["secretStoreRef"]
    return ref.get("kind", "SecretStore"), ref["name"]


def unordered_readers(run: offline.Run) -> list[str]:
    stores = {
        (_kind(r), r.inputs["metadata"]["name"]): r.urn
        for r in run.registrations.values()
        if _kind(r) in STORE_KINDS
    }
    found = []
    for reader in run.registrations.values():
        if _kind(reader) not in READER_KINDS:
            continue
        store = stores.get(_store_ref(reader))
        if store is not None and store not in reader.dependencies:
            found.append(f"{reader.name} does not wait for {'/'.join(_store_ref(reader))}")
    return found


def test_external_secrets_wait_for_their_store(every_stack):
    assert unordered_readers(every_stack) == []


def test_the_tailscale_oauth_secret_is_covered(stack_run):
    run = stack_run("prod")
    readers = [r for r in run.registrations.values() if _kind(r) == "ExternalSecret"]
    assert any(r.inputs["spec"]["target"]["name"] == "operator-oauth" for r in readers)
    assert unordered_readers(run) == []


def test_a_reader_that_races_its_store_is_refused(stack_run):
    run = stack_run("prod")
    [reader] = [
        r
        for r in run.registrations.values()
        if _kind(r) == "ExternalSecret" and r.inputs["spec"]["target"]["name"] == "operator-oauth"
    ]
    changed = copy.deepcopy(reader)
    changed.dependencies = [d for d in changed.dependencies if "ClusterSecretStore" not in d]
    mutated = offline.Run(
        run.stack, run.preview, {**run.registrations, changed.urn: changed}, run.outputs, []
    )
    kind, name = _store_ref(reader)
    assert unordered_readers(mutated) == [f"{reader.name} does not wait for {kind}/{name}"]
