"""Structural tests of the temporal-leakage family (ad_click_through), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np

from data_generators.evaluation import evaluate

from .planted import assert_reference_closes_the_gap, planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("ad_click_through", "temporal_leakage", seeds=SEEDS, n=N)


def test_truth_names_the_time_proxy_only(variant):
    """Does the truth name one numeric culprit, no segment and no onset?"""
    t = variant.truth
    assert t.family == "temporal_leakage"
    assert len(t.culprits) == 1 and variant.columns[t.culprits[0]]["type"] == "numeric"
    assert t.segment is None and t.onset is None
    assert t.culprits[0] in variant.model_card["features"]


def test_culprit_grows_with_time_and_production_lies_beyond(variant):
    """Is the culprit's rank correlation with the timestamp >= 0.98, and are >= 95% of production
    values above the largest offline value?"""
    s = variant.schema
    col = variant.truth.culprits[0]
    off = variant.offline
    r = np.corrcoef(off[s["timestamp"]].rank(), off[col].rank())[0, 1]
    assert r >= 0.98
    assert (variant.production[col] > off[col].max()).mean() >= 0.95


def test_label_rate_wanders_between_weeks_beyond_sampling_noise(variant):
    """Does the offline click rate per 3-day window vary at least 3x more than sampling noise?"""
    s = variant.schema
    off = variant.offline
    days = (off[s["timestamp"]] - off[s["timestamp"]].min()).dt.days // 3
    g = off.groupby(days)[s["label"]].agg(["mean", "size"])
    p = off[s["label"]].mean()
    noise = np.mean(p * (1 - p) / g["size"])
    assert g["mean"].var() >= 3 * noise


def test_random_split_gap_is_large_and_out_of_time_split_closes_it(variant):
    """Is offline (random split) AUC >= 0.1 above online, and does the out-of-time split leave
    less than half of the gap?"""
    assert_reference_closes_the_gap(variant)


def test_dropping_the_proxy_removes_the_offline_advantage(variant):
    """Without the proxy, is offline AUC within 0.05 of online AUC?"""
    ev = evaluate(variant, drop=variant.truth.culprits)
    assert abs(ev.offline_auc - ev.online_auc) < 0.05
