"""Shared fixtures: small variants built once per session."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = {"n_offline": 4000, "n_production": 4000}


@pytest.fixture(scope="session")
def small_variant_factory():
    from data_generators import build_variant
    cache = {}

    def make(scenario: str, seed: int = 0, family: str | None = None, **sizes):
        """A small variant; ``family`` defaults to the first of the scenario's pool (its lead family),
        so a test about a scenario's usual failure does not depend on the seed's draw."""
        from data_generators import load_scenario
        family = family or load_scenario(scenario).pool[0]
        key = (scenario, seed, family, tuple(sorted((sizes or SMALL).items())))
        if key not in cache:
            cache[key] = build_variant(scenario, seed, family=family, **(sizes or SMALL))
        return cache[key]

    return make
