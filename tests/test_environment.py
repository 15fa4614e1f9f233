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


GROUPED = """
import os, pytest
pytestmark = pytest.mark.xdist_group("one")

@pytest.fixture(scope="module")
def built():
    with open(os.environ["SETUPS"], "a") as fh:
        fh.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
    return True

@pytest.mark.parametrize("i", range(8))
def test_uses_it(built, i):
    assert built
"""


def test_an_xdist_group_runs_on_one_worker_and_builds_its_module_fixture_once(tmp_path):
    """With the suite's own options (-n 2 --dist loadgroup), do a module's tests marked with one
    xdist_group run on one worker, so its expensive module fixture is built once? (pytest 9.2 with
    pytest-xdist 3.8 spread them over both workers and built it on each: pytest is pinned below 9.)"""
    import os
    import sys
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_other.py").write_text("import pytest\n@pytest.mark.parametrize('i', range(8))\ndef test_x(i):\n    pass\n")
    setups = tmp_path / "setups.txt"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                          "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path)],
                         capture_output=True, text=True, env={**os.environ, "SETUPS": str(setups)}, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(setups.read_text().split()) == 1, setups.read_text()
