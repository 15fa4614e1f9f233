"""Every shipped scenario passes validation over 50 seeds, at the size the live notebook uses.

Two tiers. ``make test`` validates every scenario on one seed (seed 0, ``test_one_seed_validates``).
``make test-all`` adds the sweep over seeds 0-49, split into one test per scenario and block of
10 seeds, so pytest-xdist spreads the blocks over the cores (a scenario is no longer one
10-minute test); each block checks its own seeds, and the effect band is checked on every block.
"""
from __future__ import annotations

import pytest

import data_generators as dg
from data_generators.validation import EFFECT_TOLERANCE

SEEDS = range(50)
BLOCK = 10
BLOCKS = [range(lo, min(lo + BLOCK, SEEDS.stop)) for lo in range(SEEDS.start, SEEDS.stop, BLOCK)]


def _validate(name: str, seeds) -> None:
    failures, effects, target = [], [], None
    for seed in seeds:
        rep = dg.validate_variant(dg.build_variant(name, seed))
        effects.append(rep.effect)
        target = rep.target
        if not rep.passed:
            failures.append((seed, [(c.name, c.value, c.threshold) for c in rep.failed]))
    assert not failures, f"{name}: {len(failures)} of {len(seeds)} seeds fail: {failures[:3]}"
    if dg.load_scenario(name).family == dg.NO_FAILURE:  # nothing planted: the gap is noise around 0
        assert target == 0 and max(abs(e) for e in effects) <= 0.04
    else:
        assert max(abs(e / target - 1) for e in effects) <= EFFECT_TOLERANCE


@pytest.mark.parametrize("name", dg.list_scenarios())
def test_one_seed_validates(name):
    """Does seed 0 of every scenario plant a visible failure, resolved by its reference experiment and
    by no decoy (for the control: nothing beyond noise, every decoy visible)?"""
    _validate(name, [0])


@pytest.mark.full
@pytest.mark.parametrize("seeds", BLOCKS, ids=[f"seeds{b.start}-{b.stop - 1}" for b in BLOCKS])
@pytest.mark.parametrize("name", dg.list_scenarios())
def test_every_seed_validates(name, seeds):
    """Does every seed of the block plant a visible failure, resolved by its reference experiment and
    by no decoy, with the effect within the scenario's band?"""
    _validate(name, seeds)
