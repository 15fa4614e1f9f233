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


@pytest.fixture(scope="session", autouse=True)
def shared_measurements(tmp_path_factory):
    """One measurement of each variant's outcomes for the whole run (``grading.measured``): every
    test, xdist worker and subprocess (``session new``'s measuring process, the CLI) reads what the
    first to need it measured, kept in one folder of this run's temporary tree."""
    from grading.measured import CACHE_ENV
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "measured-outcomes"
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before
