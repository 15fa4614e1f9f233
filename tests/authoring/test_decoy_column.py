"""Does a decoy go on the column the author names (``decoys[*].params.column``)?

The scaffold documents ``column`` for every decoy kind; harmless_drift and null_jump used to ignore
it and draw a weak column of their own. Planted in a tiny world (no model), each seed.
"""
from __future__ import annotations

import pytest
import yaml

from data_generators.authoring import scaffold_text
from data_generators.scenario import Scenario, validate_spec
from data_generators.variant import build_world

TINY = {"n_offline": 500, "n_production": 500}


def _scenario(decoys, failures=None) -> Scenario:
    spec = yaml.safe_load(scaffold_text("warehouse_demand", like="saas_churn"))
    spec["decoys"] = decoys
    if failures:
        spec["failures"] = failures + spec["failures"][1:]
    return Scenario(name="warehouse_demand", spec=validate_spec(spec, source="test"), path=None)


@pytest.mark.parametrize("kind", ["harmless_drift", "null_jump"])
def test_drift_and_null_decoys_take_the_named_column(kind):
    named = "seats"
    sc = _scenario([{"kind": kind, "params": {"column": named}}, {"kind": "suspicious_legit"}])
    for seed in range(4):
        _, _, decoys = build_world(sc, seed, family="prior_shift", **TINY)
        assert decoys[0].keys == [named], (seed, decoys[0].keys)
    plain = _scenario([{"kind": kind}, {"kind": "suspicious_legit"}])
    drawn = {build_world(plain, seed, family="prior_shift", **TINY)[2][0].keys[0] for seed in range(4)}
    assert drawn != {named}  # without the parameter the column is drawn, as before


def test_named_column_taken_by_this_seeds_culprit_falls_back_to_a_drawn_one():
    sc = _scenario([{"kind": "harmless_drift", "params": {"column": "seats"}}, {"kind": "suspicious_legit"}],
                   failures=[{"family": "covariate_shift", "params": {"culprits": ["seats"]}}])
    world, planted, decoys = build_world(sc, 0, family="covariate_shift", **TINY)
    assert planted.culprit_keys == ["seats"] and decoys[0].keys != ["seats"]
