"""Measured outcomes (``grading.measured``): stored with the truth when a folder is made, looked up
when grading, measured in the grader's process for parameters nobody stored, never in the folder."""
from __future__ import annotations

import json

import pytest

import data_generators as dg
from grading import measured as M
from grading.discrimination import candidate_experiments, discrimination, hypothesis_set
from grading.score import score_card
from livescreen.toolkit.experiments import run_experiment

from .conftest import GRADED

pytestmark = pytest.mark.xdist_group("measured-prior_shift")


def test_experiment_keys_are_canonical():
    """Do the same experiment's spellings share one key, with parameters it does not take dropped?"""
    a = M.experiment_key({"type": "drop_columns_retrain", "columns": ["b", "a"]})
    assert a == M.experiment_key({"type": "drop_columns_retrain", "column": ["a", "b"]}) or \
        a == M.experiment_key({"type": "drop_columns_retrain", "params": {"columns": ["a", "b"]}})
    assert M.experiment_key({"type": "segment_metrics", "columns": ["x"]}) == M.experiment_key({"type": "segment_metrics", "column": "x"})
    assert M.experiment_key({"type": "out_of_time_split", "columns": ["x"]}) == M.experiment_key({"type": "out_of_time_split"})
    assert M.experiment_key({"type": "no_such"}) is None and M.experiment_key(None) is None


def test_column_map_is_a_permutation_by_role():
    """Does a rival world's map send each decoy kind's column to the candidate's, and in a decoy's
    world the rival's culprit to the decoy's column, one to one?"""
    truth = {"decoys": [{"kind": "null_jump", "columns": ["a"]}, {"kind": "harmless_drift", "columns": ["b"]}]}
    world = {"family": "schema_change", "culprits": ["c"],
             "decoys": [{"kind": "null_jump", "columns": ["b"]}, {"kind": "harmless_drift", "columns": ["a"]}]}
    m = M.column_map(truth, world, "pool:schema_change")
    assert m == {"a": "b", "b": "a"}
    d = M.column_map(truth, {**world, "decoys": [{"kind": "harmless_drift", "columns": ["a"]}]}, "decoy:null_jump")
    assert d["a"] == "c" and sorted(d) == sorted(d.values())


def test_a_pool_rivals_world_is_the_variant_a_candidate_drawing_it_gets():
    """Is the world measured for a pool rival the very variant a candidate drawing that family
    gets, decoys held included? telecom_churn/covariate_shift seed 20 is a variant whose noise
    segment is held (its planted dip crossed the validator's line)."""
    import pandas as pd
    truth = {"scenario": "telecom_churn", "seed": 20, "family": "slice_failure"}
    world = M.build_world_variant(truth, "pool:covariate_shift", rows=(20_000, 20_000))
    drawn = dg.build_variant("telecom_churn", 20, family="covariate_shift")
    for part in ("offline", "production", "recomputed"):
        pd.testing.assert_frame_equal(getattr(world, part), getattr(drawn, part))
    assert world.truth == drawn.truth


@pytest.fixture(scope="module")
def lead(measured_variant):
    return measured_variant(*GRADED)


def test_every_candidate_experiment_is_stored_for_every_world(lead):
    """Does the truth carry, for every experiment the hypothesis set suggests, its outcome on the
    candidate's data and in each rival's world, the candidate's own at the candidate's size?"""
    truth = lead.truth.to_dict()
    stored = truth["outcomes"]
    keys = {M.experiment_key(e) for e in candidate_experiments(truth)}
    assert set(stored["worlds"]) == set(M.worlds_needed(truth)) and len(stored["worlds"]) >= 5
    for w in stored["worlds"].values():
        assert set(w["outcomes"]) == keys
    assert stored["candidate_rows"] == [len(lead.offline), len(lead.production)]
    case = M.case_of(lead)
    assert stored["worlds"]["truth"]["outcomes"][M.experiment_key({"type": "recalibrate"})] == \
        run_experiment(case, {"type": "recalibrate"}).outcome


def test_grading_a_stored_experiment_builds_no_world(lead, monkeypatch):
    """Is grading a card whose experiment was stored a look-up (no world is built)?"""
    def refuse(*a, **k):
        raise AssertionError("a world was built while grading a stored experiment")
    monkeypatch.setattr(M, "build_world_variant", refuse)
    M._world_case.cache_clear()
    truth = lead.truth.to_dict()
    exp = {"type": dg.registry.get_family(truth["family"]).expert[0][0]}  # the family's first expert experiment
    d = discrimination(exp, truth)
    assert d.true_outcome == truth["outcomes"]["worlds"]["truth"]["outcomes"][M.experiment_key(exp)] and d.score > 0


def test_other_parameters_are_measured_in_the_graders_process(lead):
    """Is an experiment with parameters nobody stored measured here, on the rebuilt candidate world,
    giving what the toolkit gives on the candidate's own data?"""
    truth = lead.truth.to_dict()
    true, rivals = hypothesis_set(truth)
    col = next(c for c in lead.schema["features"] if c not in {x for h in [true, *rivals] for x in h.columns})
    exp = {"type": "compare_profiles_before_after", "columns": [col]}
    assert M.experiment_key(exp) not in truth["outcomes"]["worlds"]["truth"]["outcomes"]
    outs = M.outcomes_of(exp, truth)
    assert set(outs) == set(M.worlds_needed(truth))
    assert outs["truth"] == run_experiment(M.case_of(lead), exp).outcome


def test_the_folder_hook_stores_outcomes_in_the_truth_only(tmp_path, monkeypatch):
    """Does making a candidate folder with its truth store what ``measure`` returned in the truth
    file, and nothing of it in the candidate's folder?"""
    from livescreen.candidate import write_candidate_folder
    calls = []

    def fake(variant, **kw):
        calls.append(kw)
        return {"format": M.FORMAT, "worlds": {"truth": {"outcomes": {"k": "sentinel_outcome_xyz"}}}}
    monkeypatch.setattr(M, "measure", fake)
    write_candidate_folder("saas_churn", seed=3, out=tmp_path / "cand", truth=tmp_path / "truth.json",
                           n_offline=600, n_production=600)
    assert len(calls) == 1 and calls[0]["workers"] >= 1
    assert json.loads((tmp_path / "truth.json").read_text())["outcomes"]["worlds"]["truth"]["outcomes"]["k"] == "sentinel_outcome_xyz"
    blob = b"".join(p.read_bytes() for p in (tmp_path / "cand").rglob("*") if p.is_file())
    assert b"sentinel_outcome_xyz" not in blob and b"outcomes" not in blob


@pytest.mark.full
def test_the_real_folder_hook_measures_in_two_processes(tmp_path):
    """The hook as sessions and ``livescreen generate`` run it: two processes, every world stored,
    and a right card graded from the stored truth."""
    from grading.answers import reference_card
    from livescreen.candidate import write_candidate_folder
    v = write_candidate_folder("ride_cancellations", seed=909, out=tmp_path / "cand", truth=tmp_path / "t.json",
                               family="schema_change", n_offline=2000, n_production=2000, workers=2)
    truth = json.loads((tmp_path / "t.json").read_text())
    assert set(truth["outcomes"]["worlds"]) == set(M.worlds_needed(truth))
    s = score_card(reference_card(truth, brief=v.brief), truth, brief=v.brief, known_columns=v.schema["features"])
    assert s.total == s.max, [(i.id, i.points, i.evidence) for i in s.items]


# Reduced size against live size, rival world by rival world (the figure the module's docstring cites).
STABILITY = [("ride_cancellations", 909, "schema_change"), ("lead_conversion", 0, "calibration_mismatch")]


@pytest.mark.full
@pytest.mark.parametrize("name, seed, family", STABILITY)
def test_reduced_size_agreement_with_live_size(name, seed, family, record_property):
    """How often does a rival world at REDUCED_ROWS give the outcome it gives at the live size?
    Reported; the grader measures at the live size because this is not 100%."""
    sc = dg.load_scenario(name)
    live = sc.spec["world"]["n_offline"]
    v = dg.build_variant(name, seed, family=family)
    truth = v.truth.to_dict()
    exps = candidate_experiments(truth)
    agree = total = 0
    for w in M.worlds_needed(truth):
        if w == M.TRUE_WORLD:
            continue
        big = M._measure_world(sc, truth, w, (live, live), exps)["outcomes"]
        small = M._measure_world(sc, truth, w, (M.REDUCED_ROWS, M.REDUCED_ROWS), exps)["outcomes"]
        agree += sum(small[k] == big[k] for k in big)
        total += len(big)
    record_property("reduced_vs_live_agreement", f"{agree}/{total}")
    print(f"{name} seed {seed} ({family}): {M.REDUCED_ROWS} vs {live} rows agree on {agree}/{total} = {agree / total:.0%}")
    assert agree / total >= 0.8


def test_a_scenario_only_a_path_finds_is_measured_from_its_file(tmp_path, monkeypatch):
    """A scenario loaded from a YAML outside the repository and the extra folders (as ``scenario
    preview`` and ``generate`` take one): are its rival worlds built from that file (its own pool,
    not looked up by name), and does a later grading process find the file the truth recorded?"""
    from livescreen.candidate import write_candidate_folder
    monkeypatch.delenv("LIVESCREEN_SCENARIOS", raising=False)
    monkeypatch.delenv(M.CACHE_ENV, raising=False)
    yaml = tmp_path / "elsewhere" / "my_churn.yaml"
    yaml.parent.mkdir()
    yaml.write_text(dg.load_scenario("saas_churn").path.read_text().replace("name: saas_churn", "name: my_churn", 1))
    with pytest.raises(dg.ScenarioError, match="unknown scenario 'my_churn'"):
        dg.load_scenario("my_churn")
    # one experiment in every world keeps this cheap; the worlds are the whole hypothesis set
    one = [{"type": "domain_classifier"}]
    monkeypatch.setattr("grading.discrimination.candidate_experiments", lambda truth: one)
    write_candidate_folder(str(yaml), seed=3, out=tmp_path / "cand", truth=tmp_path / "t.json",
                           n_offline=600, n_production=600, workers=1)
    truth = json.loads((tmp_path / "t.json").read_text())
    assert truth["scenario"] == "my_churn" and truth["outcomes"]["scenario_file"] == str(yaml.resolve())
    pool = dg.load_scenario(yaml).pool
    assert {w for w in truth["outcomes"]["worlds"] if w.startswith("pool:")} == \
        {f"pool:{f}" for f in pool if f != truth["family"] and dg.registry.kind_of(f) != "control"}
    assert M.scenario_of(truth).path == yaml.resolve()
    M._world_case.cache_clear()
    exp = {"type": "compare_profiles_before_after", "columns": [truth["culprits"][0] if truth["culprits"]
                                                                 else truth["decoys"][0]["columns"][0]]}
    assert set(M.outcomes_of(exp, {**truth, "outcomes": {**truth["outcomes"], "worlds": {}}})) == set(M.worlds_needed(truth))
