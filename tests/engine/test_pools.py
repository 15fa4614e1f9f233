"""Secret failure pools: the seed draws which failure a scenario plants, and nothing a candidate
reads or sees tells which one was drawn."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

import data_generators as dg

SCENARIOS = dg.list_scenarios()
TINY = {"n_offline": 600, "n_production": 600}
# Words that name a cause. Candidate-visible text (briefs, model cards, data dictionaries, symptom
# sentences) must not contain them: it describes what stakeholders see.
CAUSE_WORDS = ("leak", "duplicate", "skew", "drift", "shift", "schema", "encoded", "held out at random",
               "oversampl", "balanced sample", "not treated before", "newly affiliated", "around the snapshot",
               "delay", "bias", "imbalance", "slice", "simpson", "calibrat", "upstream", "pipeline",
               "random split", "mix", "selected", "decoy", "planted", "culprit", "mature")


def test_the_draw_is_deterministic_and_spreads_over_the_pool():
    """Over seeds 0-199, does every scenario plant at least 4 families, each 15-35% of draws (or its
    declared weight +/- 10 points), the same on a second call?"""
    for name in SCENARIOS:
        sc = dg.load_scenario(name)
        draws = [dg.draw_family(name, s) for s in range(200)]
        assert draws == [dg.draw_family(name, s) for s in range(200)]
        counts = Counter(draws)
        assert len(counts) >= 4 and set(counts) <= set(sc.pool), (name, counts)
        weights = {f["family"]: f.get("weight", 1.0) for f in sc.spec["failures"]}
        total = sum(weights.values())
        for fam, w in weights.items():
            share, expect = counts[fam] / 200, w / total
            lo, hi = (0.15, 0.35) if all(v == 1.0 for v in weights.values()) else (expect - 0.1, expect + 0.1)
            assert lo <= share <= hi, (name, fam, share)


def test_build_variant_plants_the_drawn_family_or_the_forced_one():
    """Does build_variant plant the seed's draw, and `family=` force one of the pool (refusing others)?"""
    name = "telecom_churn"
    sc = dg.load_scenario(name)
    seed = next(s for s in range(50) if dg.draw_family(name, s) != sc.pool[0])
    assert dg.build_variant(name, seed, **TINY).truth.family == dg.draw_family(name, seed)
    assert dg.build_variant(name, seed, family=sc.pool[0], **TINY).truth.family == sc.pool[0]
    outside = next(f for f in dg.PLANTABLE if f not in sc.pool)
    with pytest.raises(dg.ScenarioError, match=rf"^family '{outside}' is not in the pool of scenario '{name}'; choose one of: "):
        dg.build_variant(name, seed, family=outside, **TINY)
    with pytest.raises(dg.ScenarioError, match=r"^unknown family 'gremlins'; allowed: duplicate_leakage, group_leakage, "):
        dg.build_variant(name, seed, family="gremlins", **TINY)


def _visible(v) -> dict:
    """What a candidate reads, minus the order of columns (shuffled by the seed anyway)."""
    meta = v.metadata()
    brief = dict(meta["brief"])
    return {"brief": brief, "columns": {k: meta["columns"][k] for k in sorted(meta["columns"])},
            "features": sorted(meta["schema"]["features"]), "card": meta["card"],
            "model": {k: val for k, val in meta["model"].items() if k != "features"},
            "csv_columns": (sorted(v.offline.columns), sorted(v.production.columns), sorted(v.recomputed.columns))}


@pytest.fixture(scope="module")
def pool_variants():
    """Seed 4 of every scenario built with each family of its pool, at a tiny size."""
    out = {}
    for name in SCENARIOS:
        out[name] = {f: dg.build_variant(name, 4, family=f, **TINY) for f in dg.load_scenario(name).pool}
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_candidate_text_and_columns_differ_only_in_the_symptom_sentence(name, pool_variants):
    """For one seed, does every family of the pool give the same columns, names, data dictionary,
    model card and brief, except the production note's last sentence (the family's symptom)?"""
    seen = {f: _visible(v) for f, v in pool_variants[name].items()}
    notes = {}
    for fam, vis in seen.items():
        cls = dg.registry.get_family(fam)
        symptom = cls.symptoms[0].format(entity=vis["brief"]["entity"])
        note = vis["brief"]["production_note"]
        assert note.endswith(symptom), (fam, note)
        notes[fam] = note[: -len(symptom)]
        vis["brief"] = {k: val for k, val in vis["brief"].items() if k != "production_note"}
    first = next(iter(seen.values()))
    for fam, vis in seen.items():
        assert vis == first, f"{name}: drawing {fam} changes what the candidate sees beyond the symptom"
    assert len(set(notes.values())) == 1


def _strings(obj):
    """Every text a candidate reads in the metadata: string values and column names (not the
    format's own keys such as "schema")."""
    if isinstance(obj, dict):
        for k, val in obj.items():
            if isinstance(val, dict) and all(isinstance(x, dict) for x in val.values()):
                yield from map(str, val)  # a mapping keyed by column names
            yield from _strings(val)
    elif isinstance(obj, list):
        for x in obj:
            yield from _strings(x)
    elif isinstance(obj, str):
        yield obj


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_cause_word_in_candidate_text(name, pool_variants):
    """Does no candidate-visible text (brief, symptom sentences, model card, data dictionary, column
    names) of any family of the pool name a cause?"""
    for fam, v in pool_variants[name].items():
        meta = v.metadata()
        meta.pop("card")  # the card's vocabulary names every family, the same for everyone
        text = " ".join(_strings(meta)).lower()
        found = [w for w in CAUSE_WORDS if re.search(rf"\b{w}", text)]
        where = {w: text[max(0, text.find(w) - 60): text.find(w) + 20] for w in found}
        assert not found, f"{name} ({fam}): candidate-visible text says {where}"


def test_symptom_sentences_name_no_cause():
    """Is every family's symptom sentence free of cause words (it says what stakeholders see)?"""
    for name, cls in dg.registry.families().items():
        for s in cls.symptoms:
            found = [w for w in CAUSE_WORDS if re.search(rf"\b{w}", s.lower())]
            assert not found, (name, s, found)


def test_the_pool_and_the_draw_never_reach_the_candidate_folder(tmp_path):
    """Does the candidate folder hold the whole vocabulary (the same for every scenario) and never
    the pool: no file lists exactly the pool's families?"""
    v = dg.build_variant("credit_default", 2, **TINY)
    out = v.write(tmp_path / "cand")
    meta = json.loads((out / "schema.json").read_text())
    assert [f["name"] for f in meta["card"]["families"]] == list(dg.FAMILIES) + [dg.NO_FAILURE]
    meta.pop("card")
    text = json.dumps(meta).lower()
    assert not [f for f in dg.PLANTABLE if f in text]
