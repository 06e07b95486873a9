"""The components as a library: argument models that validate their own inputs (and the stack
configuration that reuses their rules), and `help()` that documents each component."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import pydoc
from typing import Any

import pulumi
import pytest
from pydantic import BaseModel, ValidationError

import kube_platform.components as library
from kube_platform.components.cluster import (
    EksCluster,
    EksClusterArgs,
    EksNodeGroupArgs,
    ExistingClusterArgs,
    GkeClusterArgs,
    GkeNodePoolArgs,
    Taint,
)
from kube_platform.components.data.postgres import PostgresClusterArgs
from kube_platform.components.errors import ConfigurationError
from kube_platform.components.kubernetes.resources import Resources
from kube_platform.components.traffic.ingress import IngressArgs
from kube_platform.stacks import loader
from tests.test_config_errors import EKS, GKE, POOL, base, cloud

ADMIN = "arn:aws:iam::123456789012:role/platform-deployer"


def eks_args(**overrides: Any) -> dict[str, Any]:
    return {
        "cluster_name": "platform-test",
        "region": "eu-west-1",
        "zones": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
        "admin_principals": (ADMIN,),
        "node_groups": (
            EksNodeGroupArgs(name="general", instance_types=("m7i.large",), max_size=3),
        ),
        **overrides,
    }


def gke_args(**overrides: Any) -> dict[str, Any]:
    return {
        "project": "acme-platform",
        "region": "europe-west1",
        "zones": ("europe-west1-b", "europe-west1-c"),
        "kubernetes_version": "1.36",
        "node_pools": (GkeNodePoolArgs(name="general", machine_type="e2-standard-4"),),
        **overrides,
    }


def postgres_args(**overrides: Any) -> dict[str, Any]:
    return {"namespace": "orders", **overrides}


# (model, arguments, field, the exact message pydantic shows under the field's name)
BAD_ARGUMENTS = {
    "a patch version": (
        EksClusterArgs,
        eks_args(kubernetes_version="1.35.0"),
        "kubernetes_version",
        "'1.35.0' is not a Kubernetes minor version; write MAJOR.MINOR in quotes, such as \"1.35\"",
    ),
    "a Postgres major without an image": (
        PostgresClusterArgs,
        postgres_args(postgres_major=9),
        "postgres_major",
        "Postgres 9 is not supported; use one of 16, 17, 18 (the majors with a pinned image)",
    ),
    "an admin that is no ARN": (
        EksClusterArgs,
        eks_args(admin_principals=("admins",)),
        "admin_principals.0",
        "'admins' is not an IAM role or user ARN; use e.g. 'arn:aws:iam::<account>:role/<name>'",
    ),
    "a prefix longer than 32 bits": (
        EksClusterArgs,
        eks_args(vpc_cidr="10.0.0.0/33"),
        "vpc_cidr",
        "'10.0.0.0/33' is not a valid IPv4 CIDR block ('33' is not a valid netmask); write it as "
        "ADDRESS/PREFIX with no host bits set, such as '10.0.0.0/16'",
    ),
    "a region without its dash": (
        EksClusterArgs,
        eks_args(region="eu-west1", zones=("eu-west1a", "eu-west1b")),
        "region",
        "'eu-west1' is not an AWS region; use a region code such as 'eu-west-1'",
    ),
    "a storage size in GB": (
        PostgresClusterArgs,
        postgres_args(storage_size="50GB"),
        "storage_size",
        "'50GB' is not a storage size; write a Kubernetes quantity in Mi, Gi or Ti, such as '20Gi'",
    ),
    "a Kubernetes version that is none (existing cluster)": (
        ExistingClusterArgs,
        {"kubernetes_version": "banana"},
        "kubernetes_version",
        "'banana' is not a Kubernetes minor version; write MAJOR.MINOR in quotes, such as \"1.35\"",
    ),
    "a Kubernetes version that is none (GKE)": (
        GkeClusterArgs,
        gke_args(kubernetes_version="banana"),
        "kubernetes_version",
        "'banana' is not a Kubernetes minor version; write MAJOR.MINOR in quotes, such as \"1.35\"",
    ),
    "a GCP region in AWS's shape": (
        GkeClusterArgs,
        gke_args(region="europe-west-1"),
        "region",
        "'europe-west-1' is not a Google Cloud region; use a region such as 'europe-west1'",
    ),
    "a minor without pinned EKS add-ons": (
        EksClusterArgs,
        eks_args(kubernetes_version="1.29"),
        "kubernetes_version",
        "Kubernetes 1.29 is outside the supported window 1.33-1.36; pick a version in that range",
    ),
    "a VPC too small for the subnet plan": (
        EksClusterArgs,
        eks_args(vpc_cidr="10.0.0.0/24"),
        "vpc_cidr",
        "10.0.0.0/24 is a /24; use a /16 to /22 so every zone gets a private node subnet "
        "(pods take VPC addresses) and a public subnet",
    ),
    "zones of another region": (
        EksClusterArgs,
        eks_args(zones=("eu-west-1a", "eu-central-1b")),
        "",
        "zones ['eu-central-1b'] are not zones of region eu-west-1",
    ),
    "a log retention CloudWatch does not offer": (
        EksClusterArgs,
        eks_args(log_retention_days=100),
        "log_retention_days",
        "CloudWatch Logs cannot keep logs for 100 days; use one of its periods, e.g. 90",
    ),
    "a backup interval in days": (
        PostgresClusterArgs,
        postgres_args(backups={"schedule": "@every 1d", "path_prefix": "test"}),
        "backups.schedule",
        "'@every 1d' is not a schedule the platform can read ('1d' is not a duration; write "
        "whole numbers with the units ns, us, ms, s, m or h, such as '6h' or '1h30m')",
    ),
    "a backup interval of zero": (
        PostgresClusterArgs,
        postgres_args(backups={"schedule": "@every 0s", "path_prefix": "test"}),
        "backups.schedule",
        "'@every 0s' is not a schedule the platform can read ('0s' is a zero duration; use a "
        "positive one, such as '6h')",
    ),
    "a backup interval that is no duration": (
        PostgresClusterArgs,
        postgres_args(backups={"schedule": "@every soon", "path_prefix": "test"}),
        "backups.schedule",
        "'@every soon' is not a schedule the platform can read ('soon' is not a duration; write "
        "whole numbers with the units ns, us, ms, s, m or h, such as '6h' or '1h30m')",
    ),
    "a backup interval with a number but no unit": (
        PostgresClusterArgs,
        postgres_args(backups={"schedule": "@every 1h30", "path_prefix": "test"}),
        "backups.schedule",
        "'@every 1h30' is not a schedule the platform can read ('1h30' is not a duration; write "
        "whole numbers with the units ns, us, ms, s, m or h, such as '6h' or '1h30m')",
    ),
    "a wildcard and the name its listener is spelled as": (
        IngressArgs,
        {
            "tls_secret_name": "platform-tls",
            "route_namespaces": (
                {"name": "a", "hostnames": ("*.a.example.com",)},
                {"name": "b", "hostnames": ("wildcard.a.example.com",)},
            ),
        },
        "",
        "'wildcard.a.example.com' and '*.a.example.com' would both get the HTTPS listener "
        "'wildcard.a.example.com' (a listener name spells '*' as 'wildcard'); list only one of "
        "them",
    ),
    "a CPU request of nothing": (
        Resources,
        {"cpu": "0", "memory": "64Mi"},
        "cpu",
        "'0' is not a CPU amount; write cores ('2', '0.5') or millicores ('500m')",
    ),
    "a memory limit in gigabytes": (
        Resources,
        {"cpu": "50m", "memory": "64Mi", "memory_limit": "1GB"},
        "memory_limit",
        "'1GB' is not a memory size; write a Kubernetes quantity in Mi or Gi, such as '2Gi'",
    ),
    "a public endpoint open to everyone": (
        GkeClusterArgs,
        gke_args(authorized_networks=("0.0.0.0/0",)),
        "authorized_networks.0",
        "0.0.0.0/0 opens the API endpoint to the whole internet; list only the networks that "
        "need it, or leave the list empty",
    ),
    "a pool name the clouds cannot suffix": (
        GkeNodePoolArgs,
        {"name": "general-purpose-compute-pool-01", "machine_type": "e2-standard-4"},
        "name",
        "'general-purpose-compute-pool-01' is longer than 30 characters; the cloud appends a "
        "unique suffix to pool names, so shorten it",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_argument_models_reject_bad_input_naming_the_field(case):
    model, arguments, field, message = BAD_ARGUMENTS[case]
    with pytest.raises(ValidationError) as caught:
        model(**arguments)
    errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors()}
    assert errors.get(field) == f"Value error, {message}", errors
    if field:
        # What the user reads: the field's name, then what is wrong and how to fix it.
        assert f"{field}\n  Value error, {message}" in str(caught.value)


def test_eks_and_gke_node_pools_take_the_same_taint():
    taint = Taint(key="dedicated", value="batch", effect="NoExecute")
    eks = EksNodeGroupArgs(name="batch", instance_types=("m7i.large",), taints=(taint,))
    gke = GkeNodePoolArgs(name="batch", machine_type="e2-standard-4", taints=(taint,))
    assert eks.taints == gke.taints == (taint,)
    assert taint.cloud_effect == "NO_EXECUTE"
    with pytest.raises(ValidationError, match=r"taints\.0\.effect"):
        GkeNodePoolArgs(
            name="b", machine_type="e2-standard-4", taints=({"key": "k", "effect": "NoRun"},)
        )


# The same bad value, set through a stack file: the loader adds the key path to the very
# message the library's type gives (one rule, one place).
SHARED_RULES = {
    "Kubernetes version": (
        base(cluster={"kind": "existing", "kubernetesVersion": "1.35.0"}),
        "platform:cluster.kubernetesVersion",
        "a patch version",
    ),
    "AWS region": (
        cloud({**EKS, "eks": {**EKS["eks"], "region": "eu-west1"}}),
        "platform:cluster.eks.region",
        "a region without its dash",
    ),
    "IAM principal": (
        cloud({**EKS, "eks": {**EKS["eks"], "adminPrincipals": ["admins"]}}),
        "platform:cluster.eks.adminPrincipals[0]",
        "an admin that is no ARN",
    ),
    "CIDR": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"vpcCidr": "10.0.0.0/33"}}}),
        "platform:cluster.eks.network.vpcCidr",
        "a prefix longer than 32 bits",
    ),
    "VPC size": (
        cloud({**EKS, "eks": {**EKS["eks"], "network": {"vpcCidr": "10.0.0.0/24"}}}),
        "platform:cluster.eks.network.vpcCidr",
        "a VPC too small for the subnet plan",
    ),
    "Postgres major": (
        base(databases=[{"name": "orders", "postgresVersion": 9}]),
        "platform:databases[0].postgresVersion",
        "a Postgres major without an image",
    ),
    "storage size": (
        base(databases=[{"name": "orders", "storage": {"size": "50GB"}}]),
        "platform:databases[0].storage.size",
        "a storage size in GB",
    ),
    "backup interval in days": (
        base(databases=[{"name": "orders", "backups": {"schedule": "@every 1d"}}]),
        "platform:databases[0].backups.schedule",
        "a backup interval in days",
    ),
    "backup interval of zero": (
        base(databases=[{"name": "orders", "backups": {"schedule": "@every 0s"}}]),
        "platform:databases[0].backups.schedule",
        "a backup interval of zero",
    ),
    "backup interval that is no duration": (
        base(databases=[{"name": "orders", "backups": {"schedule": "@every soon"}}]),
        "platform:databases[0].backups.schedule",
        "a backup interval that is no duration",
    ),
    "backup interval without a unit": (
        base(databases=[{"name": "orders", "backups": {"schedule": "@every 1h30"}}]),
        "platform:databases[0].backups.schedule",
        "a backup interval with a number but no unit",
    ),
    "open endpoint": (
        cloud({**GKE, "gke": {**GKE["gke"], "authorizedNetworks": ["0.0.0.0/0"]}}),
        "platform:cluster.gke.authorizedNetworks[0]",
        "a public endpoint open to everyone",
    ),
    "log retention": (
        cloud({**EKS, "eks": {**EKS["eks"], "logRetentionDays": 100}}),
        "platform:cluster.eks.logRetentionDays",
        "a log retention CloudWatch does not offer",
    ),
    "pool name": (
        cloud(EKS, pools=[{**POOL, "name": "general-purpose-compute-pool-01"}]),
        "platform:nodePools[0].name",
        "a pool name the clouds cannot suffix",
    ),
}


@pytest.mark.parametrize("rule", sorted(SHARED_RULES))
def test_the_stack_configuration_reports_the_library_rule_with_its_key(rule):
    config, key, case = SHARED_RULES[rule]
    message = BAD_ARGUMENTS[case][3]
    values, secret_keys = loader.engine_config(config)
    with pytest.raises(ConfigurationError) as caught:
        loader.load(values, secret_keys=secret_keys, file_config=config, source="Pulumi.t.yaml")
    assert f"Pulumi.t.yaml: {key}: {message}" in str(caught.value).splitlines()


def _library_classes(kind: type) -> list[type]:
    modules = [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(library.__path__, f"{library.__name__}.")
    ]
    return sorted(
        {
            obj
            for module in modules
            for obj in vars(module).values()
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, kind)
        },
        key=lambda cls: f"{cls.__module__}.{cls.__name__}",
    )


COMPONENTS = [c for c in _library_classes(pulumi.ComponentResource) if "__init__" in vars(c)]
ARGS_MODELS = _library_classes(BaseModel)


def test_the_library_is_found():
    assert EksCluster in COMPONENTS
    assert len(COMPONENTS) >= 17 and len(ARGS_MODELS) >= 39


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_help_shows_the_components_own_arguments_and_outputs(component):
    text = pydoc.render_doc(component, renderer=pydoc.plaintext)
    init = inspect.getdoc(component.__init__)
    # Without a docstring of its own, __init__ inherits ComponentResource's (`t`, `props`).
    assert vars(component)["__init__"].__doc__, f"{component.__name__}.__init__ has no docstring"
    assert ":param str t:" not in text and "props" not in init
    assert "args" in init, init
    assert "Outputs" in (component.__doc__ or ""), component.__name__


@pytest.mark.parametrize("model", ARGS_MODELS, ids=lambda m: m.__name__)
def test_every_argument_model_has_a_docstring(model):
    assert vars(model).get("__doc__"), f"{model.__module__}.{model.__name__}"
    undocumented = [name for name, f in model.model_fields.items() if not f.description]
    assert not undocumented, undocumented
