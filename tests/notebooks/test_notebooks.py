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
from livescreen.toolkit.report import FIGURES, MONITORING, REPORT_FILE

from ..grading.conftest import GRADED

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
    """Run one candidate folder per (scenario, seed, card): ``filled`` writes the reference card and
    switches the commit cell on, as a candidate who commits does; ``"uncommitted"`` writes it only."""
    made = {}

    def run(name, seed, filled):
        key = (name, seed, filled)
        if key not in made:
            root = tmp_path_factory.mktemp(f"{name}-{seed}")
            out, truth = root / "candidate", root / "truth.json"
            candidate_folder(name, seed=seed, out=out, truth=truth, measure=False, **SMALL)  # not graded
            nb = out / f"{name}.ipynb"
            t = json.loads(truth.read_text())
            if filled:
                fill_card(nb, reference_card(t, brief=json.loads((out / "schema.json").read_text())["brief"]),
                          commit=filled != "uncommitted")
            made[key] = (out, execute(nb), t)
        return made[key]
    return run


def _errors(nb):
    return [(c.metadata.get("nbgrader", {}).get("grade_id"), o.get("ename"))
            for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _text_of(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        parts.append(o.get("text", ""))
        data = o.get("data", {})
        parts.append(data.get("text/html", "") if isinstance(data.get("text/html", ""), str) else "")
        parts.append(data.get("text/plain", ""))
    return "".join(parts)


def _by_id(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


# make test: every scenario once, the card empty on even positions and filled (and committed) on odd
# ones, so both paths run across scenarios; make test-all: seeds 2-4 of every scenario, both ways.
FAST = [pytest.param(n, 3, i % 2 == 1, marks=pytest.mark.xdist_group(f"notebook-{n}"),
                     id=f"{n}-seed3-card-{'filled' if i % 2 else 'empty'}") for i, n in enumerate(SCENARIOS)]
FULL = [pytest.param(n, s, f, marks=[pytest.mark.full, pytest.mark.xdist_group(f"notebook-{n}")],
                     id=f"{n}-seed{s}-card-{'filled' if f else 'empty'}")
        for i, n in enumerate(SCENARIOS) for s, f in ((2, True), (4, True), (3, i % 2 == 0), (2, False), (4, False))]


@pytest.mark.slow
@pytest.mark.parametrize("name,seed,filled", FAST + FULL)
def test_notebook_executes_headless(name, seed, filled, executed):
    """Does the released notebook Run All with no error, card filled (and committed) or empty, with quiet
    grade cells, one visible line from the check cell and the experiment's result shown once?"""
    out, nb, truth = executed(name, seed, filled)
    assert _errors(nb) == [], _errors(nb)
    for gid in (g for g in (c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells) if g and g.startswith("item_")):
        assert _by_id(nb, gid).get("outputs", []) == [], f"{gid} prints nothing for the candidate"
    check = _text_of(_by_id(nb, "card_check"))
    assert len(_by_id(nb, "card_check").outputs) == 1 and "FIRST_EXPERIMENT = " not in check
    run = _by_id(nb, "run")
    if filled:
        rec = json.loads((out / "first_experiment.json").read_text())
        assert rec["card"]["hypothesis"]["family"] == truth["family"] and rec["committed_at"]
        assert "it is the one that counts" in check
        shown = [o for o in run.outputs if o.get("output_type") in ("display_data", "execute_result")]
        assert len(shown) == 2 and sum("text/html" in o.get("data", {}) for o in shown) == 1, \
            "the result's table and its figure, each once"
    else:
        assert "No card yet" in check and "hypothesis.family" in check
        assert not (out / "first_experiment.json").exists()
        assert "No card is committed yet" in _text_of(run)
    kinds = {o.get("output_type") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])}
    assert "display_data" in kinds
    pngs = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert pngs >= 3, "report, curves, importance and the gap are drawn"


@pytest.mark.slow
def test_run_all_never_commits(executed):
    """With a complete card written but the commit cell left as released, does Run All commit nothing,
    keep the card as a draft, and say it is complete?"""
    out, nb, truth = executed("saas_churn", 5, "uncommitted")
    assert _errors(nb) == []
    assert not (out / "first_experiment.json").exists() and not (out / "first_experiment_history.jsonl").exists()
    draft = json.loads((out / "first_experiment_draft.json").read_text())
    assert draft["card"]["hypothesis"]["family"] == truth["family"] and draft["source"] == "notebook"
    assert "The card is complete" in _text_of(_by_id(nb, "card_check"))


# the scan reads the empty-card run of seed 3: in make test for the scenarios run empty there, in
# make test-all for the others
EMPTY = [pytest.param(n, marks=[pytest.mark.xdist_group(f"notebook-{n}")] + ([pytest.mark.full] if i % 2 else []),
                      id=n) for i, n in enumerate(SCENARIOS)]


@pytest.mark.slow
@pytest.mark.parametrize("name", EMPTY)
def test_nothing_a_candidate_has_reveals_the_truth(name, executed):
    """After Run All with an empty card, does any file in the candidate folder carry the family, seed or decoys?"""
    out, _, truth = executed(name, 3, False)
    fam = truth["family"]
    words = {"truth", TRUTH_ENV.lower(), "harmless_drift", "null_jump", "suspicious_legit",
             "noise_segment", "decoy", "planted"}
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(errors="ignore").lower()
        if path.suffix == ".ipynb":  # pictures are base64: letters in them can spell anything
            text = re.sub(r'"image/png": "[a-z0-9+/=\\n]*"', '"image/png": ""', text)
        if path.name == REPORT_FILE:  # the team's report figures, likewise
            text = re.sub(r'"(%s)": "[a-z0-9+/=]*"' % "|".join((*FIGURES, MONITORING)), r'"\1": ""', text)
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


def test_nbgrader_validate_solution_passes_and_handout_runs_clean(tmp_path):
    """Does `nbgrader validate` pass the solution, and find no failing cell in the unanswered handout
    (its grade cells are quiet until grading)?"""
    # the run's graded variant: validating the solution grades it, which looks its outcomes up in the
    # run's one measurement of it (tests/conftest.py shared_measurements) instead of measuring seed 1
    name, seed, _, rows = GRADED
    out, truth = tmp_path / "cand", tmp_path / "truth.json"
    candidate_folder(name, seed=seed, out=out, truth=truth, measure=False, n_offline=rows, n_production=rows)
    sol = out / "solution.ipynb"
    sol.write_bytes((REPO / "solutions" / name / f"{name}.ipynb").read_bytes())
    env = {**os.environ, TRUTH_ENV: str(truth), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbg = [sys.executable, "-m", "nbgrader", "validate"]
    ok = subprocess.run([*nbg, str(sol)], capture_output=True, text=True, cwd=out, env=env)
    assert "Success! Your notebook passes all the tests." in ok.stdout + ok.stderr, ok.stdout + ok.stderr
    handout = out / f"{name}.ipynb"
    plain = subprocess.run([*nbg, str(handout)], capture_output=True, text=True, cwd=out, env=env)
    text = plain.stdout + plain.stderr
    assert "Traceback" not in text and "CardError" not in text, text
    assert not (out / "first_experiment.json").exists(), "validating commits nothing"
