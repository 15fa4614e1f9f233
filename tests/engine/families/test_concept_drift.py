"""Structural tests of the concept-drift family (content_recommendation_ctr scenario)."""
import numpy as np

from data_generators.evaluation import auc, evaluate, psi

from .planted import planted_variant

SEEDS = [0, 1, 2]
N = 4000


variant = planted_variant("content_recommendation_ctr", "concept_drift", seeds=SEEDS, n=N)


def _parts(v):
    s = v.schema
    prod = v.production
    after = (prod[s["timestamp"]] >= np.datetime64(v.truth.onset)).to_numpy()
    return prod, after


def test_is_the_onset_a_midnight_that_leaves_most_labelled_rows_after_it(variant):
    """Is the onset an ISO midnight inside the production period, with at least half of the
    labelled production rows after it?"""
    v = variant
    onset = v.truth.onset
    assert onset.endswith("T00:00:00")
    prod, after = _parts(v)
    ts = prod[v.schema["timestamp"]]
    assert ts.min() < np.datetime64(onset) < ts.max()
    labelled = prod[v.schema["label"]].notna().to_numpy()
    assert (after & labelled).sum() >= 0.5 * labelled.sum()


def test_do_the_inputs_stay_put(variant):
    """Is the culprit's PSI below 0.05 offline vs production and before vs after the onset?"""
    v = variant
    col = v.truth.culprits[0]
    prod, after = _parts(v)
    assert psi(v.offline[col], prod[col]) < 0.05
    assert psi(prod.loc[~after, col], prod.loc[after, col]) < 0.05


def test_does_the_culprits_effect_flip_at_the_onset(variant):
    """Does the click-rate gap between the culprit's top and bottom quintiles keep its offline sign
    before the onset and reverse after it, by more than 5 points each time?"""
    v = variant
    col, y = v.truth.culprits[0], v.schema["label"]
    prod, after = _parts(v)
    lab = prod[y].notna().to_numpy()

    def gap(frame):
        q = np.quantile(frame[col], [0.2, 0.8])
        return frame.loc[frame[col] >= q[1], y].mean() - frame.loc[frame[col] <= q[0], y].mean()

    g_off, g_pre, g_post = gap(v.offline), gap(prod[~after & lab]), gap(prod[after & lab])
    assert abs(g_off) > 0.05 and abs(g_post) > 0.05
    assert np.sign(g_pre) == np.sign(g_off)
    assert np.sign(g_post) == -np.sign(g_off)


def test_does_ranking_fail_only_after_the_onset_and_recover_with_recent_data(variant):
    """Is pre-onset AUC within 0.08 of offline AUC, post-onset AUC at least 0.10 lower, and does the
    family's reference (retrain on recent post-onset rows) leave under 0.05?"""
    v = variant
    ev = evaluate(v)
    prod, after = _parts(v)
    y = v.schema["label"]
    lab = prod[y].notna().to_numpy()
    pre = auc(prod.loc[~after & lab, y], prod.loc[~after & lab, "model_score"])
    post = auc(prod.loc[after & lab, y], prod.loc[after & lab, "model_score"])
    assert abs(ev.offline_auc - pre) < 0.08
    assert ev.offline_auc - post > 0.10
    assert v._family.reference(v) < 0.05
