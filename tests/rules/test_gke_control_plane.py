"""Creating a GKE cluster on a fresh project must not race Google's own setup.

1. The GKE service agent (`service-<number>@container-engine-robot.iam.gserviceaccount.com`)
   needs Encrypter/Decrypter on the key that encrypts Secrets before the cluster is created
   (GKE docs, "Encrypt secrets at the application layer"). On a new project the agent is
   created lazily after the API is enabled, and IAM refuses a binding to an account that does
   not exist. Service Usage's `services.generateServiceIdentity` creates it on demand
   (`gcloud beta services identity create`; pulumi-gcp `projects.ServiceIdentity`, whose docs
   note that not every service returns the agent's e-mail, so the member is still built from
   the project number). The grant waits for that call.
2. `min_master_version` on a cluster in a release channel is the version it is created at.
   A channel offers versions up to its newest (`releaseChannelLatestVersion` of
   projects.locations.getServerConfig, pulumi-gcp `container.getEngineVersions`); asking for a
   newer minor than that fails the creation. The program asks only for what the channel
   offers, as the recorded answer of that invoke says.
"""

from __future__ import annotations

import copy

import pytest

from kube_platform.stacks import offline

GKE_CLUSTER = "gcp:container/cluster:Cluster"
SERVICE_IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
ENGINE_VERSIONS = "gcp:container/getEngineVersions:getEngineVersions"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def agent_grant_problems(run: offline.Run) -> list[str]:
    identities = {
        r.urn
        for r in run.of_type(SERVICE_IDENTITY)
        if r.inputs.get("service") == "container.googleapis.com"
    }
    return [
        f"{grant.name}: granted before the GKE service agent is created"
        for grant in run.of_type(KEY_GRANT)
        if "@container-engine-robot." in grant.inputs["member"]
        and not identities & set(grant.dependencies)
    ]


def version_problems(run: offline.Run) -> list[str]:
    found = []
    for cluster in run.of_type(GKE_CLUSTER):
        wanted = cluster.inputs.get("minMasterVersion")
        channel = cluster.inputs.get("releaseChannel", {}).get("channel")
        if not wanted or not channel:
            continue
        offered = offline.INVOKES[ENGINE_VERSIONS]({"location": cluster.inputs["location"]})
        latest = offered["releaseChannelLatestVersion"][channel]
        if _minor(wanted) > _minor(latest):
            found.append(
                f"{cluster.name}: asks for {wanted}, but the {channel} channel offers up to "
                f"{latest}"
            )
    return found


def test_the_gke_agent_exists_before_its_key_grant(every_stack):
    assert agent_grant_problems(every_stack) == []


def test_a_gke_cluster_asks_only_for_versions_its_channel_offers(every_stack):
    assert version_problems(every_stack) == []


@pytest.mark.parametrize("stack", ["gke-staging", "gke-prod"])
def test_the_minimum_is_asked_for_above_the_channel_default(stack_run, stack):
    """REGULAR defaults to 1.35 and offers 1.36: 1.36 is asked for. (A channel whose default
    already satisfies the version is asked for nothing: see the unit cases below.)"""
    [cluster] = stack_run(stack).of_type(GKE_CLUSTER)
    assert cluster.inputs.get("minMasterVersion") == "1.36"


# --- the rules can fail --------------------------------------------------------------------


def _replace(run: offline.Run, registration: offline.Registration) -> offline.Run:
    return offline.Run(
        run.stack, run.preview, {**run.registrations, registration.urn: registration}, {}, []
    )


def test_a_grant_racing_the_agent_is_refused(stack_run):
    run = stack_run("gke-prod")
    [grant] = [
        g for g in run.of_type(KEY_GRANT) if "@container-engine-robot." in g.inputs["member"]
    ]
    changed = copy.deepcopy(grant)
    changed.dependencies = []
    assert agent_grant_problems(_replace(run, changed)) == [
        f"{grant.name}: granted before the GKE service agent is created"
    ]


def test_a_version_the_channel_does_not_offer_is_refused(stack_run):
    run = stack_run("gke-prod")
    [cluster] = run.of_type(GKE_CLUSTER)
    changed = copy.deepcopy(cluster)
    changed.inputs["minMasterVersion"] = "1.37"
    assert version_problems(_replace(run, changed)) == [
        f"{cluster.name}: asks for 1.37, but the REGULAR channel offers up to 1.36.4-gke.1082000"
    ]


def test_a_channel_that_does_not_offer_the_version_is_a_clear_error():
    """Starting at the channel's older default would leave GKE's Gateway API CRDs below what
    the platform needs; the program says so instead."""
    from kube_platform.components.cluster.gke_control_plane import minimum_version
    from kube_platform.components.errors import ConfigurationError

    with pytest.raises(
        ConfigurationError,
        match=r"STABLE release channel offers Kubernetes up to .* set "
        r"platform:cluster\.gke\.releaseChannel",
    ):
        minimum_version("1.36", "STABLE", "1.34.7-gke.1", "1.35.4-gke.1")
    assert minimum_version("1.36", "RAPID", "1.36.1-gke.1", "1.37.0-gke.1") is None
    assert minimum_version("1.36", "STABLE", "1.35.6-gke.1", "1.36.3-gke.1") == "1.36"
