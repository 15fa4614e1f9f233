"""Structural tests of the slice-failure family (telecom_churn), at 4,000 + 4,000 rows."""
from __future__ import annotations


import data_generators as dg
from data_generators.evaluation import auc

from .planted import planted_variant

N = 4_000
SEEDS = (0, 1, 2)


variant = planted_variant("telecom_churn", "slice_failure", seeds=SEEDS, n=N)


def _inside(frame, segment):
    (col, level), = segment.items()
    return (frame[col].astype(str) == level).to_numpy()


def test_truth_names_a_segment_and_one_numeric_culprit(variant):
    """Does the truth name one categorical level as the segment and one numeric culprit, no onset?"""
    t = variant.truth
    assert t.family == "slice_failure" and t.onset is None
    (col, level), = t.segment.items()
    assert variant.columns[col]["type"] == "categorical"
    assert len(t.culprits) == 1 and variant.columns[t.culprits[0]]["type"] == "numeric"
    noise = [d for d in t.decoys if d["kind"] == "noise_segment"]
    assert all(col not in d["segment"] for d in noise)


def test_segment_is_small_offline_and_larger_in_production(variant):
    """Is the segment about 9% of offline rows and about 35% of production rows?"""
    off = _inside(variant.offline, variant.truth.segment).mean()
    prod = _inside(variant.production, variant.truth.segment).mean()
    assert 0.07 < off < 0.11
    assert 0.31 < prod < 0.39


def test_culprit_effect_reverses_inside_the_segment(variant):
    """Does the culprit's rank correlation with the label have opposite signs inside and outside?"""
    off = variant.offline
    label, culprit = variant.schema["label"], variant.truth.culprits[0]
    inside = _inside(off, variant.truth.segment)
    a_in = auc(off.loc[inside, label], off.loc[inside, culprit])
    a_out = auc(off.loc[~inside, label], off.loc[~inside, culprit])
    assert (a_in - 0.5) * (a_out - 0.5) < 0
    assert abs(a_in - 0.5) > 0.1 and abs(a_out - 0.5) > 0.1


def test_segment_auc_far_below_the_rest_and_report_healthy(variant):
    """Is the segment's production AUC at least 0.2 below the rest's while the team's offline AUC is >= 0.70?"""
    prod = variant.production
    s = variant.schema
    inside = _inside(prod, variant.truth.segment)
    gap = auc(prod.loc[~inside, s["label"]], prod.loc[~inside, s["score"]]) - \
        auc(prod.loc[inside, s["label"]], prod.loc[inside, s["score"]])
    test = variant.offline[variant.offline[s["split"]] == "test"]
    assert gap > 0.2
    assert auc(test[s["label"]], test[s["score"]]) >= 0.70


def test_per_segment_model_closes_the_gap(variant):
    """Does a model fitted on the segment's own rows leave less than 40% of the gap?"""
    fam = variant._family
    ev = dg.evaluation.evaluate(variant)
    assert fam.reference(variant) <= 0.4 * fam.symptom(ev)
