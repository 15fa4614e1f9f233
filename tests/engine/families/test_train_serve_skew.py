"""Structural tests of the train/serve-skew family (food_delivery_late), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np

from data_generators.evaluation import auc, evaluate

from .planted import planted_variant

N = 4_000
SEEDS = (0, 3)


variant = planted_variant("food_delivery_late", "train_serve_skew", seeds=SEEDS, n=N)


def test_truth_names_one_numeric_culprit_and_no_segment(variant):
    """Does the truth name one numeric culprit, with no segment and no onset?"""
    t = variant.truth
    assert t.family == "train_serve_skew" and t.segment is None and t.onset is None
    assert len(t.culprits) == 1 and variant.columns[t.culprits[0]]["type"] == "numeric"


def test_only_the_culprit_differs_between_served_and_recomputed(variant):
    """Do served and recomputed values agree on every column but the culprit, where most rows differ?"""
    prod, rec = variant.production, variant.recomputed
    culprit = variant.truth.culprits[0]
    assert (prod[variant.schema["id"]].to_numpy() == rec[variant.schema["id"]].to_numpy()).all()
    for col in variant.schema["features"]:
        a, b = prod[col], rec[col]
        same = ((a.astype(object) == b.astype(object)) | (a.isna() & b.isna())).mean()
        if col == culprit:
            served, truth = a.to_numpy(float), b.to_numpy(float)
            rel = np.abs(served - truth) / np.maximum(np.abs(truth), 1e-9)
            assert (rel > 0.1).mean() > 0.7
            assert 0.4 < np.corrcoef(np.log(served), np.log(truth))[0, 1] < 0.6
        else:
            assert same == 1.0, col


def test_labels_follow_the_recomputed_value(variant):
    """Does the recomputed culprit predict the production label better than the served one?"""
    prod, rec = variant.production, variant.recomputed
    culprit, label = variant.truth.culprits[0], variant.schema["label"]
    a_served = abs(auc(prod[label], prod[culprit]) - 0.5)
    a_rec = abs(auc(prod[label], rec[culprit]) - 0.5)
    assert a_rec - a_served > 0.08


def test_gap_is_large_and_recomputed_scores_close_it(variant):
    """Is the offline-online AUC gap above 0.10 with a healthy offline AUC, and does scoring the recomputed value close it?"""
    fam = variant._family
    ev = evaluate(variant)
    assert ev.offline_auc >= 0.8
    gap = fam.symptom(ev)
    assert gap > 0.10
    assert fam.reference(variant) <= 0.35 * gap
