"""Structural tests of the imbalance + wrong-metric family (account_takeover), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np
import pytest

import data_generators as dg
from data_generators.evaluation import evaluate
from data_generators.families.imbalance_wrong_metric import cost_curve

from .planted import planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("account_takeover", "imbalance_wrong_metric", seeds=SEEDS, n=N)


def test_truth_has_no_culprit_and_team_reports_accuracy_at_half(variant):
    """Is nothing planted in the columns, and does the team report accuracy at threshold 0.5?"""
    t = variant.truth
    assert t.family == "imbalance_wrong_metric"
    assert t.culprits == [] and t.segment is None and t.onset is None
    assert variant.model_card["metric"] == "accuracy" and variant.model_card["threshold"] == 0.5


def test_positives_are_rare(variant):
    """Is the positive rate about 1.8% offline and in production?"""
    label = variant.schema["label"]
    for frame in (variant.offline, variant.production):
        assert 0.01 < frame[label].mean() < 0.03


def test_accuracy_looks_excellent_but_recall_is_near_zero(variant):
    """Is accuracy at 0.5 within half a point of the all-negative baseline while recall is under 0.2 and AUC high?"""
    s = variant.schema
    test = variant.offline[variant.offline[s["split"]] == "test"]
    y, score = test[s["label"]].to_numpy(), test[s["score"]].to_numpy()
    acc = ((score >= 0.5) == (y == 1)).mean()
    assert acc > 0.97 and abs(acc - (1 - y.mean())) < 0.005
    ev = evaluate(variant)
    assert ev.offline_auc > 0.8
    assert 1 - variant._family.symptom(ev) < 0.2


def test_cost_threshold_catches_most_positives_and_costs_less(variant):
    """Does a threshold chosen by the brief's costs on the offline test catch most production positives at lower cost?"""
    fam = variant._family
    ev = evaluate(variant)
    test = ev.offline_test
    thr, cost = cost_curve(test[ev.label], test["score"], fam.c_fp, fam.c_fn)
    t = float(thr[np.argmin(cost)])
    assert t < 0.2 and fam.cost_threshold < 0.05
    assert fam.reference(variant) < 0.5 * fam.symptom(ev)
    y, s = ev.production[ev.label].to_numpy(), ev.production["score"].to_numpy()
    cost_of = lambda th: fam.c_fp * ((s >= th) & (y == 0)).sum() + fam.c_fn * ((s < th) & (y == 1)).sum()  # noqa: E731
    assert cost_of(t) < 0.8 * cost_of(0.5)


def test_a_world_with_common_positives_hosts_it_at_its_declared_prevalence():
    """In a world whose positives are common (ride_cancellations, 16%), does the family drawn make
    them as rare as its ``params.prevalence`` (7%) offline and in production, while another family
    of the pool keeps the world's rate?"""
    v = dg.build_variant("ride_cancellations", 0, family="imbalance_wrong_metric", n_offline=N, n_production=N)
    other = dg.build_variant("ride_cancellations", 0, family="schema_change", n_offline=N, n_production=N)
    label = v.schema["label"]
    for frame in (v.offline, v.production):
        assert 0.05 < frame[label].mean() < 0.09
    assert 0.13 < other.offline[other.schema["label"]].mean() < 0.19


@pytest.mark.parametrize("rate", [0.0, 0.3, "rare"])
def test_a_prevalence_that_is_not_rare_is_refused(rate):
    """Is a ``prevalence`` outside (0, 0.1] refused with the family's name and the allowed range?"""
    from data_generators.errors import ScenarioError
    from data_generators.families.imbalance_wrong_metric import ImbalanceWrongMetric
    with pytest.raises(ScenarioError, match=r"imbalance_wrong_metric: prevalence .* at most 0.1"):
        ImbalanceWrongMetric.check_params({"prevalence": rate}, {"world": {"columns": []}})
