"""Expert answers score high for every family, red flags stay red however the card is phrased.

Each family module lists the first experiments an experienced ML engineer would defend
(``expert``). With an otherwise right card, each must earn at least 85% of the autograded points
on 3 seeds, in a scenario whose pool hosts the family, graded by measured discrimination
(``grading.measured``). make test checks the two cases the issue found and the red flags; the
sweep over every family and 3 seeds is in the full tier.
"""
from __future__ import annotations

import pytest

import data_generators as dg
from grading.answers import experiment_for, reference_card
from grading.score import score_card

from .conftest import GRADED, host

SEEDS = (0, 1, 2)
CASES = [(f, e) for f in dg.FAMILIES for e, _ in dg.registry.get_family(f).expert]
# Measured at the live size (what a candidate gets), in the first scenario hosting each family, on
# seeds 0-2, with the per-seed effect control (issue-11-effect) and issue-11-calib3's plantings.
# Causes fixed after measuring at this size: segment_metrics reports a moved mix (simpson_mix 69% ->
# 100% on seed 0); label_delay's and preprocessing_leakage's lists no longer hold reweight_for_prior
# and label_permutation_test (see their modules); reweight_for_prior estimates the prior on the rows
# whose gap it measures (prior_shift 65% -> at least 91% on seeds 0-2); group_split is a group
# k-fold (group_leakage on account_takeover seed 2: 65% -> 100%); duplicate_leakage's copies are
# exact (issue-11-calib3; dedup_then_split 65% -> 100% on seeds 0-2); randomized_holdout compares
# the matured labelled and unlabelled rows on every input, not only on the score (selection_bias
# 70% -> 100% on seeds 0-2: the refused rows differ on the policy's column, KS D 0.76-0.77, while
# the team's scores barely tell them apart, D 0.03-0.07); group_split counts a grouped estimate that
# fell by at least half the gap and landed below production as closing it (group_leakage seed 0 65%
# -> 100%); group_leakage's list no longer holds retrain_on_recent (see its module; it was 75% and
# 80% on seeds 1-2); threshold_by_cost reports when the threshold best offline raises the production
# cost by 10% or more (threshold_change_hurts: calibration_mismatch on ad_click_through seed 1 82.1% ->
# passes, 15-19% more cost on seeds 0-2, separating 8 of 8 rivals); threshold_by_cost says whether
# production then costs what the offline rows promise (threshold_change_helps:offline_holds; the team's
# threshold is off the costs under every family of the hosts, so the saving alone separated
# imbalance_wrong_metric from 1 of 6 rivals on account_takeover seed 2, 80% -> 100%, 5 of 6).
# A case still below 85% goes here, strict, with the figure measured and its reason: the
# experiment's own outcome does not tell the family's world from its rivals' there.
BELOW_85: dict[tuple[str, str, int], str] = {}


def group(family: str):
    """Each family's measured variants on one worker (the fixture's cache is per process)."""
    return pytest.mark.xdist_group(f"measured-{family}")


def _score(v, family, etype):
    truth = v.truth.to_dict()
    exp = experiment_for(family, truth, schema=v.schema, etype=etype)
    card = reference_card(truth, brief=v.brief, experiment=exp)
    s = score_card(card, truth, brief=v.brief, known_columns=v.schema["features"])
    return s, [(i.id, i.points, i.evidence) for i in s.items]


_LIVE: dict = {}


def _live(family: str, seed: int):
    """The live-size variant of ``family`` in its first host, its truth recording only its sizes:
    each experiment is measured in its worlds when first scored (``grading.measured.outcomes_of``)."""
    from grading.measured import sizes_only
    if (family, seed) not in _LIVE:
        _LIVE.clear()  # the family's seeds run in turn on one worker: keep one variant
        _LIVE[family, seed] = sizes_only(dg.build_variant(host(family), seed, family=family))
    return _LIVE[family, seed]


def expert_score(family: str, seed: int, etype: str, monkeypatch):
    """(score, items, exact) of the right card running ``etype`` on the live-size variant.

    The discrimination item is the experiment's share of rivals separated over the best share any
    catalogue experiment reaches (at most 1). Scored first with that best share taken as 1, which
    measures only ``etype`` in each world and gives a lower bound of the score; when the bound
    already reaches 85% it proves the point, else the card is scored exactly (every catalogue
    experiment measured in every world).
    """
    from grading import score as S
    v = _live(family, seed)
    with monkeypatch.context() as m:
        m.setattr(S, "best_share", lambda truth: 1.0)
        s, items = _score(v, family, etype)
    if s.total >= 0.85 * s.max:
        return s, items, False
    s, items = _score(v, family, etype)
    return s, items, True


@pytest.mark.full
@pytest.mark.parametrize("family, seed, etype", [pytest.param(f, seed, e, marks=[group(f)] + (
    [pytest.mark.xfail(reason=BELOW_85[f, e, seed], strict=True)] if (f, e, seed) in BELOW_85 else []))
    for f in dg.FAMILIES for seed in SEEDS for e, _ in dg.registry.get_family(f).expert], ids=lambda v: str(v))
def test_each_expert_first_experiment_earns_85_percent(family, seed, etype, monkeypatch, record_property):
    """With the right family, culprit, expectations, decision and cost, does each expert first
    experiment of the family earn at least 85% of the autograded points on each of 3 seeds, at the
    size a candidate gets?"""
    s, items, exact = expert_score(family, seed, etype, monkeypatch)
    record_property("score", f"{s.total}/{s.max}" + ("" if exact else " (lower bound)"))
    assert s.total >= 0.85 * s.max, (family, etype, seed, s.total, items)


@pytest.mark.full  # make test's measured variant is conftest.GRADED
@group("calibration_mismatch")
def test_recalibrate_on_lead_conversion_earns_85_percent(measured_variant):
    """The issue's first case: a right card for calibration_mismatch on lead_conversion running
    ``recalibrate`` earns at least 85% (it earned 40/70 when the outcome could not tell a model
    calibrated to another base rate from a world that changed)."""
    v = measured_variant("lead_conversion", 0, "calibration_mismatch")
    s, items = _score(v, "calibration_mismatch", "recalibrate")
    assert s.total >= 0.85 * s.max, items
    assert s.discrimination["true_outcome"] == "miscalibrated:severely"


@pytest.mark.full  # make test's measured variants are two (tests/conftest.py shared_measurements)
@group("schema_change")
def test_profile_comparison_of_the_culprit_separates_a_schema_change(measured_variant):
    """The issue's second case, at 1,500 rows: a right schema_change card whose profile
    comparison names the culprit column scores by what that comparison really gives (the culprit
    changed), not by what the whole table's comparison would top."""
    v = measured_variant("ride_cancellations", 909, "schema_change")
    s, items = _score(v, "schema_change", "compare_profiles_before_after")
    culprit = v.truth.culprits[0]
    assert s.discrimination["true_outcome"] == f"changed:{culprit}"
    assert s.item("discrimination").points > 0 and s.total >= 0.85 * s.max, items


@pytest.mark.full
@group("schema_change")
def test_profile_comparison_on_ride_cancellations_seed_909_at_live_size(measured_variant):
    """The issue's case as found (live size, seed 909, schema_change): discrimination above 0 and
    the true outcome ``changed:<culprit>``, as the toolkit's own run prints."""
    from livescreen.toolkit.experiments import run_experiment
    from grading.measured import case_of
    v = measured_variant("ride_cancellations", 909, "schema_change", rows=20_000)
    s, items = _score(v, "schema_change", "compare_profiles_before_after")
    exp = experiment_for("schema_change", v.truth.to_dict(), schema=v.schema, etype="compare_profiles_before_after")
    assert run_experiment(case_of(v), exp).outcome == s.discrimination["true_outcome"] == f"changed:{v.truth.culprits[0]}"
    assert s.item("discrimination").points > 0 and s.total >= 0.85 * s.max, items


RED = ("tune_hyperparameters", "more_data", "bigger_model", "retrain_as_is")


@pytest.mark.parametrize("name, seed, family, rows", [
    pytest.param(host("selection_bias"), 0, "selection_bias", None, marks=[group("selection_bias"), pytest.mark.full]),
    pytest.param(*GRADED, marks=group(GRADED[2]))])
def test_a_red_flag_earns_at_most_ten_percent_however_the_card_is_phrased(name, seed, family, rows, measured_variant):
    """With everything else right (family, culprit, expectations, decision, cost), does a red-flag
    experiment still earn at most 10% of the total, and a weak free-text card asking to tune too?"""
    v = measured_variant(name, seed, family, rows) if rows else measured_variant(name, seed, family)
    truth = v.truth.to_dict()
    for etype in RED:
        card = reference_card(truth, brief=v.brief, experiment={"type": etype})
        s = score_card(card, truth, brief=v.brief, known_columns=v.schema["features"])
        assert s.total <= 0.10 * s.max and "red_flag_experiment" in s.flags, (etype, s.total, s.max)
    weak = {"hypothesis": "the model needs tuning", "evidence": "AUC is lower online than offline.",
            "experiment": "tune the hyperparameters with a grid search",
            "expected_if_true": "AUC improves a lot online", "expected_if_false": "AUC stays the same",
            "decision": "If AUC improves, ship the tuned model; otherwise collect more data. A false "
                        "positive costs less than a false negative."}
    s = score_card(weak, truth, brief=v.brief, known_columns=v.schema["features"])
    assert s.total <= 0.10 * s.max and "red_flag_experiment" in s.flags, (s.total, s.max)
