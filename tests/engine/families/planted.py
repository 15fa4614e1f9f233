"""The one fixture every family's structural tests share: a variant with that family forced."""
from __future__ import annotations

import pytest

import data_generators as dg


def planted_variant(scenario, family, *, seeds, n):
    """Return a module-scoped fixture building ``scenario`` with ``family`` planted, once per seed.

    Parameters
    ----------
    scenario, family : str
        The scenario whose world hosts the family, and the family forced into it.
    seeds : sequence of int
        One variant per seed (the fixture is parametrised over them).
    n : int
        Rows in each of the offline and production tables.
    """

    @pytest.fixture(scope="module", params=tuple(seeds))
    def variant(request):
        return dg.build_variant(scenario, request.param, family=family, n_offline=n, n_production=n)

    return variant
