"""Structural tests of the prior-shift family (support_escalation scenario)."""

from data_generators.evaluation import evaluate, psi
from data_generators.families.prior_shift import prior_correct

from .planted import planted_variant

SEEDS = [0, 1, 2]
N = 12000  # at 8,000 rows seed 0's prior-corrected residual is 0.046 by sample noise (0.011 at 12,000)


variant = planted_variant("support_escalation", "prior_shift", seeds=SEEDS, n=N)


def _labelled(v):
    p = v.production
    return p[p[v.schema["label"]].notna()]


def test_does_the_positive_rate_rise_from_a_fifth_to_about_two_fifths(variant):
    """Is the offline escalation rate 0.20 +/- 0.02 and the matured production rate 0.40 +/- 0.04?"""
    y = variant.schema["label"]
    assert abs(variant.offline[y].mean() - 0.20) < 0.02
    assert abs(_labelled(variant)[y].mean() - 0.40) < 0.04


def test_do_positives_and_negatives_look_the_same_as_offline(variant):
    """Is P(x|y) unchanged: within each class, does every column not touched by a decoy keep a
    PSI below 0.05 between offline and production?"""
    v = variant
    y = v.schema["label"]
    decoy_cols = {c for d in v.truth.decoys if d["kind"] != "suspicious_legit" for c in d["columns"]}
    lab = _labelled(v)
    for cls in (0, 1):
        off = v.offline[v.offline[y] == cls]
        prod = lab[lab[y] == cls]
        for c in v.schema["features"]:
            if c in decoy_cols:
                continue
            assert psi(off[c], prod[c]) < 0.05, (cls, c)


def test_does_ranking_hold_while_scores_lag_the_rate(variant):
    """Does online AUC stay within 0.04 of offline AUC while the mean score trails the observed
    rate by more than 0.10, and does prior correction close that to under 0.03?"""
    v = variant
    ev = evaluate(v)
    assert abs(ev.offline_auc - ev.online_auc) < 0.04
    lab = ev.labelled
    rate = lab[ev.label].mean()
    assert rate - lab["score"].mean() > 0.10
    off = v.offline
    p0 = off.loc[off["split"] == "train", ev.label].mean()
    assert abs(rate - prior_correct(lab["score"], p0, rate).mean()) < 0.03


def test_is_no_column_the_culprit(variant):
    """Does the truth name no culprit column, segment or onset (the whole production period moves)?"""
    assert variant.truth.culprits == []
    assert variant.truth.segment is None and variant.truth.onset is None
