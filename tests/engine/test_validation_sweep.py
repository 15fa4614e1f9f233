"""Every shipped scenario passes validation over 50 seeds, at the size the live notebook uses.

Each scenario is its own test, so pytest-xdist spreads them over the cores. This is the slowest
part of `make test` (about 2 s per variant on one core).
"""
from __future__ import annotations

import pytest

import data_generators as dg
from data_generators.validation import EFFECT_TOLERANCE

SEEDS = range(50)


@pytest.mark.slow
@pytest.mark.parametrize("name", dg.list_scenarios())
def test_every_seed_validates(name):
    """Does every one of 50 seeds plant a visible failure, resolved by its reference experiment and by
    no decoy (for the control: nothing beyond noise, every decoy visible)?"""
    failures, effects = [], []
    for seed in SEEDS:
        rep = dg.validate_variant(dg.build_variant(name, seed))
        effects.append(rep.effect)
        if not rep.passed:
            failures.append((seed, [(c.name, c.value, c.threshold) for c in rep.failed]))
    assert not failures, f"{name}: {len(failures)} of {len(SEEDS)} seeds fail: {failures[:3]}"
    target = rep.target
    if dg.load_scenario(name).family == dg.NO_FAILURE:  # nothing planted: the gap is noise around 0
        assert target == 0 and max(abs(e) for e in effects) <= 0.04
    else:
        assert max(abs(e / target - 1) for e in effects) <= EFFECT_TOLERANCE
