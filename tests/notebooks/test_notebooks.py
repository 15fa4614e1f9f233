"""The live notebook: built from each scenario, released by nbgrader, executed headless (nbclient)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import data_generators as dg
from grading.answers import TRUTH_ENV, reference_card
from livescreen.demo import fill_card
from livescreen.notebooks import REPO, candidate_folder, execute, source_notebook

SCENARIOS = dg.list_scenarios()
SMALL = {"n_offline": 4000, "n_production": 4000}


def _cells(nb):
    return [(c.cell_type, c.source, c.metadata.get("nbgrader", {}).get("grade_id")) for c in nb.cells]


@pytest.mark.parametrize("name", SCENARIOS)
def test_source_is_built_from_the_scenario_and_handout_is_clean(name):
    """Is solutions/ what the builder makes, and does the handout hold no solution, hidden test or output?"""
    src = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    assert _cells(src) == _cells(source_notebook(name))
    ex = nbformat.read(REPO / "exercises" / name / f"{name}.ipynb", as_version=4)
    text = json.dumps([c.source for c in ex.cells])
    for banned in ("BEGIN SOLUTION", "HIDDEN TESTS", "grading.", "reference_card", TRUTH_ENV):
        assert banned not in text, banned
    assert "FIRST_EXPERIMENT = blank_card()" in text
    assert all(not c.get("outputs") for c in ex.cells if c.cell_type == "code")
    assert not [f for f in dg.load_scenario(name).pool if f in json.dumps(ex)]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run one candidate folder per scenario: even seeds with the card filled, odd ones empty."""
    made = {}

    def run(name, seed, filled):
        key = (name, seed, filled)
        if key not in made:
            root = tmp_path_factory.mktemp(f"{name}-{seed}")
            out, truth = root / "candidate", root / "truth.json"
            candidate_folder(name, seed=seed, out=out, truth=truth, **SMALL)
            nb = out / f"{name}.ipynb"
            t = json.loads(truth.read_text())
            if filled:
                fill_card(nb, reference_card(t, brief=json.loads((out / "schema.json").read_text())["brief"]))
            made[key] = (out, execute(nb), t)
        return made[key]
    return run


def _errors(nb):
    return [(c.metadata.get("nbgrader", {}).get("grade_id"), o.get("ename"))
            for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]


# Every scenario, three seeds: the card filled in on seeds 2 and 4, left empty on seed 3
# (about 6 s per run at the small size used here).
RUNS = [(2, True), (3, False), (4, True)]
# one xdist worker per scenario, so the empty-card run is shared by the truth scan
GROUPED = [pytest.param(n, marks=pytest.mark.xdist_group(f"notebook-{n}"), id=n) for n in SCENARIOS]


@pytest.mark.slow
@pytest.mark.parametrize("name", GROUPED)
@pytest.mark.parametrize("seed,filled", RUNS, ids=[f"seed{s}-card-{'filled' if f else 'empty'}" for s, f in RUNS])
def test_notebook_executes_headless(name, seed, filled, executed):
    """Does the released notebook run top to bottom, with the card filled in and with it empty?"""
    out, nb, truth = executed(name, seed, filled)
    errors = _errors(nb)
    if filled:
        assert errors == [], errors
        rec = json.loads((out / "first_experiment.json").read_text())
        assert rec["card"]["hypothesis"]["family"] == truth["family"] and rec["committed_at"]
        run = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "run")
        assert run.outputs, "the committed experiment ran and showed its result"
    else:
        assert errors and all(e == "CardError" for _, e in errors), errors
        assert {g for g, _ in errors} == {"card_check"} | {f"item_{i}" for i in
                                                           ("family", "culprit", "discrimination", "expectations", "decision", "cost")}
        assert not (out / "first_experiment.json").exists()
    kinds = {o.get("output_type") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])}
    assert "display_data" in kinds
    pngs = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert pngs >= 3, "report, curves, importance and the gap are drawn"


@pytest.mark.slow
@pytest.mark.parametrize("name", GROUPED)
def test_nothing_a_candidate_has_reveals_the_truth(name, executed):
    """After Run All with an empty card, does any file in the candidate folder carry the family, seed or decoys?"""
    out, _, truth = executed(name, 3, False)
    fam = truth["family"]
    words = {"truth", TRUTH_ENV.lower(), "harmless_drift", "null_jump", "suspicious_legit",
             "noise_segment", "decoy"}
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(errors="ignore").lower()
        if path.suffix == ".ipynb":  # pictures are base64: letters in them can spell anything
            text = re.sub(r'"image/png": "[a-z0-9+/=\\n]*"', '"image/png": ""', text)
        found = [w for w in words if w in text]
        assert not found, f"{path.name} mentions {found}"
        counts = {f: text.count(f) for f in dg.PLANTABLE}
        if path.suffix == ".ipynb" or path.name == "schema.json":
            # the card lists every family as public vocabulary: the planted one is not singled out
            assert len(set(counts.values())) == 1, f"{path.name} names families unevenly: {counts}"
        else:
            assert counts[fam] == 0 and fam.replace("_", " ") not in text, f"{path.name} names {fam}"
    meta = json.loads((out / "schema.json").read_text())
    assert "seed" not in json.dumps(meta).lower()


def test_nbgrader_validate_solution_passes_and_handout_fails(tmp_path):
    """Does `nbgrader validate` pass the solution and `--invert` show the handout's check failing?"""
    name = "saas_churn"
    out, truth = tmp_path / "cand", tmp_path / "truth.json"
    candidate_folder(name, seed=1, out=out, truth=truth, **SMALL)
    sol = out / "solution.ipynb"
    sol.write_bytes((REPO / "solutions" / name / f"{name}.ipynb").read_bytes())
    env = {**os.environ, TRUTH_ENV: str(truth), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbg = [sys.executable, "-m", "nbgrader", "validate"]
    ok = subprocess.run([*nbg, str(sol)], capture_output=True, text=True, cwd=out, env=env)
    assert "Success! Your notebook passes all the tests." in ok.stdout + ok.stderr, ok.stdout + ok.stderr
    handout = out / f"{name}.ipynb"
    inv = subprocess.run([*nbg, "--invert", str(handout)], capture_output=True, text=True, cwd=out, env=env)
    plain = subprocess.run([*nbg, str(handout)], capture_output=True, text=True, cwd=out, env=env)
    assert "Success!" not in plain.stdout + plain.stderr, "the unanswered handout must not pass"
    assert "card_check" in plain.stdout + plain.stderr or "CardError" in plain.stdout + plain.stderr
    assert "Success!" in inv.stdout + inv.stderr, inv.stdout + inv.stderr
