"""Structural tests of the calibration-mismatch family (lead_conversion), at 4,000 + 4,000 rows."""
from __future__ import annotations


from data_generators.evaluation import evaluate

from .planted import planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("lead_conversion", "calibration_mismatch", seeds=SEEDS, n=N)


def test_truth_has_no_culprit_segment_or_onset(variant):
    """Is nothing planted in a column, segment or date?"""
    t = variant.truth
    assert t.family == "calibration_mismatch"
    assert t.culprits == [] and t.segment is None and t.onset is None


def test_training_data_is_balanced_and_production_is_not(variant):
    """Are about half the offline rows positive while production converts at about 5%?"""
    label = variant.schema["label"]
    assert 0.45 < variant.offline[label].mean() < 0.55
    assert 0.03 < variant.production[label].mean() < 0.07


def test_model_ranks_well_but_scores_are_far_too_high(variant):
    """Does the model keep its AUC online while its mean score is over 5 times the production rate and precision at 0.5 is under 0.2?"""
    ev = evaluate(variant)
    lab = ev.labelled
    y, s = lab[ev.label].to_numpy(), lab["score"].to_numpy()
    assert ev.offline_auc >= 0.75 and ev.online_auc >= ev.offline_auc - 0.03
    assert s.mean() > 5 * y.mean()
    assert y[s >= 0.5].mean() < 0.2


def test_offline_test_looks_calibrated(variant):
    """On the team's own balanced holdout, is the mean score within 0.03 of the positive rate?"""
    ev = evaluate(variant)
    test = ev.offline_test
    assert abs(test["score"].mean() - test[ev.label].mean()) < 0.03


def test_recalibration_closes_the_gap(variant):
    """Does Platt recalibration on older labelled production rows leave under a quarter of the gap?"""
    fam = variant._family
    assert fam.reference(variant) <= 0.25 * fam.symptom(evaluate(variant))
