"""GitOps: what users rely on. The Flux operator and Flux are pinned exactly; each stack syncs its
own path with the right credentials; SOPS decrypts through the decrypt identity and nothing
else can decrypt; the platform facts are complete on every stack; notifications reach their
provider; Argo CD is HA in prod, reachable only through the Gateway over HTTPS, and its admin
password is never in state."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from kube_platform.components import versions
from kube_platform.components.gitops import ArgoCdArgs, RepositoryCredentials, SecretSource
from kube_platform.components.gitops.argocd import argocd_values
from kube_platform.components.gitops.facts import (
    CONFIG_MAP,
    DATABASE_FACTS,
    FACTS,
    KEY_PREFIX,
    LABEL_FACTS,
    database_fact,
)
from kube_platform.components.gitops.flux import (
    IMAGE_AUTOMATION_COMPONENTS,
    FluxSource,
    source_ref_patch,
    sync_spec,
)
from kube_platform.components.traffic.gateway_api import route_namespace_labels
from kube_platform.stacks import offline, plan_footprint
from kube_platform.stacks.config import StackConfig
from tests import conformance
from tests.conftest import ROOT, stack_config
from tests.traffic_runs import listener_for

INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance"
RELEASE = "kubernetes:helm.sh/v3:Release"
REPO = "https://github.com/example-org/platform-fleet.git"
OCI = "oci://ghcr.io/example-org/platform-fleet"
SSH_REPO = "ssh://git@github.com/example-org/platform-fleet.git"
GITHUB_HOST_KEY = (
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)


def instance(run):
    [found] = run.of_type(INSTANCE)
    return found


def release(run, chart: str):
    return next(r for r in run.of_type(RELEASE) if r.inputs["chart"].endswith(chart))


def patches(run) -> list[dict]:
    return [
        {"target": p["target"], "patch": yaml.safe_load(p["patch"])}
        for p in instance(run).inputs["spec"]["kustomize"]["patches"]
    ]


def patch_of(run, kind: str, name: str | None = None):
    found = [
        p["patch"]
        for p in patches(run)
        if p["target"]["kind"] == kind and p["target"].get("name") == name
    ]
    return found[0] if found else None


def facts_of(run) -> dict[str, str]:
    [config_map] = [
        r
        for r in run.of_type("kubernetes:core/v1:ConfigMap")
        if r.inputs["metadata"]["name"] == CONFIG_MAP
    ]
    return config_map.inputs["data"]


def argocd_routes(run) -> list:
    return [
        r
        for r in run.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
        if r.inputs["metadata"]["namespace"] == "argocd"
    ]


# --- pins, components and sizing -------------------------------------------------------------


def test_the_operator_chart_and_flux_are_pinned_exactly(stack_run):
    run = stack_run("prod")
    chart = release(run, "flux-operator")
    assert chart.inputs["chart"] == "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator"
    assert chart.inputs["version"] == versions.FLUX_OPERATOR.version == "0.58.1"
    distribution = instance(run).inputs["spec"]["distribution"]
    assert distribution == {"version": "2.9.4", "registry": "ghcr.io/fluxcd"}
    assert instance(run).inputs["metadata"]["name"] == "flux"


@pytest.mark.parametrize(
    ("stack", "cluster_type", "size", "image_automation"),
    [
        ("dev", "kubernetes", "small", False),
        ("staging", "aws", "medium", True),
        ("prod", "aws", "large", True),
        ("gke-prod", "gcp", "large", False),
    ],
)
def test_instance_follows_the_cloud_the_tier_and_the_need(
    stack_run, stack, cluster_type, size, image_automation
):
    spec = instance(stack_run(stack)).inputs["spec"]
    assert spec["cluster"] == {
        "type": cluster_type,
        "size": size,
        "multitenant": False,
        "networkPolicy": True,
    }
    assert (set(IMAGE_AUTOMATION_COMPONENTS) <= set(spec["components"])) is image_automation
    assert {"source-controller", "kustomize-controller", "notification-controller"} <= set(
        spec["components"]
    )


@pytest.fixture(scope="module")
def dev_variant():
    """The dev fixture with the multi-tenant lockdown and a token from secret config."""
    config = stack_config("dev")
    config["platform:gitops"]["flux"] = {"multitenant": True}
    config["platform:gitops"]["repository"]["credentials"] = {
        "kind": "token",
        "username": "flux",
        "token": {"secure": "v1:token"},
    }
    return offline.run("dev", config=config, project_dir=ROOT)


def test_multitenant_lockdown_is_available(dev_variant):
    assert instance(dev_variant).inputs["spec"]["cluster"]["multitenant"] is True
    values = release(dev_variant, "flux-operator").inputs["values"]
    assert values["multitenancy"] == {"enabled": True}


# --- the sync ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        (
            "prod",
            {
                "kind": "GitRepository",
                "url": "ssh://git@github.com/example-org/platform-fleet.git",
                "ref": "refs/heads/main",
                "path": "clusters/prod",
                "interval": "1m",
                "pullSecret": "flux-system",
            },
        ),
        (
            "gke-prod",
            {
                "kind": "GitRepository",
                "url": "https://github.com/example-org/platform-fleet.git",
                "ref": "refs/heads/main",
                "path": "clusters/gke-prod",
                "interval": "1m",
                "pullSecret": "flux-system",
                "provider": "github",
            },
        ),
        (
            "gke-staging",
            {
                "kind": "OCIRepository",
                "url": "oci://europe-west1-docker.pkg.dev/acme-platform/fleet/manifests",
                "ref": "staging",
                "path": "clusters/gke-staging",
                "interval": "1m",
                "provider": "gcp",
            },
        ),
    ],
)
def test_each_stack_syncs_its_own_path(stack_run, stack, expected):
    assert instance(stack_run(stack)).inputs["spec"]["sync"] == expected


def test_the_root_kustomization_substitutes_the_facts_and_decrypts_sops(stack_run):
    cloud = patch_of(stack_run("prod"), "Kustomization")
    assert cloud == [
        {
            "op": "add",
            "path": "/spec/postBuild",
            "value": {"substituteFrom": [{"kind": "ConfigMap", "name": CONFIG_MAP}]},
        },
        {"op": "add", "path": "/spec/decryption", "value": {"provider": "sops"}},
    ]
    age = patch_of(stack_run("dev"), "Kustomization")
    assert age[1]["value"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}


def test_controller_requests_patch_the_manager_container(stack_run):
    # Every Flux controller Deployment has one container, the manager (fluxcd/flux2 manifests).
    requests = patch_of(stack_run("dev"), "Deployment", "source-controller")[0]
    assert requests["path"] == "/spec/template/spec/containers/0/resources/requests"


def test_the_instance_waits_for_what_its_first_sync_needs(stack_run):
    run = stack_run("prod")
    flux = instance(run)
    needed = {
        "kubernetes:core/v1:ConfigMap",  # platform-facts
        "kubernetes:external-secrets.io/v1:ExternalSecret",  # the deploy key
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",  # the decrypt identity
        "aws:kms/key:Key",
    }
    assert needed <= {r.type for r in run.registrations.values() if r.urn in flux.dependencies}
    assert release(run, "flux-operator").urn in flux.dependencies
    assert flux.inputs["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.inventory.entries}"
    }


@pytest.mark.parametrize(
    ("url", "kind", "ref", "sync_ref", "patch"),
    [
        (REPO, "branch", "main", "refs/heads/main", None),
        (REPO, "tag", "v1.4.0", "refs/tags/v1.4.0", None),
        (REPO, "semver", ">=1.0.0", "HEAD", {"semver": ">=1.0.0"}),
        (REPO, "commit", "0" * 40, "HEAD", {"commit": "0" * 40}),
        (OCI, "tag", "v1.4.0", "v1.4.0", None),
        (OCI, "digest", "sha256:" + "a" * 64, "latest", {"digest": "sha256:" + "a" * 64}),
    ],
)
def test_refs_a_sync_cannot_name_are_patched_into_the_source(url, kind, ref, sync_ref, patch):
    source = FluxSource(url=url, ref_kind=kind, ref=ref, path="clusters/dev")
    assert sync_spec(source)["ref"] == sync_ref
    found = source_ref_patch(source)
    if patch is None:
        assert found is None
    else:
        operations = yaml.safe_load(found["patch"])
        assert operations == [{"op": "replace", "path": "/spec/ref", "value": patch}]
        assert found["target"] == {"kind": sync_spec(source)["kind"]}


# --- credentials ----------------------------------------------------------------------------


def test_credentials_from_secret_config_stay_secret(dev_variant):
    [secret] = [
        r
        for r in dev_variant.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == "flux-system"
    ]
    assert secret.inputs["stringData"]["password"] == "[secret]"
    assert secret.inputs["stringData"]["username"] == "flux"
    assert "stringData" in secret.secret_inputs
    registrations = dev_variant.registrations.values()
    assert [f for r in registrations for f in conformance.plaintext_secret_findings(r)] == []


def test_a_deploy_key_from_the_secret_manager_becomes_the_pull_secret(stack_run):
    run = stack_run("prod")
    [key] = [
        r
        for r in run.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["metadata"]["name"] == "flux-system"
    ]
    spec = key.inputs["spec"]
    assert spec["data"] == [
        {"secretKey": "value", "remoteRef": {"key": "platform/prod/fleet-deploy-key"}}
    ]
    assert spec["target"]["template"]["data"] == {
        "known_hosts": GITHUB_HOST_KEY + "\n",
        "identity": "{{ .value }}",
    }
    # The store admits the Flux namespace, and only because Flux reads from it.
    [store] = run.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert "flux-system" in store.inputs["spec"]["conditions"][0]["namespaces"]


def test_an_oci_source_in_the_cloud_registry_uses_workload_identity_only(stack_run):
    run = stack_run("gke-staging")
    secrets = [
        r.inputs["metadata"]["name"]
        for r in run.registrations.values()
        if r.type
        in ("kubernetes:core/v1:Secret", "kubernetes:external-secrets.io/v1:ExternalSecret")
        and r.inputs["metadata"].get("namespace") == "flux-system"
    ]
    assert secrets == []
    [binding] = [
        r
        for r in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if "flux-system/source-controller" in r.inputs["member"]
    ]
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    grants = [
        r.inputs["role"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if "flux-source" in r.name
    ]
    assert grants == ["roles/artifactregistry.reader"]
    annotations = patch_of(run, "ServiceAccount", "source-controller")["metadata"]["annotations"]
    assert set(annotations) == {"iam.gke.io/gcp-service-account"}


# --- SOPS: the decrypt identity, and nothing else, decrypts ------------------------------------


def test_on_eks_only_kustomize_controller_can_decrypt(stack_run):
    run = stack_run("prod")
    [key] = [r for r in run.of_type("aws:kms/key:Key") if r.name.endswith("-sops")]
    statements = json.loads(key.inputs["policy"])["Statement"]
    decrypters = [
        s["Principal"]["AWS"]
        for s in statements
        if s["Effect"] == "Allow" and "kms:Decrypt" in s["Action"]
    ]
    [role] = [r for r in run.of_type("aws:iam/role:Role") if r.outputs["arn"] == decrypters[0]]
    assert len(decrypters) == 1
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert (
        trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-namespace"] == "flux-system"
    )
    condition = trust["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/kubernetes-service-account"] == "kustomize-controller"
    [association] = [
        r
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["roleArn"] == decrypters[0]
    ]
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "flux-system",
        "kustomize-controller",
    )
    # No IAM policy grants decryption with this key (or any key) behind its policy's back.
    grants = [
        statement
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(r.inputs["policy"])["Statement"]
        if "kms:Decrypt" in statement["Action"]
    ]
    assert grants and not [g for g in grants if g["Resource"] in (key.outputs["arn"], "*")]
    # Pod Identity needs no annotation; the instance patches no service account for SOPS.
    assert patch_of(run, "ServiceAccount", "kustomize-controller") is None


def test_on_gke_only_kustomize_controller_can_decrypt(stack_run):
    run = stack_run("gke-prod")
    [decrypter] = [
        r
        for r in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if r.inputs["role"] == "roles/cloudkms.cryptoKeyDecrypter"
    ]
    email = decrypter.inputs["member"].removeprefix("serviceAccount:")
    [account] = [
        r for r in run.of_type("gcp:serviceaccount/account:Account") if r.outputs["email"] == email
    ]
    users = [
        r.inputs["member"]
        for r in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if r.inputs["serviceAccountId"] == account.outputs["name"]
    ]
    project = stack_config("gke-prod")["platform:cluster"]["gke"]["project"]
    assert users == [f"serviceAccount:{project}.svc.id.goog[flux-system/kustomize-controller]"]
    annotated = {
        p["target"]["name"]: p["patch"]["metadata"]["annotations"]
        for p in patches(run)
        if p["target"]["kind"] == "ServiceAccount"
    }
    assert annotated == {"kustomize-controller": {"iam.gke.io/gcp-service-account": email}}


def test_an_existing_cluster_decrypts_with_the_age_key_from_secret_config(stack_run):
    run = stack_run("dev")
    [secret] = [
        r
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == "sops-age"
    ]
    assert secret.inputs["stringData"] == {"age.agekey": "[secret]"}
    assert "stringData" in secret.secret_inputs
    rules = yaml.safe_load(run.outputs["sopsConfig"].value)["creation_rules"]
    assert rules[0]["age"].startswith("age1") and rules[0]["encrypted_regex"]


# --- notifications --------------------------------------------------------------------------


def test_failed_reconciliations_are_posted_to_the_provider(stack_run):
    run = stack_run("prod")
    [provider] = run.of_type("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider")
    [alert] = run.of_type("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert")
    assert provider.inputs["spec"] == {
        "type": "slack",
        "secretRef": {"name": "platform-notifications"},
        "channel": "platform-alerts",
    }
    spec = alert.inputs["spec"]
    assert spec["eventSeverity"] == "error"
    assert spec["providerRef"] == {"name": provider.inputs["metadata"]["name"]}
    watched = {(s["kind"], s["namespace"]) for s in spec["eventSources"] if s["name"] == "*"}
    assert {("Kustomization", "flux-system"), ("HelmRelease", "flux-system")} <= watched
    assert {("Kustomization", "apps"), ("HelmRelease", "apps")} <= watched
    assert instance(run).urn in alert.dependencies and provider.urn in alert.dependencies


def test_commit_statuses_go_to_the_fleet_repository(stack_run):
    [provider] = stack_run("gke-prod").of_type(
        "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider"
    )
    assert provider.inputs["spec"]["type"] == "github"
    assert provider.inputs["spec"]["address"] == "https://github.com/example-org/platform-fleet"


# --- facts ----------------------------------------------------------------------------------


def test_facts_are_complete_on_every_stack(every_stack):
    """Every documented fact is published, non-empty, wherever the stack has its concern."""
    outputs = {k: o.value for k, o in every_stack.outputs.items()}
    if "gitops" not in outputs:
        return
    issuers = {
        r.inputs["metadata"]["name"]
        for r in every_stack.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    }
    concerns = {"always"}
    concerns |= {"cloud"} if outputs["cloud"] != "existing" else set()
    concerns |= {"issuer"} if outputs.get("certificateIssuer") in issuers else set()
    concerns |= {"domain"} if outputs.get("platformDomain") else set()
    concerns |= {"dns"} if outputs.get("dnsZone") else set()
    concerns |= {"secret-store"} if outputs.get("secretStore") else set()
    expected = {f.name for f in FACTS if f.concern in concerns}
    for name in outputs.get("databases") or {}:
        expected |= {database_fact(name, field) for field in ("secret", "namespace", "host")}
    if outputs["gitops"]["engine"] == "flux":
        published = facts_of(every_stack)
    else:
        [cluster] = [
            r
            for r in every_stack.of_type("kubernetes:core/v1:Secret")
            if r.inputs["metadata"]["name"] == "in-cluster"
        ]
        annotations = cluster.inputs["metadata"]["annotations"]
        published = {k.removeprefix(KEY_PREFIX): v for k, v in annotations.items()}
        labels = cluster.inputs["metadata"]["labels"]
        assert {f"{KEY_PREFIX}{k}": published[k] for k in LABEL_FACTS if k in expected} == {
            k: v for k, v in labels.items() if k.startswith(KEY_PREFIX)
        }
    assert sorted(expected - {k for k, v in published.items() if v}) == []
    if "cluster_issuer" in published:
        assert published["cluster_issuer"] in issuers


def test_facts_carry_the_stack_s_values(stack_run):
    facts = facts_of(stack_run("prod"))
    assert facts["platform_domain"] == "apps.example.com"
    assert facts["gateway_name"] == "platform" and facts["gateway_namespace"] == "ingress"
    assert facts["cluster_issuer"] == "letsencrypt"
    assert facts["secret_store"] == "platform" and facts["secret_prefix"] == "platform/prod/"
    assert facts["cloud_account"] == "123456789012" and facts["region"] == "eu-west-1"
    assert facts["database_app_db_secret"] == "app-db-app"
    assert facts["database_app_db_namespace"] == "app-db"
    project = stack_config("gke-prod")["platform:cluster"]["gke"]["project"]
    assert facts_of(stack_run("gke-prod"))["cloud_account"] == project


def test_no_issuer_is_published_where_the_stack_has_none():
    """Without a domain the dev tier's private CA is not created, and without an ACME account
    neither is Let's Encrypt: a manifest naming `${cluster_issuer}` must fail to substitute
    rather than reference a ClusterIssuer that does not exist."""
    config = stack_config("dev")
    del config["platform:ingress"]["domain"]
    del config["platform:access"]["namespaces"][0]["hostnames"]
    run = offline.run("dev", config=config, project_dir=ROOT)
    assert run.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer") == []
    assert "cluster_issuer" not in facts_of(run)


def test_the_documented_facts_are_the_published_names():
    text = (ROOT / "docs" / "gitops.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_<>]+)` \|", text, flags=re.M))
    assert documented == {f.name for f in (*FACTS, *DATABASE_FACTS)}


# --- Argo CD --------------------------------------------------------------------------------


def test_argocd_syncs_this_stack_s_path_with_prune_and_self_heal(stack_run):
    run = stack_run("argocd")
    [root] = run.of_type("kubernetes:argoproj.io/v1alpha1:Application")
    spec = root.inputs["spec"]
    assert spec["source"] == {
        "repoURL": "https://github.com/example-org/platform-fleet.git",
        "targetRevision": "main",
        "path": "clusters/argocd",
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "finalizers" not in root.inputs["metadata"]
    assert release(run, "argo-cd").inputs["version"] == versions.ARGO_CD.version == "10.1.1"


def test_argocd_ui_is_served_only_through_the_gateway_over_https(stack_run):
    run = stack_run("argocd")
    [route] = argocd_routes(run)
    hostname = "argocd.demo.platform.internal"
    [parent] = route.inputs["spec"]["parentRefs"]
    [listener] = listener_for(run, parent)
    assert (listener["protocol"], listener["hostname"]) == ("HTTPS", hostname)
    # Only Argo CD's namespace, marked by the platform, may attach to it.
    admitted = listener["allowedRoutes"]["namespaces"]["selector"]["matchLabels"]
    assert admitted["kubernetes.io/metadata.name"] == "argocd"
    assert route.inputs["spec"]["hostnames"] == [hostname]
    values = release(run, "argo-cd").inputs["values"]
    assert values["configs"]["params"]["server.insecure"] is True
    assert values["configs"]["cm"]["url"] == "https://argocd.demo.platform.internal"
    assert "service" not in values.get("server", {})  # ClusterIP: no other way in
    [namespace] = [
        r
        for r in run.of_type("kubernetes:core/v1:Namespace")
        if r.inputs["metadata"]["name"] == "argocd"
    ]
    assert route_namespace_labels().items() <= namespace.inputs["metadata"]["labels"].items()


@pytest.fixture(scope="module")
def argocd_variant():
    """The Argo CD fixture with no UI route, no local admin and GitHub App credentials."""
    config = stack_config("argocd")
    config["platform:gitops"]["argocd"] = {"admin": "disabled"}
    config["platform:gitops"]["repository"]["credentials"] = {
        "kind": "githubApp",
        "appId": 1,
        "installationId": 2,
        "privateKey": {"secure": "v1:key"},
    }
    return offline.run("argocd", config=config, project_dir=ROOT)


def test_argocd_without_expose_has_no_route(argocd_variant):
    assert argocd_routes(argocd_variant) == []
    params = release(argocd_variant, "argo-cd").inputs["values"]["configs"]["params"]
    assert "server.insecure" not in params


def test_argocd_admin_password_is_random_and_never_in_state(stack_run, argocd_variant):
    values = release(stack_run("argocd"), "argo-cd").inputs["values"]
    assert values["configs"]["cm"]["admin.enabled"] is True
    assert "secret" not in values["configs"]  # Argo CD generates argocd-initial-admin-secret
    disabled = release(argocd_variant, "argo-cd").inputs["values"]
    assert disabled["configs"]["cm"]["admin.enabled"] is False


def test_argocd_is_highly_available_in_prod(run_config):
    config = stack_config("argocd")
    config["platform:tier"] = "prod"
    config["platform:certificates"] = {"issuer": "private-ca"}
    run = run_config(config)
    argo_cd = release(run, "argo-cd")
    values = argo_cd.inputs["values"]
    assert values["redis-ha"]["enabled"] is True
    for component in ("server", "repoServer", "applicationSet"):
        assert values[component]["replicas"] == 2
        assert values[component]["pdb"]["enabled"] is True
    # redis-ha replaces Redis: three server pods of three containers and three HAProxy pods,
    # each requesting what the prod tier says; the single Redis is not counted.
    pods = {
        r.name: r.pods
        for r in plan_footprint.footprint(run).reservations
        if r.owner == argo_cd.name
    }
    assert pods == {
        "argocd-application-controller": 1,
        "argocd-repo-server": 2,
        "argocd-server": 2,
        "argocd-applicationset-controller": 2,
        "argocd-notifications-controller": 1,
        "argocd-redis-ha": 3,
        "argocd-redis-ha-sentinel": 3,
        "argocd-redis-ha-split-brain-fix": 3,
        "argocd-redis-ha-haproxy": 3,
    }
    assert plan_footprint.footprint(run).missing == ()
    if conformance.SCHEMAS.is_dir():
        assert conformance.helm_values_findings(argo_cd) == []


def test_argocd_repository_credentials_are_a_labelled_secret(argocd_variant):
    run = argocd_variant
    [secret] = [
        r
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == "fleet-repository"
    ]
    labels = secret.inputs["metadata"]["labels"]
    assert labels == {"argocd.argoproj.io/secret-type": "repository"}
    data = secret.inputs["stringData"]
    assert data["url"] == "https://github.com/example-org/platform-fleet.git"
    assert data["githubAppPrivateKey"] == "[secret]" and "stringData" in secret.secret_inputs
    assert secret.urn in release(run, "argo-cd").dependencies


def test_argocd_trusts_the_configured_ssh_host_keys():
    credentials = RepositoryCredentials(
        kind="ssh-key", secret=SecretSource(value="key"), known_hosts=GITHUB_HOST_KEY + "\n"
    )
    args = ArgoCdArgs(repository_url=SSH_REPO, path="clusters/x", credentials=credentials)
    assert argocd_values(args)["configs"]["ssh"] == {"extraHosts": GITHUB_HOST_KEY + "\n"}


def test_argocd_on_a_cloud_has_no_sops_key():
    config = StackConfig.model_validate(
        {
            "tier": "staging",
            "cluster": {
                "kind": "eks",
                "eks": {"region": "eu-west-1", "zones": ["eu-west-1a", "eu-west-1b"]},
            },
            "gitops": {"engine": "argocd", "repository": {"url": "https://github.com/o/r.git"}},
        }
    )
    assert config.sops_enabled() is False
    flux = config.model_copy(update={"gitops": None})
    assert flux.sops_enabled() is True


@pytest.mark.parametrize(
    ("host", "arn"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "arn:aws:ecr:eu-west-1"),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "arn:aws-cn:ecr:cn-north-1"),
        ("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", "arn:aws-us-gov:ecr:us-gov-west-1"),
    ],
)
def test_an_ecr_source_is_named_in_its_region_s_partition(host, arn):
    """The source-controller's pull policy names the repository; an ARN in another partition
    than the registry's matches nothing."""
    from kube_platform.stacks.wiring.gitops import _ecr_repository_arn

    assert _ecr_repository_arn(f"oci://{host}/fleet/manifests") == (
        f"{arn}:123456789012:repository/fleet/manifests"
    )
