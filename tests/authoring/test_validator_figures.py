"""Does the validator still measure what the committed sweep measured?

``docs/calibration/pool_sweep.csv`` holds one row per (scenario, family, seed) of the shipped pools,
as ``livescreen validate all`` measured it on one native thread. Making the validator faster must
change none of its figures: each sampled row is validated again here and every figure of the row
(passed, effect, target, effect against target, difficulty, and each failed check with its value)
must be the same, to the CSV's precision. The fast tier validates three cheap rows that between
them take every path of the validator (a refit without a decoy's column, a segment left out, the
served model on changed rows, a permutation importance of each model kind, a failing check); the
full tier one row of every shipped scenario, every family of the pools among them.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from data_generators import build_variant, validate_variant
from data_generators.sweep import read_rows, report_row
from livescreen.toolkit.model import one_thread

SWEEP = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "pool_sweep.csv"
FIGURES = ("passed", "effect", "target", "rel_effect", "difficulty", "failed")

FAST = [
    ("ride_cancellations", "schema_change", 0),      # logistic regression; served model on changed rows
    ("credit_default", "imbalance_wrong_metric", 5), # a failing check (a noise-segment decoy), its figure in the row
    ("account_takeover", "schema_change", 0),        # gradient boosting: its permutation importance
]
FULL = [
    ("invoice_late_payment", "group_leakage", 0),
    ("ad_click_through", "selection_bias", 0),
    ("ad_click_through", "calibration_mismatch", 5),
    ("card_chargebacks", "slice_failure", 0),
    ("content_recommendation_ctr", "covariate_shift", 6),
    ("credit_default", "prior_shift", 7),
    ("credit_default", "imbalance_wrong_metric", 0),
    ("food_delivery_late", "train_serve_skew", 0),
    ("food_delivery_late", "temporal_leakage", 8),
    ("hospital_readmission", "duplicate_leakage", 0),
    ("insurance_lapse", "no_failure", 0),
    ("lead_conversion", "concept_drift", 0),
    ("marketplace_seller_risk", "label_delay", 0),
    ("marketplace_seller_risk", "preprocessing_leakage", 9),
    ("payment_fraud", "schema_change", 0),
    ("ride_cancellations", "concept_drift", 10),
    ("saas_churn", "simpson_mix", 11),
    ("support_escalation", "preprocessing_leakage", 0),
    ("telecom_churn", "target_leakage", 12),
]


@pytest.fixture(scope="module")
def committed():
    return {(r["scenario"], r["family"], r["seed"]): r for r in read_rows(SWEEP)}


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)  # the control's effect against a zero target


def _check(committed, scenario, family, seed):
    want = committed.get((scenario, family, seed))
    assert want is not None, f"{scenario}/{family} seed {seed} is not in {SWEEP.name}; pick a row it has"
    with one_thread():  # as the committed sweep measured
        got = report_row(validate_variant(build_variant(scenario, seed, family=family)))
    got["passed"] = bool(got["passed"])
    diff = {k: (want[k], got[k]) for k in FIGURES if want[k] != got[k] and not (_nan(want[k]) and _nan(got[k]))}
    assert not diff, f"{scenario}/{family} seed {seed}: (committed, now) differ: {diff}"


@pytest.mark.parametrize("scenario,family,seed", FAST, ids=[f"{s}-{f}-{n}" for s, f, n in FAST])
def test_validator_figures_are_the_committed_sweeps(committed, scenario, family, seed):
    _check(committed, scenario, family, seed)


@pytest.mark.full
@pytest.mark.parametrize("scenario,family,seed", FULL, ids=[f"{s}-{f}-{n}" for s, f, n in FULL])
def test_validator_figures_are_the_committed_sweeps_on_every_family(committed, scenario, family, seed):
    _check(committed, scenario, family, seed)


def test_the_sample_takes_every_family_of_the_pools():
    """Is every family of the shipped pools (the control too) among the rows compared?"""
    from data_generators.sweep import all_pairs
    assert {f for _, f in all_pairs()} == {f for _, f, _ in FAST + FULL}
