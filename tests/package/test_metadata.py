"""Packaging metadata agrees with itself: pyproject.toml, the LICENSE file, the version, the
lowest-versions pins, the image's lock and the Dockerfile's layering."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import descent_lab

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def pins(path: Path) -> dict[str, Version]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def lower_bound(requirement: Requirement) -> Version:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(bounds) == 1, f"{requirement} needs exactly one lower bound"
    return bounds[0]


def requirements(*groups: str) -> list[Requirement]:
    found = [Requirement(r) for r in PROJECT["dependencies"]] if "runtime" in groups else []
    for group in groups:
        if group != "runtime":
            found += [Requirement(r) for r in PROJECT["optional-dependencies"][group]]
    return found


def test_license_is_an_spdx_expression_with_its_file():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_build_backend_is_bounded_on_both_sides():
    (backend,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert backend.name == "setuptools"
    assert lower_bound(backend) >= Version("77")  # the first to read a license expression
    assert any(s.operator == "<" for s in backend.specifier)


def test_version_comes_from_the_package():
    assert PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "descent_lab.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", descent_lab.__version__)


def test_every_dependency_is_bounded_below_and_above():
    for requirement in requirements("runtime", "serve", "notebook", "test"):
        lower_bound(requirement)
        if requirement.name not in ("ipython", "comm"):  # the notebook's own, whatever it runs
            assert any(s.operator == "<" for s in requirement.specifier), requirement


def test_lowest_pins_are_the_declared_minimums():
    lowest = pins(ROOT / "constraints" / "lowest.txt")
    declared = {canonicalize_name(r.name): lower_bound(r)
                for r in requirements("runtime", "serve", "notebook")}
    for tool in ("pytest", "hypothesis"):  # the test tools the lowest run uses
        (requirement,) = [r for r in requirements("test") if r.name == tool]
        declared[tool] = lower_bound(requirement)
    assert lowest == declared


def test_lock_satisfies_the_declared_ranges_and_the_build_backend():
    lock = pins(ROOT / "constraints" / "lock.txt")
    for requirement in requirements("runtime", "serve"):
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} missing from constraints/lock.txt (run scripts/lock.sh)"
        assert requirement.specifier.contains(lock[name]), f"{name}=={lock[name]} outside {requirement}"
    (backend,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert backend.specifier.contains(lock["setuptools"])  # the image builds without isolation


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    return [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_dockerfile_installs_dependencies_in_their_own_layer(dockerfile):
    copies = [i for i, line in enumerate(dockerfile) if line.startswith("COPY")]
    lock_copy = next(i for i in copies if "constraints/lock.txt" in dockerfile[i])
    source_copy = next(i for i in copies if re.match(r"COPY (--\S+ )*\. ", dockerfile[i]))
    deps_install = next(i for i, line in enumerate(dockerfile) if "-r constraints/lock.txt" in line)
    app_install = next(i for i, line in enumerate(dockerfile) if "--no-deps" in line)
    assert lock_copy < deps_install < source_copy < app_install


def test_dockerfile_runs_as_a_numeric_user_with_a_healthcheck(dockerfile):
    users = [line for line in dockerfile if line.startswith("USER ")]
    assert users[-1] == "USER 10001:10001"
    assert any(line.startswith("HEALTHCHECK") for line in dockerfile)
    assert any("/healthz" in line for line in dockerfile)
    cmd = [line for line in dockerfile if line.startswith("CMD")][-1]
    assert "scripts/serve.sh" in cmd
