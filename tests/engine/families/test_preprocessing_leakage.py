"""Structural tests of the preprocessing-leakage family (support_escalation, the pool whose target
gap, 0.16, is the largest: marketplace_seller_risk's 0.085 and food_delivery_late's 0.06 sit under the
0.1 gap asked here), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np

from data_generators.families.preprocessing_leakage import encode

from .planted import assert_reference_closes_the_gap, planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("support_escalation", "preprocessing_leakage", seeds=SEEDS, n=N)


def test_truth_names_the_encoded_column(variant):
    """Does the truth name one numeric culprit, used by the model, no segment and no onset?"""
    t = variant.truth
    assert t.family == "preprocessing_leakage"
    assert len(t.culprits) == 1 and t.culprits[0] in variant.model_card["features"]
    assert t.segment is None and t.onset is None


def test_offline_encoding_uses_every_offline_label(variant):
    """Is the offline column exactly the smoothed label mean per id over ALL offline rows?"""
    s, col = variant.schema, variant.truth.culprits[0]
    off = variant.offline
    ids, y = off[s["id"]].to_numpy(), off[s["label"]].to_numpy()
    fam = variant._family
    expected = np.round(encode(ids, y, ids, smoothing=fam.smoothing), fam.decimals)
    assert np.allclose(off[col].to_numpy(), expected)


def test_production_encoding_uses_training_rows_only(variant):
    """Is the production column the encoding fitted on the training rows, and do >= 95% of
    production ids appear offline?"""
    s, col = variant.schema, variant.truth.culprits[0]
    off, prod = variant.offline, variant.production
    train = (off[s["split"]] == "train").to_numpy()
    ids, y = off[s["id"]].to_numpy(), off[s["label"]].to_numpy()
    fam = variant._family
    expected = np.round(encode(ids[train], y[train], prod[s["id"]].to_numpy(), smoothing=fam.smoothing),
                        fam.decimals)
    assert np.allclose(prod[col].to_numpy(), expected)
    assert np.isin(prod[s["id"]].to_numpy(), ids).mean() >= 0.95


def test_gap_is_large_and_refitting_inside_the_fold_closes_it(variant):
    """Is offline AUC >= 0.1 above online, and does a train-only encoding leave less than half the gap?"""
    assert_reference_closes_the_gap(variant)
