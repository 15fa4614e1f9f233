"""The suspicious-feature decoy stays a red herring in sight: where the failure planted pushes the
column with the largest effect out of the importance's top 3, or runs through it, the decoy names
the eligible column the team's model ranks highest instead.

Under a family that plants a column of its own (a target leak), that column leads the team model's
importance and the legitimate columns follow close together, so the one with the largest effect
on the label fell to rank 4, below the validator's top 3, on account_takeover/target_leakage seed
10 and lead_conversion/target_leakage seed 40 (the 2026-12-04 sweep). Under group leakage, the
per-entity column with the largest effect is part of the entity fingerprint: retrained without
it, the team kept only 59% and 25% of the gap on account_takeover seeds 6 and 11, so the decoy
looked like a cause. ``SuspiciousLegit.hold`` re-names the decoy there; nothing else changes.

account_takeover hosted group leakage until 2026-12-04 (its 1.8% positives left the pair's gap at
the mercy of noise; ``invoice_late_payment`` hosts it now). The fingerprint cases build that world
as it was (``tests/former_scenarios.py``): the same world, the same seeds, the same data.
"""
from __future__ import annotations

import pandas as pd
import pytest

import data_generators as dg
from data_generators.validation import validate_variant
from livescreen.toolkit.model import one_thread

from ...former_scenarios import former_group_leakage_host
from .unheld import unheld

# (scenario, family, seed): the by-effect column ranked 4th in the committed sweep's build
OUT_OF_SIGHT = [("account_takeover", "target_leakage", 10), ("lead_conversion", "target_leakage", 40)]
IN_SIGHT = ("account_takeover", "target_leakage", 0)
# (family, seed) in account_takeover's former pool (former_group_leakage_host): the decoy sat on
# the fingerprint and its refit took over 40% of the gap
ON_FINGERPRINT = [("group_leakage", 6), ("group_leakage", 11)]



def _decoy(v):
    return next(d for d in v._decoys if d.kind == "suspicious_legit")


def _truth_column(v):
    return next(d["columns"] for d in v.truth.decoys if d["kind"] == "suspicious_legit")


def _frames_equal(a, b):
    for part in ("offline", "production", "recomputed"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part))


@pytest.mark.parametrize("case", OUT_OF_SIGHT, ids=lambda c: "-".join(map(str, c)))
def test_a_decoy_below_the_top_3_names_the_column_the_model_ranks_highest(case):
    """Where the column with the largest effect ranks below 3rd, does the built variant's decoy
    name the highest-ranked eligible column, within the top 3, the variant valid, and the data,
    what the candidate reads and the rest of the truth unchanged?"""
    with one_thread():
        plain, held = unheld(*case), dg.build_variant(case[0], case[2], family=case[1])
    assert not _decoy(plain).visible(plain)[2], "premise: the by-effect column ranked below 3rd"
    ranking = _decoy(held).ranking(held)
    named = _truth_column(held)
    assert named == _decoy(held).names and named != _truth_column(plain)
    assert ranking.index(named[0]) < 3
    # the highest-ranked numeric column that is neither planted nor another decoy's
    others = {c for d in held.truth.decoys if d["kind"] != "suspicious_legit" for c in d["columns"]}
    eligible = [f for f in ranking if f in _decoy(held)._eligible_names and f not in others]
    assert named[0] == eligible[0] and named[0] not in held.truth.culprits
    rep = validate_variant(held)
    assert rep.passed, [c.name for c in rep.failed]
    _frames_equal(plain, held)
    assert plain.metadata() == held.metadata()
    strip = lambda t: [d for d in t.decoys if d["kind"] != "suspicious_legit"]  # noqa: E731
    assert strip(plain.truth) == strip(held.truth) and plain.truth.culprits == held.truth.culprits


def test_a_decoy_in_the_top_3_is_left_as_drawn():
    """Is a variant whose by-effect column ranks within the top 3 identical to its planting?"""
    with one_thread():
        plain, held = unheld(*IN_SIGHT), dg.build_variant(IN_SIGHT[0], IN_SIGHT[2], family=IN_SIGHT[1])
    assert _decoy(plain).visible(plain)[2]
    _frames_equal(plain, held)
    assert plain.truth == held.truth


@pytest.mark.parametrize("case", ON_FINGERPRINT, ids=lambda c: "-".join(map(str, c)))
def test_a_decoy_on_the_failures_reserved_columns_moves_off_them(case, tmp_path):
    """Where the decoy sat on a column group leakage reserves (the entity fingerprint) and the
    team retrained without it lost over 40% of the gap, does the built variant's decoy name the
    highest-ranked eligible column off the reserved ones, within the top 3, the variant valid, and
    the data and the rest of the truth unchanged?"""
    case = (former_group_leakage_host(tmp_path), *case)
    with one_thread():
        plain, held = unheld(*case), dg.build_variant(case[0], case[2], family=case[1])
    reserved = set(held._family.reserved_keys)
    assert _decoy(plain).keys[0] in reserved, "premise: the decoy sat on the fingerprint"
    failed = [c.name for c in validate_variant(plain).failed]
    assert "decoy_2_suspicious_legit_does_not_resolve" in failed, "premise: its refit took the gap"
    decoy = _decoy(held)
    assert decoy.keys[0] not in reserved and _truth_column(held) == decoy.names
    ranking = decoy.ranking(held)
    others = {c for d in held.truth.decoys if d["kind"] != "suspicious_legit" for c in d["columns"]}
    eligible = [f for f in ranking if f in decoy._eligible_names and f not in others
                and decoy._eligible_names[f] not in reserved]
    assert decoy.names[0] == eligible[0] and ranking.index(decoy.names[0]) < 3
    rep = validate_variant(held)
    assert rep.passed, [c.name for c in rep.failed]
    _frames_equal(plain, held)
    assert plain.metadata() == held.metadata()


def test_a_family_that_neither_adds_nor_reserves_a_column_is_not_ranked(monkeypatch):
    """Under a family that adds no column and reserves none, does the hold leave the decoy without
    ranking anything (the importance costs about 0.25 s at the live size)?"""
    from data_generators.decoys.suspicious_legit import SuspiciousLegit

    def fail(variant):
        raise AssertionError("ranked under a family that neither adds nor reserves a column")
    monkeypatch.setattr(SuspiciousLegit, "ranking", staticmethod(fail))
    with one_thread():
        v = dg.build_variant("account_takeover", 0, family="schema_change", n_offline=2000, n_production=2000)
    assert not v._family.reserved_keys and v._family.added_column is None
    assert _truth_column(v) == _decoy(v).names
