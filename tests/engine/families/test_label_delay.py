"""Structural tests of the label-delay family (card_chargebacks), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from data_generators.evaluation import evaluate

from .planted import planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("card_chargebacks", "label_delay", seeds=SEEDS, n=N)


def _age_days(v):
    ts = pd.to_datetime(v.production[v.schema["timestamp"]])
    export = pd.Timestamp(v.brief["production_period"][1]) + pd.Timedelta(days=1)
    return ((export - ts) / pd.Timedelta(days=1)).to_numpy()


def test_truth_has_no_culprit_segment_or_onset(variant):
    """Is the planted failure free of any column, segment or onset?"""
    t = variant.truth
    assert t.family == "label_delay"
    assert t.culprits == [] and t.segment is None and t.onset is None


def test_unmatured_outcomes_are_recorded_as_zero_not_missing(variant):
    """Are all production labels filled (0/1) although the brief states a 120-day maturity window?"""
    y = variant.production[variant.schema["label"]]
    assert variant.brief["label_lag_days"] == 120
    assert y.notna().all() and set(np.unique(y)) <= {0.0, 1.0}


def test_positive_rate_rises_with_age_up_to_the_window(variant):
    """Is the observed positive rate of the last 30 days under half that of matured rows, which match offline?"""
    y = variant.production[variant.schema["label"]].to_numpy()
    age = _age_days(variant)
    recent, matured = y[age < 30].mean(), y[age >= 120].mean()
    offline = variant.offline[variant.schema["label"]].mean()
    assert recent < 0.5 * matured
    assert abs(matured - offline) < 0.03


def test_scores_do_not_move_while_labels_do(variant):
    """Is the mean score stable offline vs production while a fifth or more of expected positives are missing?"""
    fam = variant._family
    ev = evaluate(variant)
    assert abs(ev.production["score"].mean() - ev.offline_test["score"].mean()) < 0.02
    assert fam.symptom(ev) > 0.2
    assert ev.offline_auc >= 0.70


def test_matured_rows_close_the_gap(variant):
    """Does restricting to rows older than the maturity window leave less than 40% of the missing share?"""
    fam = variant._family
    assert fam.reference(variant) <= 0.4 * fam.symptom(evaluate(variant))
