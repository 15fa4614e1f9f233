"""Structural tests of the schema-change family (ride_cancellations scenario)."""
import numpy as np

from data_generators.evaluation import auc, evaluate, psi

from .planted import planted_variant

SEEDS = [0, 1, 2]
N = 4000
UNIT_FACTORS = {60.0, 1000.0, 100.0}


variant = planted_variant("ride_cancellations", "schema_change", seeds=SEEDS, n=N)


def _after(v, frame):
    return (frame[v.schema["timestamp"]] >= np.datetime64(v.truth.onset)).to_numpy()


def test_is_the_onset_a_midnight_that_leaves_labelled_rows_on_both_sides(variant):
    """Is the onset an ISO midnight inside the production period with at least 30% of the
    labelled production rows on each side?"""
    v = variant
    assert v.truth.onset.endswith("T00:00:00")
    prod = v.production
    after = _after(v, prod)
    lab = prod[v.schema["label"]].notna().to_numpy()
    share = (after & lab).sum() / lab.sum()
    assert 0.3 <= share <= 0.7


def test_does_the_culprits_median_jump_by_a_unit_factor(variant):
    """Does the culprit's median change by a unit factor (60, 100 or 1000, within 5%) at the onset,
    while it matches the offline profile before (PSI < 0.05) and served equals recomputed?"""
    v = variant
    col = v.truth.culprits[0]
    prod = v.production
    after = _after(v, prod)
    ratio = np.median(prod.loc[~after, col]) / np.median(prod.loc[after, col])
    assert min(abs(ratio / f - 1) for f in UNIT_FACTORS) < 0.05
    assert psi(v.offline[col], prod.loc[~after, col]) < 0.05
    np.testing.assert_array_equal(prod[col].to_numpy(float), v.recomputed[col].to_numpy(float))


def test_do_the_other_columns_keep_their_profile_across_the_onset(variant):
    """Does every column not touched by a decoy keep a PSI below 0.05 before vs after the onset?"""
    v = variant
    prod = v.production
    after = _after(v, prod)
    touched = {c for d in v.truth.decoys if d["kind"] in ("harmless_drift", "null_jump") for c in d["columns"]}
    for c in v.schema["features"]:
        if c in touched or c == v.truth.culprits[0]:
            continue
        assert psi(prod.loc[~after, c], prod.loc[after, c]) < 0.05, c


def test_does_auc_drop_at_the_onset_and_come_back_when_rescaled(variant):
    """Is AUC before the onset within 0.05 of offline AUC, at least 0.10 lower after it, and does
    rescaling the culprit by the ratio of medians leave under 0.02?"""
    v = variant
    ev = evaluate(v)
    lab = ev.labelled
    after = _after(v, lab)
    before_auc = auc(lab.loc[~after, ev.label], lab.loc[~after, "score"])
    after_auc = auc(lab.loc[after, ev.label], lab.loc[after, "score"])
    assert abs(ev.offline_auc - before_auc) < 0.05
    assert before_auc - after_auc > 0.10
    assert v._family.reference(v) < 0.02
