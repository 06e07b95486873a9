"""Bad configuration fails before any resource exists, with one line per problem naming the
stack file, the key path, what is wrong and how to fix it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kube_platform.components.errors import ConfigurationError
from kube_platform.stacks import offline
from tests.conftest import ROOT

# A private EKS cluster that can be deployed: `pulumi up` runs as an admin principal (the
# offline runner deploys as the first one), and a runner inside the VPC deploys it.
EKS_RUNNER = {
    "connectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f",
    "repository": "acme/platform",
}
EKS = {
    "kind": "eks",
    "eks": {
        "region": "eu-west-1",
        "zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        "adminPrincipals": ["arn:aws:iam::123456789012:role/platform-deployer"],
        "deployRunner": EKS_RUNNER,
    },
}
GKE = {
    "kind": "gke",
    "kubernetesVersion": "1.36",
    "gke": {
        "project": "acme-platform",
        "region": "europe-west1",
        "zones": ["europe-west1-b", "europe-west1-c"],
    },
}
POOL = {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 1, "maxSize": 3}


def base(**overrides):
    config = {
        "platform:tier": "dev",
        "platform:cluster": {"kind": "existing", "existing": {"context": "kind-platform"}},
    }
    config.update({f"platform:{k}": v for k, v in overrides.items()})
    return config


def cloud(cluster, tier="staging", pools=None, **overrides):
    return base(tier=tier, cluster=cluster, nodePools=pools or [POOL], **overrides)


def errors_of(config) -> list[str]:
    monitor = offline.RecordingMonitor(offline.RecordingMocks(preview=False))
    with pytest.raises(ConfigurationError) as caught:
        offline.run("test", config=config, project_dir=ROOT, monitor=monitor)
    assert monitor.registrations == {}, "resources were registered before the error"
    lines = str(caught.value).splitlines()
    for line in lines:
        assert re.match(r"^Pulumi\.test\.yaml: platform:\S+: .+", line), line
    return lines


def assert_rejected(config, expected: str) -> None:
    """`config` fails with a line that starts with `expected` (after the stack file name)."""
    lines = errors_of(config)
    assert any(line.startswith(f"Pulumi.test.yaml: {expected}") for line in lines), lines


CASES = {
    "misspelled key": (
        base(cluster={"kind": "existing", "existng": {}}),
        "platform:cluster.existng: unknown key; did you mean 'existing'?",
    ),
    "unknown top-level key": (
        {**base(), "platform:nodepools": []},
        "platform:nodepools: unknown key; did you mean 'nodePools'?",
    ),
    "wrong type": (
        cloud(EKS, pools=[{**POOL, "minSize": "two"}]),
        "platform:nodePools[0].minSize: 'two' is not a whole number",
    ),
    "unknown cluster kind": (
        base(cluster={"kind": "aks"}),
        "platform:cluster.kind: must be 'existing', 'eks' or 'gke'",
    ),
    "unknown tier": (base(tier="production"), "platform:tier: must be 'dev', 'staging' or 'prod'"),
    "malformed Kubernetes version": (
        base(cluster={"kind": "existing", "kubernetesVersion": "1.35.2"}),
        "platform:cluster.kubernetesVersion: '1.35.2' is not a Kubernetes minor version",
    ),
    "Kubernetes version outside the window": (
        base(cluster={"kind": "existing", "kubernetesVersion": "1.29"}),
        "platform:cluster.kubernetesVersion: Kubernetes 1.29 is outside the supported window",
    ),
    "node pool min above max": (
        cloud(EKS, pools=[{**POOL, "minSize": 5, "maxSize": 3}]),
        "platform:nodePools[0]: minSize (5) is greater than maxSize (3)",
    ),
    "node pool desired outside bounds": (
        cloud(EKS, pools=[{**POOL, "desiredSize": 9}]),
        "platform:nodePools[0]: desiredSize (9) is outside minSize..maxSize (1..3)",
    ),
    "invalid CIDR": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"vpcCidr": "10.0.0.0/33"}}}),
        "platform:cluster.eks.network.vpcCidr: '10.0.0.0/33' is not a valid IPv4 CIDR",
    ),
    "CIDR with host bits": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"vpcCidr": "10.0.0.1/16"}}}),
        "platform:cluster.eks.network.vpcCidr: '10.0.0.1/16' is not a valid IPv4 CIDR",
    ),
    "overlapping CIDRs": (
        cloud({**GKE, "gke": {**GKE["gke"], "network": {"podCidr": "10.0.0.0/14"}}}),
        "platform:cluster.gke.network.podCidr: 10.0.0.0/14 overlaps "
        "cluster.gke.network.nodeCidr (10.0.0.0/20)",
    ),
    "invalid domain": (
        base(ingress={"domain": "apps_example.com"}),
        "platform:ingress.domain: 'apps_example.com' is not a valid DNS domain",
    ),
    "invalid e-mail": (
        base(certificates={"acmeEmail": "ops-at-example.com"}),
        "platform:certificates.acmeEmail: 'ops-at-example.com' is not a valid e-mail address",
    ),
    "plaintext secret": (
        base(cluster={"kind": "existing", "existing": {"kubeconfig": "apiVersion: v1"}}),
        "platform:cluster.existing.kubeconfig: this value is stored in plaintext; store it "
        "encrypted with `pulumi config set --secret --path "
        "'platform:cluster.existing.kubeconfig' <value>`",
    ),
    "node pool name too long for a unique suffix": (
        cloud(EKS, pools=[{**POOL, "name": "general-purpose-compute-pool-01"}]),
        "platform:nodePools[0].name: 'general-purpose-compute-pool-01' is longer than 30 "
        "characters; the cloud appends a unique suffix to pool names, so shorten it",
    ),
    "fewer than two zones": (
        cloud({**EKS, "eks": {**EKS["eks"], "zones": ["eu-west-1a"]}}),
        "platform:cluster.eks.zones: zones lists 1 zone(s); list at least two zones",
    ),
    "malformed AWS region": (
        cloud({**EKS, "eks": {**EKS["eks"], "region": "europe-west1"}}),
        "platform:cluster.eks.region: 'europe-west1' is not an AWS region",
    ),
    "malformed GCP region": (
        cloud({**GKE, "gke": {**GKE["gke"], "region": "eu-west-1"}}),
        "platform:cluster.gke.region: 'eu-west-1' is not a Google Cloud region",
    ),
    "public endpoint open to the internet": (
        cloud({**EKS, "eks": {**EKS["eks"], "publicAccessCidrs": ["0.0.0.0/0"]}}),
        "platform:cluster.eks.publicAccessCidrs[0]: 0.0.0.0/0 opens the API endpoint to the "
        "whole internet",
    ),
    "public endpoint in prod": (
        cloud({**EKS, "eks": {**EKS["eks"], "publicAccessCidrs": ["203.0.113.0/24"]}}, "prod"),
        "platform:cluster.eks.publicAccessCidrs: prod clusters keep the API endpoint private",
    ),
    "node pools on an existing cluster": (
        base(nodePools=[POOL]),
        "platform:nodePools: node pools are set but the cluster is an existing one",
    ),
    "cloud cluster without node pools": (
        base(tier="staging", cluster=EKS),
        "platform:nodePools: a eks cluster needs at least one node pool",
    ),
    "kind without its section": (
        base(cluster={"kind": "gke"}),
        "platform:cluster: kind is 'gke' but the 'gke' section is missing",
    ),
    "key under the wrong parent": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"publicAccessCidrs": ["203.0.113.0/28"]}}}),
        "platform:cluster.eks.network.publicAccessCidrs: unknown key; publicAccessCidrs belongs "
        "under platform:cluster.eks; move it there",
    ),
    "top-level key nested": (
        base(cluster={"kind": "existing", "tier": "dev"}),
        "platform:cluster.tier: unknown key; tier is a top-level key; write it as platform:tier",
    ),
    "nested key in a list entry under the wrong parent": (
        cloud(EKS, pools=[{**POOL, "taints": [{"key": "a", "effect": "NoSchedule", "name": "x"}]}]),
        "platform:nodePools[0].taints[0].name: unknown key; name belongs under "
        "platform:nodePools[0]; move it there",
    ),
    "private endpoint open to every routed network in prod": (
        cloud(
            {
                **EKS,
                "eks": {
                    **EKS["eks"],
                    "network": {"privateAccessCidrs": ["0.0.0.0/0"]},
                    "adminPrincipals": ["arn:aws:iam::123456789012:role/deployer"],
                },
            },
            "prod",
        ),
        "platform:cluster.eks.network.privateAccessCidrs[0]: 0.0.0.0/0 lets every network "
        "routed into the VPC reach the API endpoint of a prod cluster; list only the VPC and "
        "the VPN or peered ranges that need it",
    ),
    "replication into a namespace the stack does not declare": (
        cloud(
            EKS,
            secrets={"replicate": [{"name": "regcred", "key": "regcred", "namespaces": ["apps"]}]},
        ),
        "platform:secrets.replicate[0].namespaces[0]: namespace 'apps' is not one this stack "
        "declares (platform:access.namespaces or a database's namespace), so nothing creates "
        "it and no copy would appear; add it to platform:access.namespaces, or select "
        "namespaces made elsewhere with namespaceLabels",
    ),
    "count with a stray space": (
        cloud(EKS, pools=[{**POOL, "maxSize": "6 "}]),
        "platform:nodePools[0].maxSize: '6 ' is not a whole number; write the number without "
        "quotes or spaces",
    ),
    "Kubernetes version given as a number": (
        base(cluster={"kind": "existing", "kubernetesVersion": 1.35}),
        "platform:cluster.kubernetesVersion: 1.35 is a number, not a version; write the version "
        'in quotes, such as "1.35"',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_rejected_with_a_clear_message(case):
    assert_rejected(*CASES[case])


def test_every_problem_is_reported_at_once():
    config = base(
        tier="qa",
        cluster={"kind": "existing", "kubernetesVersion": "v1"},
        ingress={"domain": "-bad-"},
    )
    lines = errors_of(config)
    assert len(lines) == 3, lines


def test_secret_values_never_appear_in_messages():
    config = base(cluster={"kind": "existing", "existing": {"kubeconfig": 42}})
    lines = errors_of(config)
    assert not any("42" in line for line in lines)


def test_an_encrypted_secret_is_accepted(run_config):
    config = base(cluster={"kind": "existing", "existing": {"kubeconfig": {"secure": "v1:AAAA"}}})
    run = run_config(config)
    provider = run.of_type("pulumi:providers:kubernetes")[0]
    assert "kubeconfig" in provider.secret_inputs


def test_the_plan_command_prints_errors_without_a_traceback(tmp_path):
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        "    kubernetesVersion: '1.99'\n  platform:ingress:\n    domian: a.example.com\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kube_platform.stacks",
            "plan",
            "broken",
            "--project-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        "Pulumi.broken.yaml: platform:cluster.kubernetesVersion: Kubernetes 1.99" in result.stderr
    )
    assert "Pulumi.broken.yaml: platform:ingress.domian: unknown key; did you mean 'domain'?" in (
        result.stderr
    )


def test_a_required_secret_field_accepts_only_encrypted_values():
    from pydantic import ValidationError

    from kube_platform.stacks.config import ConfigModel
    from kube_platform.stacks.types import SecretInput, SecretValue

    class Credentials(ConfigModel):
        token: SecretValue

    assert Credentials.model_validate({"token": SecretInput("s")}).token.get_secret_value() == "s"
    with pytest.raises(ValidationError, match="stored in plaintext"):
        Credentials.model_validate({"token": "s"})


def test_a_secret_key_from_outside_the_stack_file_counts_as_secret():
    """Pulumi ESC environments hand the program secret keys the stack file does not hold."""
    from kube_platform.stacks import loader

    raw = {
        "platform:tier": "dev",
        "platform:cluster": '{"kind": "existing", "existing": {"kubeconfig": "apiVersion: v1"}}',
    }
    cfg = loader.load(
        raw, secret_keys=["platform:cluster"], file_config={"platform:tier": "dev"}, source="x"
    )
    assert cfg.cluster.existing.kubeconfig.get_secret_value() == "apiVersion: v1"
    with pytest.raises(ConfigurationError, match="stored in plaintext"):
        loader.load(raw, secret_keys=[], file_config={"platform:tier": "dev"}, source="x")


def test_replication_into_declared_namespaces_is_accepted():
    from kube_platform.stacks import loader

    config = cloud(
        {**EKS, "eks": {**EKS["eks"], "publicAccessCidrs": ["203.0.113.0/28"]}},
        secrets={
            "replicate": [{"name": "regcred", "key": "regcred", "namespaces": ["apps", "db"]}]
        },
        access={"namespaces": [{"name": "apps"}]},
        databases=[{"name": "db"}],
    )
    values, secret_keys = loader.engine_config(config)
    loader.load(values, secret_keys=secret_keys, file_config=config, source="x")


# --- mistakes only the stack file's text shows ---------------------------------------------

FILE_CASES = {
    "a list at the top level": (
        "- platform:tier: dev\n",
        "Pulumi.test.yaml: the file holds a list at the top level; a stack file is a mapping "
        "with the settings under a `config:` key, as in Pulumi.dev.yaml",
    ),
    "the config: root forgotten": (
        "platform:tier: dev\nplatform:cluster:\n  kind: existing\n",
        "Pulumi.test.yaml: platform:tier: this key is at the top level of the file, where "
        "Pulumi does not read it; configuration goes under `config:`, so indent it below a "
        "`config:` line",
    ),
    "a duplicated key": (
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        "  platform:tier: prod\n",
        "Pulumi.test.yaml: platform:tier: the key appears twice (lines 2 and 5); YAML keeps "
        "only the last one, so remove or merge the other",
    ),
    "a duplicated nested key": (
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n    kind: eks\n",
        "Pulumi.test.yaml: platform:cluster.kind: the key appears twice (lines 4 and 5); YAML "
        "keeps only the last one, so remove or merge the other",
    ),
    "an unquoted version YAML shortens": (
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        "    kubernetesVersion: 1.30\n",
        "Pulumi.test.yaml: platform:cluster.kubernetesVersion: 1.30 is unquoted, so YAML reads "
        'it as the number 1.3; quote it: kubernetesVersion: "1.30"',
    ),
    "an unquoted version YAML keeps": (
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        "    kubernetesVersion: 1.35\n",
        "Pulumi.test.yaml: platform:cluster.kubernetesVersion: 1.35 is unquoted, so YAML reads "
        'it as the number 1.35; quote it: kubernetesVersion: "1.35"',
    ),
    "a key without the platform: namespace": (
        "config:\n  platform:tier: dev\n  platform:cluster:\n    kind: existing\n"
        "  ingress:\n    domain: apps.example.com\n",
        "Pulumi.test.yaml: ingress: configuration keys carry a namespace, and the Pulumi CLI "
        "rejects this one; write platform:ingress",
    ),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_stack_file_mistakes_are_reported_from_the_text(tmp_path, case):
    text, expected = FILE_CASES[case]
    (tmp_path / "Pulumi.test.yaml").write_text(text)
    monitor = offline.RecordingMonitor(offline.RecordingMocks(preview=False))
    with pytest.raises(ConfigurationError) as caught:
        offline.run("test", project_dir=tmp_path, monitor=monitor)
    assert monitor.registrations == {}
    assert expected in str(caught.value).splitlines()
