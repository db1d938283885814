"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps += extra
    return {d.replace(" ", "") for d in deps}


def _environment_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    return {d.replace(" ", "") for d in pip_lists[0] if d != "-e ."}


def test_environment_yml_matches_pyproject():
    in_pyproject = _pyproject_requirements()
    in_environment = _environment_requirements()
    assert in_pyproject - in_environment == set(), "add these to environment.yml"
    assert in_environment - in_pyproject == set(), "add these to pyproject.toml"


def test_environment_pins_the_projects_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert "-e ." in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def test_required_stack_is_declared():
    names = {r.split(">")[0].split("=")[0].split("[")[0].lower() for r in _pyproject_requirements()}
    required = {
        "jupyterlab",
        "pandas",
        "scikit-learn",
        "statsmodels",
        "matplotlib",
        "seaborn",
        "papermill",
        "nbconvert",
        "ipykernel",
        "pyarrow",
        "pytest",
        "pandera",
        "openpyxl",
        "dask",
    }
    assert required - names == set()
