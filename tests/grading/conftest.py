"""Variants with their measured outcomes (``grading.measured``), built once per test process.

Measuring a variant builds every rival world and runs the catalogue in each (seconds per world):
tests share these through ``measured_variant`` and sit in one xdist group so one worker builds them.
"""
from __future__ import annotations

import pytest

ROWS = 1500
# make test's one measured variant: the one test_grader and test_robustness grade with real
# nbgrader and tests/sessions' sessions grade (saas_churn's seed 4 draws prior_shift), 3,000 rows
# a side; measured once for the run (tests/conftest.py shared_measurements). The full tier
# measures every family's host at ROWS and at the live size.
GRADED = ("saas_churn", 4, "prior_shift", 3000)


@pytest.fixture(scope="session")
def measured_variant():
    import data_generators as dg
    from grading.measured import attach
    cache = {}

    def make(scenario: str, seed: int = 0, family: str | None = None, rows: int | None = ROWS):
        """``rows`` a side (None: the scenario's live size, what a candidate gets)."""
        family = family or dg.load_scenario(scenario).pool[0]
        key = (scenario, seed, family, rows)
        if key not in cache:
            v = dg.build_variant(scenario, seed, family=family, n_offline=rows, n_production=rows)
            cache[key] = attach(v)
        return cache[key]

    return make


def host(family: str) -> str:
    """The first shipped scenario whose pool hosts ``family``."""
    import data_generators as dg
    return next(n for n in dg.list_scenarios() if family in dg.load_scenario(n).pool)
