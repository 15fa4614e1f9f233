"""Expert answers score high for every family, red flags stay red however the card is phrased.

Each family module lists the first experiments an experienced ML engineer would defend
(``expert``). With an otherwise right card, each must earn at least 85% of the autograded points
on 3 seeds, in a scenario whose pool hosts the family.
"""
from __future__ import annotations

import pytest

import data_generators as dg
from grading.answers import experiment_for, reference_card
from grading.score import score_card

SEEDS = (0, 1, 2)
HOST = {f: next(n for n in dg.list_scenarios() if f in dg.load_scenario(n).pool) for f in dg.FAMILIES}
CASES = [(f, e) for f in dg.FAMILIES for e, _ in dg.registry.get_family(f).expert]


@pytest.fixture(scope="module")
def truths():
    out = {}
    for fam, name in HOST.items():
        for seed in SEEDS:
            v = dg.build_variant(name, seed, family=fam, n_offline=1200, n_production=1200)
            out[fam, seed] = (v.truth.to_dict(), v.brief, v.schema["features"], v.schema)
    return out


@pytest.mark.parametrize("family, etype", CASES, ids=lambda v: str(v))
def test_each_expert_first_experiment_earns_85_percent(family, etype, truths):
    """With the right family, culprit, expectations, decision and cost, does each expert first
    experiment of the family earn at least 85% of the autograded points on every seed?"""
    for seed in SEEDS:
        truth, brief, features, schema = truths[family, seed]
        exp = experiment_for(family, truth, schema=schema, etype=etype)
        card = reference_card(truth, brief=brief, experiment=exp)
        s = score_card(card, truth, brief=brief, known_columns=features)
        assert s.total >= 0.85 * s.max, (family, etype, seed, s.total, [(i.id, i.points, i.evidence) for i in s.items])


RED = ("tune_hyperparameters", "more_data", "bigger_model", "retrain_as_is")


@pytest.mark.parametrize("family", ["target_leakage", "selection_bias", "simpson_mix", "calibration_mismatch"])
def test_a_red_flag_earns_at_most_ten_percent_however_the_card_is_phrased(family, truths):
    """With everything else right (family, culprit, expectations, decision, cost), does a red-flag
    experiment still earn at most 10% of the total?"""
    truth, brief, features, _ = truths[family, 0]
    for etype in RED:
        card = reference_card(truth, brief=brief, experiment={"type": etype})
        s = score_card(card, truth, brief=brief, known_columns=features)
        assert s.total <= 0.10 * s.max and "red_flag_experiment" in s.flags, (etype, s.total, s.max)
