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
