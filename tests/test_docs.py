"""The configuration examples in README.md and docs/*.md stay valid: every `config:` document is
accepted by the real loader, and every `pulumi config set --path` command names real keys and
uses `--secret` where the key requires it."""

from __future__ import annotations

import re
import shlex
import textwrap
import typing
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from kube_platform.stacks import offline
from kube_platform.stacks.config import StackConfig
from kube_platform.stacks.types import is_secret_field
from tests.conftest import ROOT, stack_config

# configuration.md is generated from the models and checked by test_reference.py.
DOCS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "configuration.md"),
]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
# Documents without a cluster of their own are layered over these shipped stacks.
LAYER_ON = ("staging", "prod")


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            if match.group(2) == language:
                line = text[: match.start()].count("\n") + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", textwrap.dedent(match.group(3))))
    return found


def _config_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for where, body in _blocks("yaml"):
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            continue  # fragments elided with `...`
        if isinstance(document, dict) and isinstance(document.get("config"), dict):
            documents.append((where, document["config"]))
    return documents


def _config_set_commands() -> list[tuple[str, str]]:
    commands = []
    for where, body in _blocks("sh") + _blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"^#\s*\w+:\s*", "", line.strip())  # "# GKE: pulumi config set ..."
            if line.startswith("pulumi config set"):
                commands.append((where, line))
    return commands


CASES = [
    (f"{where} on {stack}", stack, config)
    for where, config in _config_documents()
    for stack in ((None,) if "platform:cluster" in config else LAYER_ON)
]


def test_docs_have_examples():
    assert len(_config_documents()) >= 5
    assert len(_config_set_commands()) >= 30


@pytest.mark.parametrize(("stack", "config"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_documents_are_accepted(stack, config):
    full = config if stack is None else {**stack_config(stack), **config}
    run = offline.run("docs", config=full, project_dir=ROOT)
    assert run.unknown_invokes == []


def _field(model: type[BaseModel], alias: str):
    for name, field in model.model_fields.items():
        if (field.alias or name) == alias:
            return field
    raise KeyError(f"{model.__name__} has no key {alias!r}")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (model := _model_of(arg)) is not None:
            return model
    return None


@pytest.mark.parametrize(("where", "command"), _config_set_commands())
def test_config_set_commands_name_real_keys(where, command):
    args = shlex.split(command, comments=True)
    path = next(a for a in args[3:] if a.startswith("platform:"))
    assert "--path" in args or "." not in path, f"{where}: {command} needs --path"
    model, field = StackConfig, None
    for segment in re.sub(r"\[\d+\]", "", path.removeprefix("platform:")).split("."):
        assert model is not None, f"{where}: {path}: {segment!r} is below a plain value"
        try:
            field = _field(model, segment)
        except KeyError as exc:
            pytest.fail(f"{where}: {path}: {exc}")
        model = _model_of(field.annotation)
    secret_ok = "--secret" in args or not is_secret_field(field)
    assert secret_ok, f"{where}: {path} holds a secret: set it with --secret"


def test_examples_use_shipped_paths():
    """Files and folders the docs tell people to open or copy exist."""
    text = "\n".join(p.read_text() for p in [*DOCS, ROOT / "examples" / "gke" / "README.md"])
    for path in re.findall(
        r"\b((?:examples|docs|components|stacks)/[\w./-]+\.(?:py|md|yaml))", text
    ):
        assert (ROOT / path).exists() or (ROOT / "examples" / "gke" / path).exists(), path


# --- statements the docs make about what the program does ----------------------------------


def _doc(name: str) -> str:
    return (ROOT / name).read_text()


def test_the_gke_access_command_is_the_one_the_example_stack_exports(stack_run):
    """The example stack `gke-prod` (its fixture copy) names its cluster platform-gke-prod."""
    command = re.search(
        r"gcloud container clusters get-credentials .*?--dns-endpoint",
        _doc("docs/access.md").replace("\\\n", " "),
        re.S,
    )
    assert command is not None
    exported = stack_run("gke-prod").outputs["apiAccess"].value["command"]
    assert " ".join(command.group(0).split()) == exported


def test_outputs_the_readme_calls_null_are_null_without_a_cloud_store(stack_run):
    assert "`secretStore` and\n`secretPrefix` (`null` without a cloud secret store)" in _doc(
        "README.md"
    )
    outputs = stack_run("dev").outputs
    assert outputs["secretStore"].value is None
    assert outputs["secretPrefix"].value is None


@pytest.mark.parametrize("stack", ["dev", "staging", "gke-staging"])
def test_databases_doc_names_the_storage_class_each_cluster_kind_uses(stack_run, stack):
    run = stack_run(stack)
    postgres = run.of_type("kubernetes:postgresql.cnpg.io/v1:Cluster")
    assert postgres, stack
    storage_class = postgres[0].inputs["spec"]["storage"]["storageClass"]
    assert f"`{storage_class}`" in _doc("docs/databases.md")


def test_the_dev_port_forward_reaches_the_traefik_the_program_installs(stack_run):
    text = _doc("docs/traffic.md")
    forward = re.search(r"kubectl -n (\S+) port-forward service/(\S+) (\d+):(\d+)", text)
    curl = re.search(r"--resolve ([\w.-]+):(\d+):127\.0\.0\.1", text)
    assert forward is not None and curl is not None
    namespace, service, local, remote = forward.groups()
    run = stack_run("dev")
    traefik = next(
        r.inputs
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "traefik"
    )
    # The chart names its Service after a release whose name contains the chart's.
    assert (namespace, service) == (traefik["namespace"], traefik["name"])
    assert "traefik" in traefik["name"]
    assert remote == "443", "the chart exposes websecure on 443 unless the values say otherwise"
    exposed = traefik.get("values", {}).get("ports", {}).get("websecure", {}).get("exposedPort")
    assert exposed in (None, 443)
    host, port = curl.groups()
    assert port == local
    assert host.endswith("." + run.outputs["platformDomain"].value)


@pytest.mark.parametrize("stack", ["gke-staging", "gke-prod"])
def test_the_gke_examples_readme_describes_each_file(stack):
    """What tells the two examples apart: tier, release channel, disk type and pool names."""
    config = {"config": stack_config(stack)}  # the fixture copy of the example
    text = _doc("examples/gke/README.md")
    entry = text.split(f"`Pulumi.{stack}.yaml`", 1)[1].split("\n- ", 1)[0]
    gke = config["config"]["platform:cluster"]["gke"]
    assert f"{config['config']['platform:tier']} tier" in entry
    assert f"`{gke['releaseChannel']}`" in entry
    assert f"`{gke['databaseDiskType']}`" in entry
    for pool in config["config"]["platform:nodePools"]:
        assert f"`{pool['name']}`" in entry
    assert "same shape" not in text
