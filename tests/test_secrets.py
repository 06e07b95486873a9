"""External Secrets, the platform's secret store, replication and SOPS keys: who may read
which secrets, who may decrypt, and that nothing secret leaks."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

from kube_platform.components.cluster import ExistingCluster, ExistingClusterArgs
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.security.secrets import (
    ReplicatedSecret,
    Secrets,
    SecretsArgs,
    SecretStoreRef,
    StaticStoreArgs,
    external_secret,
)
from kube_platform.components.security.sops import SopsKey, SopsKeyArgs
from kube_platform.stacks import loader, offline
from kube_platform.stacks.wiring.secrets import _sops_administrators
from tests.conftest import stack_config
from tests.fakes import FakeCloudCluster
from tests.test_config_errors import EKS, GKE, POOL, assert_rejected, base, cloud

ESO_RELEASE = "kubernetes:helm.sh/v3:Release"
STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
CLUSTER_EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ClusterExternalSecret"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
REPLICATED = ReplicatedSecret(
    name="registry", key="registry", namespaces=("apps", "jobs"), secret_type="kubernetes.io/x"
)


def _run(cloud_name: str, **args):
    if cloud_name == "gcp":
        args.setdefault("gcp_project", "acme-platform")

    def program():
        cluster = FakeCloudCluster("c", cloud_name)
        secrets = Secrets(
            "s",
            cluster,
            SecretsArgs(
                prefix="platform/test/" if cloud_name == "aws" else "platform_test_", **args
            ),
        )
        return {"store": secrets.store.name if secrets.store else None}

    return offline.run("t", config={}, program=program)


def _one(run, type_):
    found = run.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def _pod_identity(run, namespace):
    [association] = [
        r
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["namespace"] == namespace
    ]
    return association


def _depends_on(run, resource, dependency) -> bool:
    return dependency.urn in resource.dependencies


# --- store scoping and identity -------------------------------------------------------------


def test_aws_store_reads_only_the_stacks_secrets_through_pod_identity():
    run = _run("aws", store_namespaces=("apps",))
    policy = json.loads(_one(run, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecretVersionIds",
    ]
    assert statement["Resource"] == (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform/test/*"
    )
    store = _one(run, STORE)
    assert store.inputs["spec"]["provider"] == {
        "aws": {"service": "SecretsManager", "region": "eu-west-1"}
    }  # no auth block: the controller's Pod Identity is used
    assert store.inputs["spec"]["conditions"] == [{"namespaces": ["apps"]}]


def test_gcp_store_reads_only_the_stacks_secrets_through_workload_identity():
    run = _run("gcp")
    [grant] = [
        r
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["role"] == "roles/secretmanager.secretAccessor"
    ]
    assert grant.inputs["project"] == "acme-platform"
    assert grant.inputs["member"].startswith("serviceAccount:")
    assert grant.inputs["condition"]["expression"] == (
        f'resource.name.startsWith("projects/{offline.GCP_PROJECT_NUMBER}/secrets/platform_test_")'
    )
    store = _one(run, STORE)
    assert store.inputs["spec"]["provider"] == {"gcpsm": {"projectID": "acme-platform"}}
    release = _one(run, ESO_RELEASE)
    annotations = release.inputs["values"]["serviceAccount"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")
    assert _depends_on(run, release, grant)


def test_the_operator_runs_as_the_bound_service_account_and_serves_only_v1():
    release = _one(_run("aws"), ESO_RELEASE)
    values = release.inputs["values"]
    assert release.inputs["version"] == "2.9.0"
    assert values["serviceAccount"]["name"] == "external-secrets"
    assert values["crds"]["unsafeServeV1Beta1"] is False
    assert values["installCRDs"] is True


def test_replicated_operator_elects_a_leader():
    """Two controller replicas without leader election would both reconcile every object."""
    single = _one(_run("aws"), ESO_RELEASE).inputs["values"]
    assert single["replicaCount"] == 1
    assert single["leaderElect"] is False
    values = _one(_run("aws", high_availability=True), ESO_RELEASE).inputs["values"]
    assert values["replicaCount"] == values["certController"]["replicaCount"] == 2
    assert values["leaderElect"] is True


def test_eks_binds_the_operator_with_pod_identity(stack_run):
    run = stack_run("prod")
    association = _pod_identity(run, "external-secrets")
    assert association.inputs["serviceAccount"] == "external-secrets"
    policies = [
        json.loads(r.inputs["policy"])
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if "secretsmanager" in r.inputs["policy"]
    ]
    assert [p["Statement"][0]["Resource"] for p in policies] == [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform/prod/*"
    ]
    release = next(r for r in run.of_type(ESO_RELEASE) if r.name.endswith("-eso"))
    assert association.urn in release.dependencies
    assert run.outputs["secretPrefix"].value == "platform/prod/"
    assert run.outputs["secretStore"].value == "platform"


def test_gke_default_prefix_is_a_valid_secret_id_prefix(stack_run):
    run = stack_run("gke-prod")
    assert run.outputs["secretPrefix"].value == "platform_gke-prod_"


def test_custom_resources_depend_on_the_operator_release():
    run = _run("aws", replicated=(REPLICATED,))
    release = _one(run, ESO_RELEASE)
    for type_ in (STORE, CLUSTER_EXTERNAL_SECRET):
        assert _depends_on(run, _one(run, type_), release), type_


# --- existing clusters ----------------------------------------------------------------------


def _existing(**args):
    def program():
        cluster = ExistingCluster("c", ExistingClusterArgs(kubernetes_version="1.35"))
        Secrets("s", cluster, SecretsArgs(prefix="platform/dev/", **args))
        return {}

    return offline.run("t", config={}, program=program)


def test_existing_cluster_without_credentials_gets_the_operator_but_no_store():
    run = _existing()
    assert len(run.of_type(ESO_RELEASE)) == 1
    assert run.of_type(STORE) == []
    assert [r for r in run.registrations.values() if r.type.split(":")[0] in {"aws", "gcp"}] == []


def test_existing_cluster_store_uses_static_credentials_from_a_secret():
    run = _existing(
        static_store=StaticStoreArgs(
            cloud="aws",
            region="eu-west-1",
            access_key_id=pulumi.Output.secret("AKIAEXAMPLE"),
            secret_access_key=pulumi.Output.secret("mock-password-static"),
        )
    )
    secret = _one(run, "kubernetes:core/v1:Secret")
    for key in ("access-key-id", "secret-access-key"):
        path = f"stringData.{key}"
        assert any(path == s or path.startswith(f"{s}.") for s in secret.secret_inputs), key
    auth = _one(run, STORE).inputs["spec"]["provider"]["aws"]["auth"]["secretRef"]
    assert auth["secretAccessKeySecretRef"] == {
        "name": secret.inputs["metadata"]["name"],
        "namespace": "external-secrets",
        "key": "secret-access-key",
    }
    assert "mock-password" not in json.dumps(_one(run, ESO_RELEASE).inputs)


def test_replication_without_a_store_is_refused():
    with pytest.raises(ConfigurationError, match="replicated secrets read from the cloud"):
        _existing(replicated=(REPLICATED,))


# --- replication and the application helper -------------------------------------------------


def test_replication_stamps_an_external_secret_into_every_target_namespace():
    labelled = ReplicatedSecret(name="db", key="shared/db", namespace_labels={"team": "a"})
    run = _run("aws", replicated=(REPLICATED, labelled))
    by_name = {
        r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(CLUSTER_EXTERNAL_SECRET)
    }
    registry = by_name["registry"]
    assert registry["namespaceSelectors"] == [
        {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "In",
                    "values": ["apps", "jobs"],
                }
            ]
        }
    ]
    spec = registry["externalSecretSpec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "platform"}
    assert spec["dataFrom"] == [{"extract": {"key": "platform/test/registry"}}]
    assert spec["target"]["template"] == {"type": "kubernetes.io/x"}
    assert by_name["db"]["namespaceSelectors"] == [{"matchLabels": {"team": "a"}}]
    # The targets may use the otherwise namespace-restricted store.
    assert _one(run, STORE).inputs["spec"]["conditions"] == [
        {"namespaces": ["apps", "jobs"]},
        {"namespaceSelector": {"matchLabels": {"team": "a"}}},
    ]


def test_external_secret_helper_reads_under_the_prefix_after_the_operator():
    def program():
        cluster = FakeCloudCluster("c", "aws")
        secrets = Secrets("s", cluster, SecretsArgs(prefix="platform/test/"))
        external_secret(
            "db",
            store=secrets.store,
            namespace="apps",
            data={"password": ("db", "password"), "url": "db-url"},
            extract=["shared"],
            refresh_interval="15m",
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
        return {}

    run = offline.run("t", config={}, program=program)
    secret = _one(run, EXTERNAL_SECRET)
    spec = secret.inputs["spec"]
    assert spec["refreshInterval"] == "15m"
    assert spec["target"] == {"name": "db", "creationPolicy": "Owner"}
    assert spec["data"] == [
        {"secretKey": "password", "remoteRef": {"key": "platform/test/db", "property": "password"}},
        {"secretKey": "url", "remoteRef": {"key": "platform/test/db-url"}},
    ]
    assert spec["dataFrom"] == [{"extract": {"key": "platform/test/shared"}}]
    assert _depends_on(run, secret, _one(run, ESO_RELEASE))


def test_external_secret_helper_templates_the_target_under_its_own_resource_name():
    def program():
        cluster = FakeCloudCluster("c", "aws")
        secrets = Secrets("s", cluster, SecretsArgs(prefix="platform/test/"))
        external_secret(
            "repo",
            store=secrets.store,
            namespace="apps",
            data={"value": "repo-token"},
            secret_type="Opaque",
            template={"engineVersion": "v2", "data": {"password": "{{ .value }}"}},
            resource_name="apps-repo",
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
        return {}

    run = offline.run("t", config={}, program=program)
    secret = _one(run, EXTERNAL_SECRET)
    assert secret.name == "apps-repo"
    assert secret.inputs["metadata"]["name"] == "repo"
    assert secret.inputs["spec"]["target"] == {
        "name": "repo",
        "creationPolicy": "Owner",
        "template": {
            "type": "Opaque",
            "engineVersion": "v2",
            "data": {"password": "{{ .value }}"},
        },
    }


def test_external_secret_helper_needs_remote_keys():
    with pytest.raises(ConfigurationError, match="names no remote keys"):
        external_secret("x", store=SecretStoreRef("platform"), namespace="apps")


# --- SOPS -----------------------------------------------------------------------------------

AUTHOR = "arn:aws:iam::123456789012:role/author"


def _sops(cloud_name: str, encrypters=(), protect=True):
    def program():
        cluster = FakeCloudCluster("c", cloud_name)
        key = SopsKey(
            "sops",
            cluster,
            SopsKeyArgs(encrypters=encrypters, gcp_project="acme-platform", protect=protect),
        )
        return {"sops": key.sops_config, "decrypter": key.decrypt_principal, "key": key.key_id}

    return offline.run("t", config={}, program=program)


def test_aws_sops_key_rotates_and_only_the_gitops_identity_decrypts():
    run = _sops("aws", encrypters=(AUTHOR,))
    key = _one(run, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.protect
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    decrypter = run.outputs["decrypter"].value
    decrypt = statements["GitOpsControllerDecrypts"]
    assert decrypt["Principal"] == {"AWS": decrypter}
    assert decrypt["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    encrypt = statements["AuthorsEncrypt"]
    assert encrypt["Principal"] == {"AWS": [AUTHOR]}
    assert encrypt["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    allowed = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allowed if "kms:Decrypt" in s["Action"]] == [{"AWS": decrypter}]
    assert statements["NobodyElseDecrypts"]["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": decrypter}
    }
    # Without administrators configured, the identity that deploys manages the key.
    assert statements["AdministratorsManageTheKey"]["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{offline.ACCOUNT_ID}:user/ci"]}
    }


def test_the_cluster_admins_manage_the_eks_sops_key_unless_others_are_named(stack_run):
    def administrators(run: offline.Run) -> list[str]:
        [key] = [k for k in run.of_type("aws:kms/key:Key") if "SopsKey" in k.parent]
        [statement] = [
            s
            for s in json.loads(key.inputs["policy"])["Statement"]
            if s["Sid"] == "AdministratorsManageTheKey"
        ]
        return statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]

    config = stack_config("prod")
    assert (
        administrators(stack_run("prod")) == (config["platform:cluster"]["eks"]["adminPrincipals"])
    )
    break_glass = ["arn:aws:iam::123456789012:role/break-glass"]
    config["platform:secrets"]["sops"]["administrators"] = break_glass
    raw = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in config.items()}
    cfg = loader.load(raw, file_config=config, source="Pulumi.prod.yaml")
    assert _sops_administrators(cfg) == tuple(break_glass)


def test_sops_config_output_is_a_creation_rule_for_the_key():
    run = _sops("aws")
    assert run.outputs["key"].value == _one(run, "aws:kms/key:Key").outputs["arn"]
    rules = yaml.safe_load(run.outputs["sops"].value)["creation_rules"]
    assert rules == [
        {
            "path_regex": r"\.sops\.ya?ml$",
            "encrypted_regex": "^(data|stringData)$",
            "kms": run.outputs["key"].value,
        }
    ]
    assert not run.outputs["sops"].secret


def test_gcp_sops_key_rotates_and_roles_are_split():
    run = _sops("gcp", encrypters=("group:authors@example.com",))
    crypto_key = _one(run, "gcp:kms/cryptoKey:CryptoKey")
    assert crypto_key.inputs["rotationPeriod"] == "7776000s"
    assert crypto_key.protect and _one(run, "gcp:kms/keyRing:KeyRing").protect
    members = {
        (r.inputs["role"], r.inputs["member"])
        for r in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    }
    assert members == {
        ("roles/cloudkms.cryptoKeyDecrypter", f"serviceAccount:{run.outputs['decrypter'].value}"),
        ("roles/cloudkms.cryptoKeyEncrypter", "group:authors@example.com"),
    }
    rules = yaml.safe_load(run.outputs["sops"].value)["creation_rules"]
    assert rules[0]["gcp_kms"] == run.outputs["key"].value


def test_sops_decrypt_identity_is_the_gitops_controller(stack_run):
    run = stack_run("prod")
    [association] = [
        r
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["namespace"] == "flux-system" and "sops" in r.name
    ]
    assert association.inputs["serviceAccount"] == "kustomize-controller"
    assert "kms: arn:aws:kms:" in run.outputs["sopsConfig"].value


def test_sops_keys_are_protected_outside_dev(stack_run, run_config):
    assert stack_run("prod").of_type("aws:kms/key:Key")[0].protect
    dev_eks = cloud(
        {**EKS, "eks": {**EKS["eks"], "publicAccessCidrs": ["203.0.113.0/24"]}}, tier="dev"
    )
    assert not run_config(dev_eks).of_type("aws:kms/key:Key")[0].protect


def test_existing_clusters_have_no_sops_key(stack_run):
    run = stack_run("dev")
    assert "sopsKey" not in run.outputs
    assert run.outputs["secretStore"].value is None


# --- configuration errors -------------------------------------------------------------------

PUBLIC_EKS = {**EKS, "eks": {**EKS["eks"], "publicAccessCidrs": ["203.0.113.0/24"]}}

CASES = {
    "cloud store on an existing cluster without credentials": (
        base(secrets={"store": {"provider": "aws", "region": "eu-west-1"}}),
        "platform:secrets.store: a cloud secret store on an existing cluster needs static "
        "credentials; set secrets.store.accessKeyId and secretAccessKey with `pulumi config "
        "set --secret --path`, or remove secrets.store",
    ),
    "plaintext store credential": (
        base(
            secrets={
                "store": {
                    "provider": "aws",
                    "region": "eu-west-1",
                    "accessKeyId": {"secure": "v1:AAAA"},
                    "secretAccessKey": "wJalrXUtnFEMI",
                }
            }
        ),
        "platform:secrets.store.secretAccessKey: this value is stored in plaintext",
    ),
    "static store on a cloud cluster": (
        cloud(PUBLIC_EKS, secrets={"store": {"provider": "aws", "region": "eu-west-1"}}),
        "platform:secrets.store: a eks cluster reads its cloud secret manager through "
        "workload identity",
    ),
    "prefix that would match other stacks": (
        cloud(PUBLIC_EKS, secrets={"prefix": "platform/prod"}),
        "platform:secrets.prefix: 'platform/prod' is not a aws secret name prefix",
    ),
    "gcp prefix with a slash": (
        cloud(
            {
                "kind": "gke",
                "gke": {
                    "project": "acme-platform",
                    "region": "europe-west1",
                    "zones": ["europe-west1-b", "europe-west1-c"],
                },
            },
            pools=[{**POOL, "instanceTypes": ["n2-standard-4"]}],
            secrets={"prefix": "platform/prod/"},
        ),
        "platform:secrets.prefix: 'platform/prod/' is not a gcp secret name prefix",
    ),
    "replication without a store": (
        base(secrets={"replicate": [{"name": "reg", "key": "reg", "namespaces": ["apps"]}]}),
        "platform:secrets.replicate: replicated secrets are read from the cloud secret store",
    ),
    "replication without targets": (
        cloud(PUBLIC_EKS, secrets={"replicate": [{"name": "reg", "key": "reg"}]}),
        "platform:secrets.replicate[0]: no target namespaces",
    ),
    "sops on an existing cluster": (
        base(secrets={"sops": {"enabled": True}}),
        "platform:secrets.sops.enabled: SOPS keys live in a cloud KMS",
    ),
    "sops encrypter that is not an ARN": (
        cloud(PUBLIC_EKS, secrets={"sops": {"encrypters": ["alice@example.com"]}}),
        "platform:secrets.sops.encrypters[0]: 'alice@example.com' is not an IAM role or user "
        "ARN; use e.g. 'arn:aws:iam::<account>:role/<name>'",
    ),
    "sops administrator that is not an ARN": (
        cloud(PUBLIC_EKS, secrets={"sops": {"administrators": ["platform-deployer"]}}),
        "platform:secrets.sops.administrators[0]: 'platform-deployer' is not an IAM role or "
        "user ARN; use e.g. 'arn:aws:iam::<account>:role/<name>'",
    ),
    "sops key without administrators": (
        cloud(PUBLIC_EKS, secrets={"sops": {"administrators": []}}),
        "platform:secrets.sops.administrators: an empty list would leave the key without "
        "anyone to manage it; list the IAM role ARN that runs `pulumi up` (and a break-glass "
        "role), or remove the key to use the default",
    ),
    "sops administrators on gke": (
        cloud(
            GKE,
            pools=[{**POOL, "instanceTypes": ["n2-standard-4"]}],
            secrets={"sops": {"administrators": ["arn:aws:iam::123456789012:role/admin"]}},
        ),
        "platform:secrets.sops.administrators: applies to EKS key policies only; on GKE, who "
        "may change the key's IAM policy is decided by IAM roles on the project (see "
        "docs/secrets.md); remove it",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_secrets_config_is_rejected(case):
    assert_rejected(*CASES[case])
