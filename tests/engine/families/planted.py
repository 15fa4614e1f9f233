"""What every family's structural tests share: a variant with that family forced, and the leakage check."""
from __future__ import annotations

import pytest

import data_generators as dg


def planted_variant(scenario, family, *, seeds, n, controlled=True):
    """Return a module-scoped fixture building ``scenario`` with ``family`` planted, once per seed.

    Parameters
    ----------
    scenario, family : str
        The scenario whose world hosts the family, and the family forced into it.
    seeds : sequence of int
        One variant per seed (the fixture is parametrised over them).
    n : int
        Rows in each of the offline and production tables.
    controlled : bool
        As a candidate gets it, the effect held to the pool entry's target (``build_variant``); False:
        the one planting at the family's own strength, before the builder's effect control.
    """

    @pytest.fixture(scope="module", params=tuple(seeds))
    def variant(request):
        if controlled:
            return dg.build_variant(scenario, request.param, family=family, n_offline=n, n_production=n)
        from data_generators.variant import build_world, finish_variant
        sc = dg.load_scenario(scenario)
        world, planted, decoys = build_world(sc, request.param, family=family, n_offline=n, n_production=n)
        return finish_variant(sc, request.param, world, planted, decoys)

    return variant


def assert_reference_closes_the_gap(variant, *, min_gap=0.1, min_offline_auc=0.70, left=0.5):
    """The leakage families' check: offline AUC at least ``min_gap`` above online (with a credible
    offline AUC), and the family's reference experiment leaves at most ``left`` of that gap."""
    from data_generators.evaluation import evaluate
    fam = variant._family
    ev = evaluate(variant)
    gap = fam.symptom(ev)
    assert gap >= min_gap and ev.offline_auc >= min_offline_auc, (gap, ev.offline_auc)
    assert fam.reference(variant) <= left * gap
