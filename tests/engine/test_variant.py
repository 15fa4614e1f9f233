"""Variants: determinism, the contract other parts rely on, and what a candidate folder holds."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import data_generators as dg
from data_generators.variant import Variant

SCENARIOS = dg.list_scenarios()
SMALL = {"n_offline": 2000, "n_production": 2000}


def test_same_seed_gives_identical_data():
    """Does the same seed give identical data, truth and schema?"""
    a = dg.build_variant("saas_churn", 11, **SMALL)
    b = dg.build_variant("saas_churn", 11, **SMALL)
    pd.testing.assert_frame_equal(a.offline, b.offline)
    pd.testing.assert_frame_equal(a.production, b.production)
    pd.testing.assert_frame_equal(a.recomputed, b.recomputed)
    assert a.truth == b.truth and a.schema == b.schema


def test_other_seeds_change_names_order_and_values():
    """Do different seeds draw different column orders, names from the vocabulary and values?"""
    vs = [dg.build_variant("saas_churn", s, family="target_leakage", **SMALL) for s in range(6)]
    orders = {tuple(v.schema["features"]) for v in vs}
    names = {frozenset(v.schema["features"]) for v in vs}
    assert len(orders) == 6 and len(names) > 1
    assert not np.allclose(vs[0].offline[vs[0].schema["score"]].fillna(0), vs[1].offline[vs[1].schema["score"]].fillna(0))
    # the culprit does not sit at a fixed position
    positions = {v.schema["features"].index(v.truth.culprits[0]) for v in vs}
    assert len(positions) > 1


def test_global_random_state_is_untouched():
    """Is NumPy's global random state left alone (a local generator only)?"""
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    dg.build_variant("saas_churn", 2, **SMALL)
    assert np.random.random() == before


@pytest.mark.parametrize("name", SCENARIOS)
def test_contract(name, small_variant_factory):
    """Does every scenario's variant honour the contract the notebooks and grader rely on?"""
    v = small_variant_factory(name, 0)
    s = v.schema
    assert set(s) == {"label", "score", "timestamp", "split", "id", "features"}
    off, prod = v.offline, v.production
    assert set(off[s["split"]].astype(str).unique()) == {"train", "test"}
    test = off[s["split"]] == "test"
    assert off.loc[test, s["score"]].notna().all() and off.loc[~test, s["score"]].isna().all()
    assert prod[s["score"]].between(0, 1).all()
    assert set(s["features"]) <= set(off.columns) and set(s["features"]) <= set(prod.columns)
    assert s["label"] in off and s["label"] in prod and s["timestamp"] in prod
    assert off[s["label"]].notna().all()
    if v.truth.family != "label_delay":  # that family's flaw: unmatured outcomes recorded as 0
        assert prod[s["label"]].isna().any(), "recent production rows have no label yet"
    assert prod[s["timestamp"]].min() >= off[s["timestamp"]].max()
    t = v.truth.to_dict()
    assert set(t) >= {"scenario", "seed", "family", "culprits", "segment", "onset", "decoys"}
    assert t["family"] in dg.PLANTABLE and json.loads(json.dumps(t)) == t
    assert all(set(d) >= {"kind", "columns"} for d in t["decoys"]) and len(t["decoys"]) >= 2
    for c in t["culprits"]:
        assert c in off.columns or c == s["id"], c


@pytest.mark.parametrize("name", SCENARIOS)
def test_written_folder_never_holds_the_truth(name, tmp_path, small_variant_factory):
    """Does nothing a candidate receives carry the family, the seed or any truth key?"""
    v = small_variant_factory(name, 0)
    out = v.write(tmp_path / "candidate")
    files = sorted(p.name for p in out.iterdir())
    assert files == ["offline.csv", "production.csv", "recomputed.csv", "schema.json"]
    meta = json.loads((out / "schema.json").read_text())
    assert set(meta) == {"schema", "categorical", "brief", "model", "columns", "files", "card"}
    # the card's vocabulary: every family and the control, the same for every scenario and seed
    assert meta.pop("card") == {"families": dg.registry.card_vocabulary()}

    def keys(obj):
        if isinstance(obj, dict):
            for k, val in obj.items():
                yield str(k)
                yield from keys(val)
        elif isinstance(obj, list):
            for x in obj:
                yield from keys(x)

    banned_keys = {"seed", "family", "truth", "culprit", "culprits", "decoy", "decoys", "onset",
                   "segment", "effect", "strength", "planted", "scenario"}
    assert not banned_keys & set(keys(meta))
    fam = v.truth.family
    spellings = {fam, fam.replace("_", " "), fam.replace("_", "-"), fam.replace("_", "")}
    for path in out.iterdir():
        text = path.read_text().lower() if path.suffix == ".csv" else json.dumps(meta).lower()
        for word in spellings:
            assert word not in text, f"{path.name} contains {word!r}"
        for kind in ("harmless_drift", "null_jump", "suspicious_legit", "noise_segment"):
            assert kind not in text, f"{path.name} contains {kind!r}"
    # the seed as a value in the metadata
    assert not re.search(rf"\b{v.truth.seed}\b", json.dumps(meta["schema"]))


def test_write_replaces_atomically_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    """Is a failed write leaving neither a half-written folder nor temporary files?"""
    v = dg.build_variant("saas_churn", 1, **SMALL)
    target = tmp_path / "cand"
    v.write(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(OSError):
        v.write(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (target / "schema.json").exists()


@pytest.mark.parametrize("seed, match", [
    (-1, "seed must be a whole number from 0 to"), (1.5, "seed must be a whole number"),
    ("3", "seed must be a whole number"), (True, "seed must be a whole number"), (2**63, "from 0 to"),
])
def test_bad_seed(seed, match):
    """Is a bad seed refused with one clear line?"""
    with pytest.raises(dg.ScenarioError, match=match):
        dg.build_variant("saas_churn", seed)


@pytest.mark.parametrize("kw", [{"n_offline": 10}, {"n_production": 10**9}, {"n_offline": 2.5}])
def test_bad_sizes(kw):
    """Is a bad size refused with one clear line naming the parameter?"""
    with pytest.raises(dg.ScenarioError, match=f"{next(iter(kw))} must be a whole number of rows"):
        dg.build_variant("saas_churn", 0, **kw)


def test_variant_type():
    assert isinstance(dg.build_variant("saas_churn", 0, **SMALL), Variant)
