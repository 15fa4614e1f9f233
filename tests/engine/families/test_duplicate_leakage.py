"""Structural tests of the duplicate-leakage family (payment_fraud), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np


from .planted import assert_reference_closes_the_gap, planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("payment_fraud", "duplicate_leakage", seeds=SEEDS, n=N)


def test_truth_names_no_column(variant):
    """Does the truth name no culprit column, no segment and no onset?"""
    t = variant.truth
    assert t.family == "duplicate_leakage"
    assert t.culprits == [] and t.segment is None and t.onset is None


def test_every_offline_positive_appears_four_times_and_negatives_once(variant):
    """Does each positive id occur exactly 4 times offline (identical rows) and each negative once,
    while production ids are unique?"""
    s = variant.schema
    off = variant.offline
    counts = off.groupby(s["id"]).size()
    label = off.groupby(s["id"])[s["label"]].first()
    assert (counts[label == 1] == 4).all() and (counts[label == 0] == 1).all()
    cols = [s["id"], s["timestamp"], s["label"]] + s["features"]
    assert len(off[cols].drop_duplicates()) == counts.size
    assert variant.production[s["id"]].is_unique


def test_oversampling_raises_offline_prevalence(variant):
    """Is the offline positive share about 4x the production's (4p / (1 + 3p))?"""
    s = variant.schema
    p = variant.production[s["label"]].mean()
    expected = 4 * p / (1 + 3 * p)
    assert abs(variant.offline[s["label"]].mean() - expected) < 0.03


def test_most_test_positives_have_a_copy_in_train(variant):
    """Do >= 90% of the test positives have an exact copy among the training rows?"""
    s = variant.schema
    off = variant.offline
    is_test = (off[s["split"]] == "test").to_numpy()
    pos = (off[s["label"]] == 1).to_numpy()
    ids = off[s["id"]].to_numpy()
    assert np.isin(ids[is_test & pos], ids[~is_test]).mean() >= 0.9


def test_gap_is_large_and_deduplication_closes_it(variant):
    """Is offline AUC >= 0.1 above online, and does deduplicating before the split leave less than
    half of the gap?"""
    assert_reference_closes_the_gap(variant)
