"""Installed with pip, the library lives under one import name, `kube_platform`, so a project
with its own `components` package can use it: the README's import example and the project in
examples/consumer run as written from a wheel built of this checkout, with the checkout itself
out of reach."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

CONSUMER = ROOT / "examples" / "consumer"
# The folders the wheel maps to `kube_platform.<folder>`.
SOURCE_FOLDERS = ("components", "stacks")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "venv", ".venv")


def test_every_package_folder_is_in_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {f"kube_platform.{f}": f for f in SOURCE_FOLDERS}
    folders = {
        ".".join(("kube_platform", *init.parent.relative_to(ROOT).parts))
        for folder in SOURCE_FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == folders


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, installed (without its dependencies, which the test
    environment has) into a folder of its own."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in SOURCE_FOLDERS:
        shutil.copytree(ROOT / folder, source / folder, ignore=_IGNORED)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", work / "dist", source],
        check=True,
        capture_output=True,
    )
    [wheel] = (work / "dist").glob("kube_platform-*.whl")
    target = work / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-compile", "--target", target, wheel],
        check=True,
        capture_output=True,
    )
    return target


# Runs in the consumer's folder: the README's example through the offline runner, then the
# consumer's own tests, reporting where each package came from.
CONSUMER_RUN = """
import json, sys
import components, kube_platform.components
from kube_platform.stacks.offline import run_program

readme = run_program(lambda: exec(compile(sys.argv[1], "README.md", "exec"), {}))
print(json.dumps({
    "library": kube_platform.components.__file__,
    "own_components": components.__file__,
    "path": sys.path,
    "modules": sorted(sys.modules),
    "readme_types": sorted({r.type for r in readme.registrations.values()}),
    "readme_outputs": sorted(readme.outputs),
}))
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "tests"]))
"""


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using the components in another Pulumi project") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def consumer_run(installed_wheel, tmp_path_factory) -> tuple[dict, str, Path]:
    """The consumer project run by an interpreter that sees the installed wheel, the
    consumer's folder and the test environment's dependencies, but not this checkout: no
    site initialisation, so the editable install's path hook never loads."""
    project = tmp_path_factory.mktemp("consumer") / "consumer"
    shutil.copytree(CONSUMER, project, ignore=_IGNORED)
    dependencies = sysconfig.get_paths()["purelib"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        "PYTHONPATH": os.pathsep.join([str(installed_wheel), str(project), dependencies]),
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", CONSUMER_RUN, _readme_example()],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report_line, _, pytest_output = result.stdout.partition("\n")
    assert report_line.startswith("{"), result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(report_line), pytest_output, project


def test_the_library_is_imported_from_the_wheel_next_to_the_consumers_components(
    consumer_run, installed_wheel
):
    report, _, project = consumer_run
    assert report["library"].startswith(f"{installed_wheel}/kube_platform/components/")
    assert report["own_components"] == f"{project}/components/__init__.py"
    assert str(ROOT) not in report["path"]
    assert not [m for m in report["modules"] if "editable" in m]


def test_the_readme_import_example_runs_from_the_wheel(consumer_run):
    report, _, _ = consumer_run
    assert "platform:index:ExistingCluster" in report["readme_types"]
    assert "pulumi:providers:kubernetes" in report["readme_types"]
    assert report["readme_outputs"] == ["endpoint"]


def test_the_consumer_projects_tests_pass_from_the_wheel(consumer_run):
    _, pytest_output, _ = consumer_run
    assert re.search(r"\b4 passed\b", pytest_output), pytest_output
