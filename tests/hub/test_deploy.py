"""Past one machine: the Zero to JupyterHub values and the candidate image's recipe."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from livescreen.hub import candidate_env, paths

Z2JH = paths.REPO / "deploy" / "z2jh"


def _values() -> dict:
    return yaml.safe_load((Z2JH / "values.yaml").read_text())


def test_the_values_file_validates_against_the_charts_schema():
    """Does deploy/z2jh/values.yaml pass the chart's published values schema (copy in deploy/z2jh)?"""
    schema_text = (Z2JH / "values.schema.yaml").read_text()
    assert "jupyterhub/zero-to-jupyterhub-k8s" in schema_text.splitlines()[1], "the copy names its source"
    errors = sorted(e.message for e in jsonschema.Draft7Validator(yaml.safe_load(schema_text)).iter_errors(_values()))
    assert errors == []


def test_a_broken_values_file_is_caught():
    """Would the schema catch a typo (so the check above is not vacuous)?"""
    schema = yaml.safe_load((Z2JH / "values.schema.yaml").read_text())
    bad = _values()
    bad["singleuser"]["storrage"] = bad["singleuser"].pop("storage")
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))


def test_the_values_give_what_an_interviewer_needs():
    """Candidate image, per-user storage, idle culling, no cloud metadata, interviewer profile for interviewers only."""
    v = _values()
    su = v["singleuser"]
    assert su["image"]["name"].endswith("/candidate")
    assert su["storage"]["type"] == "dynamic" and su["storage"]["capacity"]
    assert v["cull"]["enabled"] and v["cull"]["timeout"] <= 3600 and v["cull"]["maxAge"]
    assert su["networkPolicy"]["enabled"] and su["networkPolicy"]["egressAllowRules"]["cloudMetadataServer"] is False
    assert su["memory"]["limit"] and su["cpu"]["limit"]
    extra = v["hub"]["extraConfig"]["livescreen"]
    assert "profileList" not in su, "a chart-level profile list is offered to everyone"
    assert re.search(r"if spawner\.user\.admin or \"interviewers\" in groups:\s*\n\s*return \[CANDIDATE, INTERVIEWER\]", extra)
    assert v["hub"]["config"]["Authenticator"]["allow_all"] is False


def test_the_candidate_image_holds_only_the_candidate_environment():
    """Does the image's final stage copy the candidate environment alone, built by the same recipe?"""
    text = (Z2JH / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM "):]
    assert re.findall(r"^COPY .*$", final, re.M) == ["COPY --from=builder /opt/candidate /opt/candidate"]
    builder = text[:text.rindex("\nFROM ")]
    copied = " ".join(re.findall(r"^COPY (.*)$", builder, re.M))
    for banned in ("data_generators", "grading", "solutions", "exercises", "scenarios", "rubrics", "COPY . "):
        assert banned not in copied
    assert "candidate_env import build" in builder


def test_the_candidate_environment_has_no_engine_grader_or_nbgrader():
    """The package list of the environment that recipe builds (`make candidate-env`): no answer in it."""
    env = paths.candidate_env()
    if not (env / "bin" / "python").is_file():
        pytest.skip(f"no candidate environment at {env}: run `make candidate-env`")
    names = candidate_env.installed(env)
    assert "livescreen-toolkit" in names and "jupyterhub" in names and "ipykernel" in names
    assert not set(names) & {"data-generators", "data_generators", "grading", "nbgrader", "livescreen"}
    res = subprocess.run([str(env / "bin" / "python"), "-c",
                          "import importlib.util as u; print([m for m in ('data_generators', 'grading', 'nbgrader',"
                          " 'livescreen.cli', 'livescreen.hub') if u.find_spec(m.split('.')[0]) and "
                          "(u.find_spec(m) if '.' in m else True)])"],
                         capture_output=True, text=True, cwd="/")
    assert res.returncode == 0 and res.stdout.strip() == "[]", res.stdout + res.stderr
    files = [p for p in (env / "lib").rglob("*") if p.suffix in (".yaml", ".ipynb")]
    assert not [p for p in files if "livescreen" in str(p) or "scenarios" in str(p)]


def _build_stage(text: str) -> tuple[list[tuple[list[str], str]], str]:
    """The build stage's ``COPY src... dest`` lines and its RUN text."""
    builder = text[:text.rindex("\nFROM ")]
    copies = []
    for line in re.findall(r"^COPY (.*)$", builder, re.M):
        *srcs, dest = line.split()
        copies.append((srcs, dest))
    return copies, " ".join(re.findall(r"^RUN (.*(?:\n .*)*)", builder, re.M))


def test_the_image_build_stage_runs_from_exactly_what_it_copies_and_installs_no_answer(tmp_path):
    """The image is not built here (no Docker engine on this machine), so its build stage is replayed: only
    the files its COPY lines take, laid out as they would be in /src, then the import its RUN line does, with
    a Python that has no livescreen of its own. From there: the package list it would install (the
    requirements and the toolkit's own distribution) and the toolkit's files: no data_generators, grading,
    nbgrader or the rest of the kit, and no toolkit file importing them."""
    import ast
    import json
    import shutil
    import sys
    copies, run = _build_stage((Z2JH / "Dockerfile").read_text())
    assert "from livescreen.hub.candidate_env import build" in run and "cd /src" in run
    ctx = tmp_path / "image"
    for srcs, dest in copies:
        for src in srcs:
            target = ctx / dest.lstrip("/") / (Path(src).name if dest.endswith("/") else "")
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (paths.REPO / src).is_dir() else shutil.copyfile)(paths.REPO / src, target)
    python = "/usr/bin/python3" if Path("/usr/bin/python3").is_file() else sys.executable
    code = ("import json, livescreen, livescreen.hub.candidate_env as c\n"
            "proj = c.toolkit_project(__import__('pathlib').Path(" + repr(str(tmp_path / "proj")) + "))\n"
            "print(json.dumps({'livescreen': livescreen.__file__, 'requirements': c.REQUIREMENTS,"
            " 'forbidden': list(c.FORBIDDEN),"
            " 'files': sorted(str(p.relative_to(proj)) for p in proj.rglob('*') if p.is_file())}))")
    res = subprocess.run([python, "-c", code], cwd=ctx / "src", capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout)
    assert got["livescreen"].startswith(str(ctx)), "the import came from the copied files"
    names = {re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in got["requirements"]}
    banned = {"data-generators", "grading", "nbgrader", "livescreen"}
    assert names and not names & banned, names
    assert set(got["forbidden"]) >= {"data_generators", "grading", "nbgrader"}
    py = [f for f in got["files"] if f.endswith(".py")]
    assert "livescreen/toolkit/notebook.py" in py and "pyproject.toml" in got["files"]
    assert all(f == "livescreen/__init__.py" or f.startswith("livescreen/toolkit/") for f in py), py
    for f in py:
        for node in ast.walk(ast.parse((tmp_path / "proj" / f).read_text())):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            assert not [m for m in mods if m.split(".")[0] in ("data_generators", "grading", "nbgrader")
                        or (m.startswith("livescreen.") and not m.startswith("livescreen.toolkit"))], (f, mods)


def test_candidate_pods_and_servers_compute_on_one_thread():
    """The image, the chart's values and the hub's config give kernels one BLAS/OpenMP thread each."""
    env = _values()["singleuser"]["extraEnv"]
    assert {k: str(env.get(k)) for k in paths.ONE_THREAD} == paths.ONE_THREAD
    text = (Z2JH / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM "):]
    for k, v in paths.ONE_THREAD.items():
        assert f"{k}={v}" in final
    assert "paths.ONE_THREAD" in paths.hub_config().read_text()
