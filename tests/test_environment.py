"""The project's own contracts: environment.yml agrees with pyproject.toml; the Makefile's targets."""
from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return re.sub(r"\s+", "", req[len(re.split(r"[<>=!~ \[]", req, maxsplit=1)[0]):])


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    """Do environment.yml (conda-forge) and pyproject.toml list the same packages and bounds?"""
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): _spec(r) for r in py["dependencies"] + py["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): _spec(d) for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("pip", None)
    python = conda.pop("python")
    assert python == ">=3.11" and py["requires-python"] == ">=3.11"
    assert conda == wanted
    assert "conda-forge" in env["channels"]


def test_nbgrader_is_pinned():
    """Is nbgrader pinned to 0.9.6 (earlier lab extensions break JupyterLab 4.3+)?"""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "nbgrader==0.9.6" in deps


def test_make_help_lists_demo_and_test():
    """Does `make help` document the two commands of the README?"""
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s+demo: ", out, re.M) and re.search(r"^\s+test: ", out, re.M)
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
