"""The grader checked against what was planted: synthetic submissions must rank as an expert would."""
from __future__ import annotations

import hashlib
import json

import pytest

import data_generators as dg
from grading.answers import reference_card
from grading.grader import grade
from grading.rubric_points import item_points
from grading.score import score_card
from livescreen.demo import fill_card
from livescreen.notebooks import candidate_folder, execute

from .conftest import GRADED, ROWS, host

SCENARIOS = dg.list_scenarios()
# Graded by measured discrimination: each pair builds its rival worlds (seconds each). make test
# ranks lead_conversion's calibration mismatch (the variant the other fast grading tests measure);
# the full tier ranks every family (selection bias and Simpson mix included) in the first scenario
# hosting it, each family's variants on one worker.
# make test ranks the run's graded variant (conftest.GRADED); the full tier every family's first host
FAST = {GRADED}
PAIRS = sorted({(host(f), 0, f, ROWS) for f in dg.FAMILIES} | FAST)


def group(family: str):
    return pytest.mark.xdist_group(f"measured-{family}")


@pytest.fixture
def truth_of(measured_variant):
    def make(name, family=None, seed=0, rows=ROWS):
        v = measured_variant(name, seed, family, rows)
        return v.truth.to_dict(), v.brief, v.schema["features"]
    return make


def submissions(truth, brief, features):
    ref = reference_card(truth, brief=brief)
    decoy_cols = [c for d in truth["decoys"] for c in d["columns"]]
    other = [c for c in features if c not in (truth["culprits"] or []) and c not in decoy_cols]
    wrong = {**ref, "hypothesis": {**ref["hypothesis"], "columns": other[:1], "segment": None, "onset": None},
             "experiment": {"type": "drop_columns_retrain", "columns": other[:1]}}
    d = truth["decoys"][0]
    chase_fam = dg.registry.get_decoy(d["kind"]).rival
    chaser = {"hypothesis": {"family": chase_fam, "columns": d["columns"], "segment": d.get("segment")},
              "evidence": "That column looks odd.",
              "experiment": {"type": "drop_columns_retrain", "columns": d["columns"]},
              "expected_if_true": "the gap closes", "expected_if_false": "the gap stays", "decision": "Drop it."}
    tune = {"hypothesis": {"family": ""}, "evidence": "AUC is lower online.",
            "experiment": {"type": "tune_hyperparameters"}, "expected_if_true": "AUC improves a lot",
            "expected_if_false": "AUC stays the same", "decision": "Ship the tuned model."}
    no_expect = {**ref, "expected_if_true": "", "expected_if_false": ""}
    return {"reference": ref, "no_expectation": no_expect, "wrong_culprit": wrong, "decoy_chaser": chaser,
            "tune": tune, "blank": {}}


def ranking_holds(scores: dict) -> list[str]:
    """What an expert's ranking says; returns the violations."""
    bad = []
    top = scores["reference"]
    if top < 0.999:
        bad.append(f"reference {top:.2f} < 1")
    if scores["blank"] != 0:
        bad.append("blank > 0")
    if scores["tune"] > 0.10:
        bad.append(f"tune {scores['tune']:.2f} > 0.10")
    for a, b in [("reference", "no_expectation"), ("no_expectation", "wrong_culprit"),
                 ("wrong_culprit", "decoy_chaser"), ("decoy_chaser", "tune")]:
        if not scores[a] > scores[b]:
            bad.append(f"{a} {scores[a]:.2f} not above {b} {scores[b]:.2f}")
    return bad


@pytest.mark.parametrize("name, seed, family, rows", [pytest.param(*p, marks=[group(p[2])] if p in FAST else [group(p[2]), pytest.mark.full])
                                                      for p in PAIRS], ids=lambda v: str(v))
def test_synthetic_submissions_rank_as_an_expert_would(name, seed, family, rows, truth_of):
    """Reference full, blank 0, "tune" at most 10%, and the others in an expert's order, for every
    family (selection bias and Simpson mix included), by measured discrimination, with the points
    the shipped rubric grades with?"""
    truth, brief, features = truth_of(name, family, seed, rows)
    scores = {}
    for kind, card in submissions(truth, brief, features).items():
        s = score_card(card, truth, brief=brief, known_columns=features, points=item_points(name))
        scores[kind] = s.total / s.max
        if kind == "tune":
            assert "red_flag_experiment" in s.flags
    assert ranking_holds(scores) == [], (name, scores)


def test_a_grader_that_passes_anything_fails_the_check():
    """Would a grader that gives everyone full marks be caught by the ranking check?"""
    v = dg.build_variant("saas_churn", 0, family="target_leakage", n_offline=1500, n_production=1500)
    truth, brief, features = v.truth.to_dict(), v.brief, v.schema["features"]
    scores = {k: 1.0 for k in submissions(truth, brief, features)}
    assert ranking_holds(scores)


# The control scenario plants nothing; only its decoys are there to be chased.
CONTROL = [s for s in SCENARIOS if dg.load_scenario(s).pool[0] == dg.NO_FAILURE]


def control_submissions(truth, brief):
    """The right answer ("nothing is broken") and, per decoy, a confident, well-argued card that
    claims the failure the decoy suggests (each is the reference card of that family)."""
    subs = {"reference": reference_card(truth, brief=brief)}
    for d in truth["decoys"]:
        story = {**truth, "family": dg.registry.get_decoy(d["kind"]).rival, "culprits": d["columns"],
                 "segment": d.get("segment"), "decoys": [], "outcomes": None}  # the decoy's story: its own reference
        subs[f"claims_{d['kind']}"] = reference_card(story, brief=brief)
    return subs


def control_holds(scores: dict) -> list[str]:
    """On the control the right answer gets full marks and every claimed failure at most half."""
    bad = [] if scores["reference"] >= 0.999 else [f"reference {scores['reference']:.2f} < 1"]
    bad += [f"{k} {v:.2f} > 0.5" for k, v in scores.items() if k.startswith("claims_") and v > 0.5]
    return bad


def test_there_is_a_control_scenario():
    """Does a shipped scenario plant nothing, with every decoy kind beside it?"""
    assert CONTROL, "no scenario leads its pool with no_failure"
    truth = dg.build_variant(CONTROL[0], 0, family=dg.NO_FAILURE, n_offline=1500, n_production=1500).truth
    assert truth.family == dg.NO_FAILURE and truth.culprits == [] and truth.segment is None
    assert {d["kind"] for d in truth.decoys} == set(dg.DECOY_KINDS)


@pytest.mark.full
@pytest.mark.parametrize("seed", [pytest.param(s, marks=group(dg.NO_FAILURE)) for s in (0, 1, 2)])
def test_on_the_control_a_claimed_failure_earns_at_most_half(seed, measured_variant):
    """Nothing planted: does "nothing is broken" get full marks and each decoy's story at most half?"""
    v = measured_variant(CONTROL[0], seed, dg.NO_FAILURE)
    truth, features = v.truth.to_dict(), v.schema["features"]
    scores = {}
    for kind, card in control_submissions(truth, v.brief).items():
        s = score_card(card, truth, brief=v.brief, known_columns=features, points=item_points(CONTROL[0]))
        scores[kind] = s.total / s.max
    assert len(scores) == 1 + len(truth["decoys"])
    assert control_holds(scores) == [], scores


def test_a_grader_that_passes_anything_fails_the_control():
    """Would a grader that gives every plausible card full marks be caught on the control?"""
    v = dg.build_variant(CONTROL[0], 0, family=dg.NO_FAILURE, n_offline=1500, n_production=1500)
    scores = {k: 1.0 for k in control_submissions(v.truth.to_dict(), v.brief)}
    assert control_holds(scores)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.slow
def test_real_nbgrader_reference_blank_and_malformed(tmp_path):
    """Does grade() give the reference full marks, an uncommitted blank 0, and a malformed file a status?"""
    out, truth_path = tmp_path / "ref", tmp_path / "truth.json"
    candidate_folder("saas_churn", seed=4, out=out, truth=truth_path, n_offline=3000, n_production=3000)
    truth = json.loads(truth_path.read_text())
    meta = json.loads((out / "schema.json").read_text())
    fill_card(out / "saas_churn.ipynb", reference_card(truth, brief=meta["brief"]))
    execute(out / "saas_churn.ipynb")
    before = _digest(out)
    r = grade(out, truth_path)
    assert r.status == "graded" and r.total == r.max and r.max > 0, r
    assert _digest(out) == before, "grading works on a copy"

    blank = tmp_path / "blank"
    candidate_folder("saas_churn", seed=4, out=blank, n_offline=3000, n_production=3000)
    rb = grade(blank, truth)
    assert rb.status == "no_card" and rb.total == 0

    broken = tmp_path / "broken"
    candidate_folder("saas_churn", seed=4, out=broken, n_offline=3000, n_production=3000)
    (broken / "saas_churn.ipynb").write_text("{ not json")
    (broken / "first_experiment.json").write_text((out / "first_experiment.json").read_text())
    rm = grade(broken, truth)
    assert rm.status == "malformed_notebook" and rm.total == rm.max, "the committed card still scores"
