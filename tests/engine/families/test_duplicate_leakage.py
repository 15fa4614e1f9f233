"""Structural tests of the duplicate-leakage family (payment_fraud), at 4,000 + 4,000 rows."""
from __future__ import annotations

import numpy as np
import pytest

import data_generators as dg
from data_generators.variant import build_world

from .planted import assert_reference_closes_the_gap, planted_variant

N = 4_000
SEEDS = (0, 1)


variant = planted_variant("payment_fraud", "duplicate_leakage", seeds=SEEDS, n=N)


def test_truth_names_no_column(variant):
    """Does the truth name no culprit column, no segment and no onset?"""
    t = variant.truth
    assert t.family == "duplicate_leakage"
    assert t.culprits == [] and t.segment is None and t.onset is None


def test_every_offline_positive_appears_four_times_and_negatives_once(variant):
    """Does each positive id occur exactly 4 times offline (identical rows) and each negative once,
    while production ids are unique?"""
    s = variant.schema
    off = variant.offline
    counts = off.groupby(s["id"]).size()
    label = off.groupby(s["id"])[s["label"]].first()
    assert (counts[label == 1] == 4).all() and (counts[label == 0] == 1).all()
    cols = [s["id"], s["timestamp"], s["label"]] + s["features"]
    assert len(off[cols].drop_duplicates()) == counts.size
    assert variant.production[s["id"]].is_unique


def test_oversampling_raises_offline_prevalence(variant):
    """Is the offline positive share about 4x the production's (4p / (1 + 3p))?"""
    s = variant.schema
    p = variant.production[s["label"]].mean()
    expected = 4 * p / (1 + 3 * p)
    assert abs(variant.offline[s["label"]].mean() - expected) < 0.03


def test_most_test_positives_have_a_copy_in_train(variant):
    """Do >= 90% of the test positives have an exact copy among the training rows?"""
    s = variant.schema
    off = variant.offline
    is_test = (off[s["split"]] == "test").to_numpy()
    pos = (off[s["label"]] == 1).to_numpy()
    ids = off[s["id"]].to_numpy()
    assert np.isin(ids[is_test & pos], ids[~is_test]).mean() >= 0.9


def test_gap_is_large_and_deduplication_closes_it(variant):
    """Is offline AUC >= 0.1 above online, and does deduplicating before the split leave less than
    half of the gap?"""
    assert_reference_closes_the_gap(variant)


HOSTS = [name for name in dg.list_scenarios() if "duplicate_leakage" in dg.load_scenario(name).pool]


@pytest.mark.parametrize("scenario", HOSTS)
def test_copies_are_exact_in_every_scenario_hosting_the_family(scenario):
    """Is every planted copy an exact row (id, timestamp, every feature, label) in each scenario
    whose pool hosts the family, whatever the pool's decoys and placeholder columns draw per row
    after the copying (a null-rate decoy and a placeholder id column once made ad_click_through's
    copies differ, leaving 0.01% exact duplicate rows where 30% were copies)?"""
    # the sampled world is enough (the team's model, fitted after, changes no row)
    world, _, _ = build_world(dg.load_scenario(scenario), 0, family="duplicate_leakage",
                              n_offline=1_000, n_production=1_000)
    off = world.frames["offline"]
    cols = [world.id_name, world.timestamp_name, world.label_name] + world.feature_names
    copies = off.duplicated(subset=[world.id_name, world.timestamp_name])
    assert copies.mean() >= 0.05
    assert off[cols].duplicated().sum() == copies.sum()
