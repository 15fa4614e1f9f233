"""Structural tests of the control (insurance_lapse scenario): nothing planted beyond the decoys."""
import numpy as np

import data_generators as dg
from data_generators.evaluation import evaluate, psi
from livescreen.toolkit.metrics import auc_se as auc_standard_error

from .planted import planted_variant

SEEDS = [0, 1, 2]
N = 8000


variant = planted_variant("insurance_lapse", "no_failure", seeds=SEEDS, n=N)


def test_is_the_truth_empty_but_for_the_decoys(variant):
    """Does the truth name the control, no culprit, segment or onset, and every decoy kind?"""
    t = variant.truth
    assert (t.family, t.culprits, t.segment, t.onset) == (dg.NO_FAILURE, [], None, None)
    assert {d["kind"] for d in t.decoys} == set(dg.DECOY_KINDS)


def test_do_columns_untouched_by_a_decoy_keep_their_distribution(variant):
    """Is every numeric column no decoy acts on stable between offline and production (PSI < 0.05)?"""
    v = variant
    decoy_cols = {c for d in v.truth.decoys if d["kind"] in ("harmless_drift", "null_jump") for c in d["columns"]}
    for c in v.schema["features"]:
        if c in decoy_cols or v.columns[c]["type"] != "numeric":
            continue
        assert psi(v.offline[c], v.production[c]) < 0.05, c


def test_are_auc_and_calibration_the_same_online_within_noise(variant):
    """Is the online AUC within 3 standard errors of the offline one, and the observed positive
    rate within 0.03 of the mean score, on labelled production rows?"""
    ev = evaluate(variant)
    lab, test = ev.labelled, ev.offline_test
    se = np.hypot(auc_standard_error(ev.offline_auc, int(test[ev.label].sum()), int((1 - test[ev.label]).sum())),
                  auc_standard_error(ev.online_auc, int(lab[ev.label].sum()), int((1 - lab[ev.label]).sum())))
    assert abs(ev.offline_auc - ev.online_auc) <= 3 * se
    assert abs(lab[ev.label].mean() - lab["score"].mean()) < 0.03


def test_does_the_validator_check_noise_not_a_symptom(variant):
    """Does the control's report hold the noise checks and the decoys' visibility, and pass?"""
    rep = dg.validate_variant(variant)
    names = {c.name for c in rep.checks}
    assert {"auc_gap_within_noise", "calibration_within_noise", "team_offline_auc"} <= names
    assert not names & {"symptom", "effect_band", "reference"}
    assert sum(n.endswith("_visible") for n in names) == len(variant.truth.decoys)
    assert rep.passed, rep.failed


def test_the_auc_standard_error_matches_simulation():
    """Is the Hanley-McNeil standard error no smaller than the spread of AUC over 2,000 simulated
    samples, and at most 30% larger (binormal scores, true AUC 0.85, 200 positives, 800 negatives)?
    Conservative is the safe side: the control's noise bound is then wide, never too tight."""
    from scipy.stats import norm
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    d = np.sqrt(2) * norm.ppf(0.85)
    y = np.r_[np.ones(200), np.zeros(800)]
    aucs = [roc_auc_score(y, np.r_[rng.normal(d, 1, 200), rng.normal(0, 1, 800)]) for _ in range(2000)]
    ratio = auc_standard_error(0.85, 200, 800) / np.std(aucs)
    assert 1.0 <= ratio <= 1.3, ratio
