"""The builder's per-seed effect control (``variant.control_effect``).

The seed draws the family's strength within +/- jitter of the scenario's value, but the symptom the
validator measures also depends on the seed's culprit, onset and sample noise. ``build_variant``
measures the symptom after the team's model is fitted and plants the same seed's world again with
the strength scaled when it misses its target by more than ``EFFECT_CONTROL_TOLERANCE``.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import data_generators as dg
from data_generators import registry
from data_generators.paths import SCENARIO_DIR
from data_generators.scenario import load_scenario
from data_generators.validation import validate_variant
from data_generators.validation import EFFECT_TOLERANCE
from data_generators.variant import (EFFECT_CONTROL_STEPS, EFFECT_CONTROL_TOLERANCE, EFFECT_RESCUE_STEPS,
                                     SPLIT_DRAWS, STRENGTH_SCALE_LIMITS, bracket_scale, build_world,
                                     finish_variant, measured_effect, next_scale)
from livescreen.toolkit.model import one_thread

TINY = {"n_offline": 600, "n_production": 600}
# Seeds whose uncontrolled planting missed the target by more than the validator's 15% in the
# committed sweep (docs/calibration/pool_sweep.csv, before the control), one over and one under,
# at the live size; ad_click_through's worlds are cheap to build.
MISSED = [("ad_click_through", "concept_drift", 5), ("ad_click_through", "concept_drift", 10)]


def _plant(name, family, seed, scale, split_draw=0, **sizes):
    sc = load_scenario(name)
    w = sc.spec["world"]
    sizes = sizes or {"n_offline": w.get("n_offline", 20_000), "n_production": w.get("n_production", 20_000)}
    world, planted, decoys = build_world(sc, seed, family=family, strength_scale=scale,
                                         split_draw=split_draw, **sizes)
    return finish_variant(sc, seed, world, planted, decoys)


def _miss(variant) -> float:
    return abs(measured_effect(variant) / variant._family.target - 1)


def _plain_and_built(cases):
    """(the seed's own planting at the drawn strength and split, the variant ``build_variant``
    makes) of each (scenario, family, seed)."""
    with one_thread():
        return {(n, f, s): (_plant(n, f, s, 1.0), dg.build_variant(n, s, family=f)) for n, f, s in cases}


@pytest.fixture(scope="module")
def missed():
    """(uncontrolled, controlled) variants of each MISSED seed, built once."""
    return _plain_and_built(MISSED)


@pytest.mark.parametrize("case", MISSED, ids=lambda c: "-".join(map(str, c)))
def test_the_control_brings_a_missed_seed_within_the_inner_tolerance(case, missed):
    """On a seed whose uncontrolled planting misses its target by more than the validator's 15%, is
    the controlled variant's symptom (as the validator measures it) within the inner tolerance, after
    at most EFFECT_CONTROL_STEPS corrections, and does the validator's effect check pass?"""
    plain, controlled = missed[case]
    assert _miss(plain) > 0.15, f"premise: the uncontrolled planting missed by {_miss(plain):.1%}"
    assert _miss(controlled) <= EFFECT_CONTROL_TOLERANCE, controlled._effect_control
    tried = controlled._effect_control
    assert 2 <= len(tried) <= 1 + EFFECT_CONTROL_STEPS and tried[0][0] == 1.0
    assert controlled.truth.strength != plain.truth.strength
    if case == MISSED[0]:  # the validator reads the same figure (one case: a validation costs 2 s)
        rep = validate_variant(controlled)
        assert next(c for c in rep.checks if c.name == "effect_band").passed
        assert rep.effect == pytest.approx(measured_effect(controlled), abs=1e-4)


@pytest.mark.parametrize("case", MISSED[:1], ids=lambda c: "-".join(map(str, c)))
def test_the_controlled_variant_is_deterministic(case, missed):
    """Does the same seed give an identical controlled variant (data, metadata, truth, corrections)?"""
    _, first = missed[case]
    n, f, s = case
    with one_thread():
        again = dg.build_variant(n, s, family=f)
    for part in ("offline", "production", "recomputed"):
        pd.testing.assert_frame_equal(getattr(first, part), getattr(again, part))
    assert first.metadata() == again.metadata() and first.truth == again.truth
    assert first._effect_control == again._effect_control


@pytest.mark.parametrize("case", MISSED, ids=lambda c: "-".join(map(str, c)))
def test_a_correction_changes_candidate_files_only_through_the_strength(case, missed):
    """Against the uncontrolled planting of the same seed, is everything a candidate reads the same
    (schema.json, ids, timestamps, split, every column but the culprits, the label and the score),
    and the truth the same but for the strength?"""
    plain, controlled = missed[case]
    assert json.dumps(plain.metadata()) == json.dumps(controlled.metadata())
    s = plain.schema
    moved = set(plain.truth.culprits) | {s["label"], s["score"]}
    for part in ("offline", "production", "recomputed"):
        a, b = getattr(plain, part), getattr(controlled, part)
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        same = [c for c in a.columns if c not in moved]
        pd.testing.assert_frame_equal(a[same], b[same])
    assert any(not getattr(plain, p)[c].equals(getattr(controlled, p)[c])
               for p in ("offline", "production") for c in moved if c in getattr(plain, p))
    a, b = plain.truth.to_dict(), controlled.truth.to_dict()
    assert a.pop("strength") != b.pop("strength") and a == b


def test_the_strength_stays_on_the_interviewer_side(missed, tmp_path):
    """Is the strength planted in the truth and nowhere in what a candidate receives?"""
    _, controlled = missed[MISSED[0]]
    strength = controlled.truth.strength
    assert controlled.truth.to_dict()["strength"] == strength
    out = controlled.write(tmp_path / "candidate")
    meta = (out / "schema.json").read_text()
    assert "strength" not in meta and f"{strength}" not in meta


CONTROLLED = [(n, f) for n in dg.list_scenarios() for f in load_scenario(n).pool
              if registry.get_family(f).strength_response]


@pytest.mark.parametrize("name, family", CONTROLLED, ids=lambda x: x)
def test_every_random_draw_is_the_same_whatever_the_strength(name, family):
    """For every pair the control may correct: does planting at another strength make exactly the
    same random draws (the world's generator ends in the same state, and the column order, names,
    culprits and decoys are the seed's)? Tiny worlds: the draws do not depend on the size."""
    sc = load_scenario(name)
    states, worlds = [], []
    for scale in (1.0, 1.3):
        world, planted, decoys = build_world(sc, 1, family=family, strength_scale=scale, **TINY)
        states.append(json.dumps(world.rng.bit_generator.state, default=str))
        worlds.append((world.feature_names, planted.culprits(world), [d.to_dict(world) for d in decoys],
                       planted.onset, planted.segment))
    assert states[0] == states[1] and worlds[0] == worlds[1]


def test_next_scale_steps_proportionally_then_by_secant():
    """A proportional first step (inverse for a falling symptom), a secant second one, and the
    limits: no step when two plantings slope against the declared direction or the scale is tried."""
    assert next_scale([(1.0, 0.08)], target=0.10, sign=1) == pytest.approx(1.25)
    assert next_scale([(1.0, 0.08)], target=0.10, sign=-1) == pytest.approx(0.8)
    # secant through (1.0, 0.08) and (1.25, 0.09): 0.10 is reached at 1.5
    assert next_scale([(1.0, 0.08), (1.25, 0.09)], target=0.10, sign=1) == pytest.approx(1.5)
    # the symptom fell as the strength rose (noise larger than the strength's effect): stop
    assert next_scale([(1.0, 0.08), (1.25, 0.07)], target=0.10, sign=1) is None
    assert next_scale([(1.0, 0.08), (1.25, 0.08)], target=0.10, sign=1) is None
    # a falling symptom: the secant runs the other way
    assert next_scale([(1.0, 0.12), (1.2, 0.11)], target=0.10, sign=-1) == pytest.approx(1.4)
    assert next_scale([(1.0, -0.01)], target=0.10, sign=1) == STRENGTH_SCALE_LIMITS[1]
    assert next_scale([(1.0, 0.01)], target=0.10, sign=1) == STRENGTH_SCALE_LIMITS[1]
    # at the limit already: nothing new to try
    assert next_scale([(STRENGTH_SCALE_LIMITS[1], 0.01)], target=0.10, sign=1) is None


def test_bracket_scale_steps_by_false_position_between_the_bracketing_plantings():
    """Between the two closest plantings (by scale) on either side of the target, by the secant
    through them; None when no two bracket it or the scale was tried already."""
    # account_takeover/target_leakage seed 3: the symptom jumps from 0.26 to 0.50 between 1.56 and 2.06
    tried = [(1.0, 0.202), (1.559, 0.261), (2.063, 0.501)]
    assert bracket_scale(tried, target=0.315) == pytest.approx(1.559 + 0.054 * 0.504 / 0.240)
    assert bracket_scale(tried, target=0.6) is None  # nothing above it
    assert bracket_scale([(1.0, 0.2), (2.0, 0.4)], target=0.3) == pytest.approx(1.5)
    # the closest bracketing pair by scale: (1.0, 0.2) and (1.5, 0.5), not the outer (1.0, 2.0)
    assert bracket_scale([(1.0, 0.2), (2.0, 0.4), (1.5, 0.5)], target=0.3) == pytest.approx(1.0 + 0.5 / 3)
    # a falling stretch brackets too
    assert bracket_scale([(1.0, 0.5), (2.0, 0.1)], target=0.3) == pytest.approx(1.5)
    # a scale already tried is not planted again
    assert bracket_scale([(1.0, 0.2), (2.0, 0.4), (1.5, 0.2)], target=0.3) == pytest.approx(1.75)
    assert bracket_scale([(1.0, 0.2), (2.0, 0.4), (1.5, 0.3)], target=0.3) is None


# A seed whose regular steps (a proportional one, a secant one) all missed the validator's band in the
# committed sweep of 2026-12-03 (0.202, 0.261, 0.501 against 0.315): the symptom jumps with the strength.
JUMPY = ("account_takeover", "target_leakage", 3)


def test_the_rescue_steps_bring_a_jumpy_symptom_within_the_band():
    """Where the regular steps leave the closest planting beyond the validator's 15%, do the rescue
    steps (false position between the bracketing plantings) bring the variant within it, in at most
    EFFECT_RESCUE_STEPS more plantings, and does it validate?"""
    name, family, seed = JUMPY
    with one_thread():
        v = dg.build_variant(name, seed, family=family)
    tried, target = v._effect_control, v._family.target
    regular = tried[:1 + EFFECT_CONTROL_STEPS]
    assert len(regular) == 1 + EFFECT_CONTROL_STEPS
    assert min(abs(e / target - 1) for _, e in regular) > EFFECT_TOLERANCE, "premise: the regular steps missed"
    assert 1 + EFFECT_CONTROL_STEPS < len(tried) <= 1 + EFFECT_CONTROL_STEPS + EFFECT_RESCUE_STEPS
    assert _miss(v) <= EFFECT_TOLERANCE
    assert validate_variant(v).passed


def test_the_control_family_and_unresponsive_families_are_not_corrected():
    """Is the control (nothing planted) never re-planted, nor a family declared not monotone?"""
    assert registry.get_family(dg.NO_FAILURE).strength_response == 0
    v = dg.build_variant("lead_conversion", 0, family=dg.NO_FAILURE, **TINY)
    assert v._effect_control == []
    flat = [f for f in registry.family_names(control=False) if not registry.get_family(f).strength_response]
    for f in flat:
        name = next(n for n in dg.list_scenarios() if f in load_scenario(n).pool)
        assert dg.build_variant(name, 0, family=f, **TINY)._effect_control == [], f


# The declared response, measured: the symptom at five strengths (0.7x to 1.3x the drawn one) of seeds
# 0-1, live size, on the first scenario hosting the family. A family declared +1 or -1 moves from 0.7x
# to 1.3x in that direction on each seed, and at most one of the four 0.15x steps goes against it
# (sample noise: target_leakage on account_takeover, whose 1.8% positive rate makes the gap noisy,
# dips once on seed 0); the control stops at such a step and keeps the closest planting. A family
# declared 0 has a flat symptom (no knob) or more than one step against its trend on some seed.
@pytest.mark.full
@pytest.mark.parametrize("family", registry.family_names(control=False))
def test_the_declared_strength_response_is_measured(family):
    name = next(n for n in dg.list_scenarios() if family in load_scenario(n).pool)
    declared = registry.get_family(family).strength_response
    curves = []
    for seed in (0, 1):
        with one_thread():
            curves.append(np.array([measured_effect(_plant(name, family, seed, s))
                                    for s in (0.7, 0.85, 1.0, 1.15, 1.3)]))
    if declared:
        for c in curves:
            steps = np.sign(np.diff(c))
            assert np.sign(c[-1] - c[0]) == declared and (steps == -declared).sum() <= 1, (name, curves)
    else:
        def against(c):
            steps = np.sign(np.diff(c))
            return (steps == -np.sign(c[-1] - c[0])).sum()
        assert all(np.ptp(c) < 1e-9 for c in curves) or any(against(c) > 1 for c in curves), (name, curves)


# Variants whose own random split alone put them beyond the validator's line in the committed sweep
# of 2026-12-04: duplicate_leakage has no strength knob (the copies are a whole number) and its
# symptom came out 0.0619 against 0.076 on this seed; the control's gap came out 0.0404 against its
# cap of 0.04 (2 SE, nothing planted).
SPLIT_MISSED = [("ad_click_through", "duplicate_leakage", 48), ("lead_conversion", dg.NO_FAILURE, 33)]


@pytest.fixture(scope="module")
def split_missed():
    """(the seed's own split, the variant built) of each SPLIT_MISSED seed."""
    return _plain_and_built(SPLIT_MISSED)


@pytest.mark.parametrize("case", SPLIT_MISSED, ids=lambda c: "-".join(map(str, c)))
def test_another_split_draw_brings_a_variant_the_split_put_beyond_the_line_within_it(case, split_missed):
    """Where the seed's own random split leaves the variant beyond the validator's line and no
    strength can move it (no knob; the control), is the variant the first of the seed's other
    splits that is within the line, does it validate, and is everything else the seed's: the same
    rows, columns and values, only the split, the scores (the model trained on other rows) and
    nothing in the truth changed?"""
    own, built = split_missed[case]
    assert not validate_variant(own).passed, "premise: the seed's own split fails validation"
    tried = built._split_draws
    assert 1 <= len(tried) <= SPLIT_DRAWS and [k for k, _ in tried] == list(range(1, len(tried) + 1))
    assert validate_variant(built).passed
    assert measured_effect(built) == pytest.approx(tried[-1][1], abs=1e-6)
    s = own.schema
    assert json.dumps(own.metadata()) == json.dumps(built.metadata()) and own.truth == built.truth
    assert (own.offline[s["split"]] != built.offline[s["split"]]).any()
    for part in ("offline", "production", "recomputed"):
        a, b = getattr(own, part), getattr(built, part)
        same = [c for c in a.columns if c not in (s["split"], s["score"])]
        pd.testing.assert_frame_equal(a[same], b[same])
    if case == SPLIT_MISSED[0]:  # deterministic: the same seed gives the same split again
        with one_thread():
            again = dg.build_variant(*case[:1], case[2], family=case[1])
        pd.testing.assert_frame_equal(again.offline, built.offline)
        assert again._split_draws == tried


def test_a_variant_within_the_line_keeps_its_own_split():
    """A seed within the band at its own split draws no other (the same seed and pair as above)."""
    with one_thread():
        v = dg.build_variant("ad_click_through", 0, family="duplicate_leakage")
    assert v._split_draws == [] and _miss(v) <= EFFECT_TOLERANCE
    pd.testing.assert_frame_equal(v.offline, _plant("ad_click_through", "duplicate_leakage", 0, 1.0).offline)


def test_a_split_by_time_has_no_other_draw(tmp_path):
    """Where the team splits by time there is no random split to draw again: the seed's other
    split draws plant the same offline rows (no shipped scenario splits by time; a copy of one that
    does, at a tiny size)."""
    text = (SCENARIO_DIR / "lead_conversion.yaml").read_text()
    assert "\n  split: random\n" in text
    path = tmp_path / "lead_conversion.yaml"  # the file name is the scenario name
    path.write_text(text.replace("\n  split: random\n", "\n  split: time\n"))
    sc = load_scenario(path)
    worlds = [build_world(sc, 0, family=dg.NO_FAILURE, split_draw=k, **TINY)[0] for k in (0, 1)]
    assert not any(w.split_drawn for w in worlds)
    pd.testing.assert_frame_equal(worlds[0].frames["offline"], worlds[1].frames["offline"])
