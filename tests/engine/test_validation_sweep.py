"""Every (scenario, family) pair of the shipped pools validates, at the size the live notebook uses.

Two tiers:
- ``make test`` touches every pair on one seed (the seed rotates with the pair, so different pairs
  look at different seeds): one test per pair, a few seconds each.
- ``make test-full`` (marker ``full``) validates every pair of every pool on ``CI_SEEDS``, split
  into independent tests of one scenario x block of 5 seeds (all the pool's pairs on those seeds),
  so pytest-xdist spreads them over the workers. Each asserts that every variant passes (but for
  the seeds listed in ``KNOWN_SEED_FAILURES`` and the pairs in ``UNCALIBRATED``), that every effect
  is within +/-15% of its target, and that every pair's mean difficulty index on the block sits in
  its pool's band (``data_generators.sweep.BAND_WIDTH``). The README's scenario x family table
  records the sweep of all 50 seeds (``livescreen validate all --seeds 0-49``).
"""
from __future__ import annotations

import statistics
from pathlib import Path

import pytest

import data_generators as dg
from data_generators import sweep
from data_generators.sweep import BAND_WIDTH
from data_generators.validation import EFFECT_TOLERANCE

ROOT = Path(__file__).resolve().parents[2]
# The sweep behind the README's table (`livescreen validate all --out docs/calibration/pool_sweep.csv`)
SWEEP_CSV = ROOT / "docs" / "calibration" / "pool_sweep.csv"

SEEDS = range(50)  # the README's table: every pair over these (`livescreen validate all`)
BLOCK = 5
PAIRS = [(name, fam) for name in dg.list_scenarios() for fam in dg.load_scenario(name).pool]
# Pairs not calibrated yet, each with what fails on the fast tier's seed (measured 2026-12-03 on the
# shipped params; strict: a pair that starts passing there must leave this list). The effect in a
# foreign world spreads more than +/-15% across seeds (by the culprit the seed picks, or the
# onset), or a check sits at its bar; the seed-0 figures of the sweep are in the README's table.
UNCALIBRATED = {
    ("account_takeover", "schema_change"): "effect +58% of target on seed 102 (culprit fixed)",
    ("account_takeover", "group_leakage"): "effect -30% of target on seed 103: 0.054-0.118 on seeds 0-2 and 103, "
                                           "the gap is noisy at this world's 1.8% positive rate",
    ("ad_click_through", "selection_bias"): "effect -30.5% on seed 104 (-51% on seed 0)",
    ("content_recommendation_ctr", "slice_failure"): "effect +27.2% on seed 102 (0%, -16% on seeds 0-1)",
    ("credit_default", "imbalance_wrong_metric"): "symptom 0.4953 below its 0.5 floor on seed 103",
    ("credit_default", "prior_shift"): "effect +20.6% on seed 104",
    ("credit_default", "selection_bias"): "passes its fast-tier seed 101, but fails seeds 0, 2, 3, 4 of the full tier: "
                                          "effect +17%, +21%, -18% of target and the suspicious decoy ranks 5th",
    ("lead_conversion", "concept_drift"): "refit on recent rows leaves 0.0758 > 0.0565 (0.35 x symptom) on seed 103",
    ("marketplace_seller_risk", "covariate_shift"): "importance weighting leaves 0.0359 > 0.0293 (0.4 x symptom) on "
                                                    "seed 103",
    ("marketplace_seller_risk", "label_delay"): "retrained without the drifting decoy's column, 0.1054 of the "
                                                "symptom is left < 0.1151 (0.6 x symptom) on seed 102",
    ("payment_fraud", "schema_change"): "effect -18.4% on seed 101 (culprit fixed)",
    ("payment_fraud", "selection_bias"): "effect +22.1% on seed 103",
    ("ride_cancellations", "concept_drift"): "effect -30.2% on seed 101 (culprit fixed)",
    ("ride_cancellations", "selection_bias"): "the suspicious decoy's removal leaves 0.0516 < 0.0616 (0.6 x "
                                              "symptom) on seed 103",
}


def _check(name: str, family: str, seeds) -> list[float]:
    """Validate the pair on ``seeds``; every variant passes and its effect is within the band.
    Returns the variants' difficulty indices."""
    failures, effects, difficulty = [], [], []
    for seed in seeds:
        rep = dg.validate_variant(dg.build_variant(name, seed, family=family))
        effects.append(rep.effect)
        difficulty.append(rep.difficulty)
        if not rep.passed:
            failures.append((seed, [(c.name, c.value, c.threshold) for c in rep.failed]))
    assert not failures, f"{name}/{family}: {len(failures)} of {len(seeds)} seeds fail: {failures[:3]}"
    if family == dg.NO_FAILURE:  # nothing planted: the gap is noise around 0
        off = [(s, round(e, 4)) for s, e in zip(seeds, effects) if abs(e) > 0.04]
        assert not off, f"{name}/{family}: a gap beyond 0.04 with nothing planted on (seed, gap) {off}"
    else:
        off = [(s, round(e / rep.target - 1, 3)) for s, e in zip(seeds, effects)
               if abs(e / rep.target - 1) > EFFECT_TOLERANCE]
        assert not off, f"{name}/{family}: effect off its target by more than {EFFECT_TOLERANCE:.0%} on (seed, share) {off}"
    return difficulty


# Uncalibrated pairs that pass on their fast-tier seed: the fast tier checks them as any other pair
# (no xfail there); the full tier leaves them out like the rest of UNCALIBRATED.
PASS_ON_FAST_SEED = {("credit_default", "selection_bias")}


def _marked(pairs):
    out = []
    for name, family, *rest in pairs:
        marks = []
        if (name, family) in UNCALIBRATED and (name, family) not in PASS_ON_FAST_SEED:
            marks.append(pytest.mark.xfail(reason=f"not calibrated yet: {UNCALIBRATED[name, family]}", strict=True))
        out.append(pytest.param(name, family, *rest, marks=marks, id="-".join(map(str, (name, family, *rest)))))
    return out


@pytest.mark.parametrize("name, family", _marked(PAIRS))
def test_every_family_of_the_pool_validates_on_one_seed(name, family):
    """Does this family of the scenario's pool plant a visible failure on one seed (a different seed
    per family of the pool), resolved by its reference experiment and by no decoy?"""
    _check(name, family, [100 + dg.load_scenario(name).pool.index(family)])


# Seeds measured failing in a sweep: open defects, each with its figure. The full tier
# fails on any other seed that fails, so a regression is caught while these wait for a fix.
KNOWN_SEED_FAILURES = {
    ("card_chargebacks", "label_delay"): {
        6: "the noise-segment decoy's change is -0.138, outside its 3 SE (0.120): too visible to be noise"},
    # measured in the pool sweep (seed 0 of every pair, 2026-12-03)
    ("support_escalation", "temporal_leakage"): {  # measured in the full tier's block 0-4
        2: "the noise-segment decoy's change is -0.0758, outside its 3 SE (0.074): too visible to be noise"},
    ("hospital_readmission", "duplicate_leakage"): {
        0: "the noise-segment decoy's change is -0.084, outside its 3 SE (0.079): too visible to be noise"},
}
# Pairs whose mean difficulty index over the committed sweep lies outside their pool's band
# (median of the pool's pair means +/- BAND_WIDTH), with the figure: recalibrating their difficulty
# (a smaller or larger effect moves it) is open work; the full tier checks the band for the others.
OUTSIDE_BAND: dict[tuple[str, str], str] = {
    ("ad_click_through", "temporal_leakage"): "mean 0.35 on seed 0; band 0.36-0.66",
    ("ad_click_through", "duplicate_leakage"): "mean 0.74 on seed 0; band 0.36-0.66",
    ("ad_click_through", "selection_bias"): "mean 0.68 on seed 0; band 0.36-0.66",
    ("card_chargebacks", "slice_failure"): "mean 0.74 on seed 0; band 0.27-0.57",
    ("card_chargebacks", "simpson_mix"): "mean 0.69 on seed 0; band 0.27-0.57",
    ("content_recommendation_ctr", "covariate_shift"): "mean 0.21 on seed 0; band 0.39-0.69",
    ("content_recommendation_ctr", "no_failure"): "mean 0.76 on seed 0; band 0.39-0.69",
    ("credit_default", "covariate_shift"): "mean 0.33 on seed 0; band 0.44-0.74",
    ("credit_default", "imbalance_wrong_metric"): "mean 0.75 on seed 0; band 0.44-0.74",
    ("food_delivery_late", "imbalance_wrong_metric"): "mean 0.68 on seed 0; band 0.28-0.58",
    ("insurance_lapse", "no_failure"): "mean 0.75 on seed 0; band 0.34-0.64",
    ("lead_conversion", "no_failure"): "mean 0.79 on seed 0; band 0.40-0.70",
    ("marketplace_seller_risk", "preprocessing_leakage"): "mean 0.38 on seed 0; band 0.40-0.70",
    ("ride_cancellations", "imbalance_wrong_metric"): "mean 0.77 on seed 0; band 0.37-0.67",
    ("telecom_churn", "covariate_shift"): "mean 0.22 on seed 0; band 0.33-0.63",
}
# The seeds the full tier sweeps (every pair of every pool, in blocks of BLOCK): as many as fit its
# 30-minute budget on 2 workers. One validation costs 0.6-3.5 s of CPU (measured with
# time.process_time in the sweep, one native thread; about 2 s on average, GB worlds dearer than
# LR ones), and the lead-only sweep measured 2.4 s per variant per worker in CI: 65 pairs x 15
# seeds x 2.4 s / 2 workers is about 20 min, beside the rest of the full tier's 5 min.
CI_SEEDS = range(15)


@pytest.mark.full
@pytest.mark.parametrize("name, block", [pytest.param(n, b, id=f"{n}-{b}")
                                         for n in dg.list_scenarios() for b in range(0, len(CI_SEEDS), BLOCK)])
def test_every_pair_of_the_pool_validates_on_a_block_of_seeds(name, block):
    """Do seeds block..block+4 of every family of the scenario's pool pass validation within the
    effect band (but for KNOWN_SEED_FAILURES and UNCALIBRATED pairs), and does every pair's mean
    difficulty index sit in the pool's band (the median of the pair means +/- BAND_WIDTH)?"""
    seeds = list(CI_SEEDS)[block:block + BLOCK]
    means, errors = {}, []
    for family in dg.load_scenario(name).pool:
        if (name, family) in UNCALIBRATED:
            continue
        known = KNOWN_SEED_FAILURES.get((name, family), {})
        try:
            means[family] = statistics.fmean(_check(name, family, [s for s in seeds if s not in known]))
        except AssertionError as exc:
            errors.append(str(exc))
    assert not errors, errors
    mid = statistics.median(means.values())
    outside = {f: round(m, 3) for f, m in means.items()
               if abs(m - mid) > BAND_WIDTH and (name, f) not in OUTSIDE_BAND}
    assert not outside, f"{name}: mean difficulty outside {mid:.3f} +/- {BAND_WIDTH}: {outside}"


def test_the_readme_table_is_the_sweeps():
    """Is the README's scenario x family table the one the committed sweep gives (no hand-typed
    figure), and does the sweep hold only pairs of the shipped pools?"""
    rows = sweep.read_rows(SWEEP_CSV)
    readme = (ROOT / "README.md").read_text()
    assert f"{sweep.README_START}\n{sweep.difficulty_table(rows)}{sweep.README_END}" in readme
    assert {(r["scenario"], r["family"]) for r in rows} <= set(PAIRS)


def test_outside_band_lists_exactly_the_sweeps_pairs_outside_their_band():
    """Does OUTSIDE_BAND name exactly the pairs the committed sweep puts outside their pool's band?"""
    outside = {(n, f) for n, b in sweep.difficulty_band(sweep.read_rows(SWEEP_CSV)).items() for f in b["outside"]}
    assert outside == set(OUTSIDE_BAND)


@pytest.mark.xfail(strict=True, reason="measured in the committed sweep: the pairs listed in OUTSIDE_BAND have "
                                       "a mean difficulty outside their pool's band (recalibration is open work)")
def test_every_pair_sits_in_its_pools_difficulty_band():
    """In the committed sweep, does every pair's mean difficulty index sit within BAND_WIDTH of its
    pool's median pair mean?"""
    outside = {(n, f): m for n, b in sweep.difficulty_band(sweep.read_rows(SWEEP_CSV)).items()
               for f, m in b["outside"].items()}
    assert not outside, outside
