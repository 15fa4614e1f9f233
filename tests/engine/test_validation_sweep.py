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


@pytest.mark.parametrize("name", dg.list_scenarios())
def test_every_family_of_the_pool_validates_on_one_seed(name):
    """Does every family of the scenario's pool plant a visible failure on one seed (a different seed
    per family), resolved by its reference experiment and by no decoy?"""
    for i, family in enumerate(dg.load_scenario(name).pool):
        _check(name, family, [100 + i])


@pytest.mark.full
@pytest.mark.parametrize("name, family, block", [(n, f, b) for n, f in PAIRS for b in range(0, len(SEEDS), BLOCK)],
                         ids=lambda v: str(v))
def test_every_seed_validates(name, family, block):
    """Do seeds block..block+9 of this (scenario, family) pair all pass validation within the band?"""
    _check(name, family, list(SEEDS)[block:block + BLOCK])
