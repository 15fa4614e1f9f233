"""The declared outcome tables (documentation) against the outcomes the grader measures.

The grader scores discrimination by measured outcomes (``grading.measured``): what each
experiment gives on the candidate's data and in each rival's world. Each family still declares
what its experiments show when it is the cause (``Family.outcomes``); this test reports how often
that declaration matches the measurement, world by world (the true world and each pool rival's,
each with its own culprits), and fails only if the documentation drifts far from what is measured.
make test reads the variants other grading tests measure; the full tier every family's host.
"""
from __future__ import annotations

import json

import pytest

import data_generators as dg
from grading.discrimination import Hypothesis, declared_outcome

from .conftest import GRADED, ROWS, host

# The documented floor: below it the tables no longer describe what the experiments do.
MIN_AGREEMENT = 0.75


def agreement(v) -> tuple[int, int, list[str]]:
    """(agreeing cells, cells, disagreements) of the declared tables against ``v``'s measured outcomes."""
    stored = v.truth.outcomes
    agree = total = 0
    wrong = []
    for world, w in stored["worlds"].items():
        if not (world == "truth" or world.startswith("pool:")):
            continue  # a decoy's world reads the rival's culprit as the decoy's column: no declared cell
        t = w["truth"]
        h = Hypothesis(t["family"], tuple(t["culprits"] or ()), tuple((t["segment"] or {}).items()), world=tuple(
            (d["kind"], d["columns"][0]) for d in t["decoys"] if d.get("columns")))
        inverse = {b: a for a, b in w["columns"].items()}
        for key, measured in w["outcomes"].items():
            exp = json.loads(key)
            exp = {k: ([inverse.get(c, c) for c in val] if isinstance(val, list) else inverse.get(val, val))
                   if k in ("column", "columns") else val for k, val in exp.items()}
            # the declared table speaks of the world's own columns: compare in them
            mapped = measured if ":" not in measured else "{}:{}".format(
                measured.split(":", 1)[0], w["columns"].get(measured.split(":", 1)[1], measured.split(":", 1)[1]))
            exp_world = json.loads(key)
            exp_world = {k: ([w["columns"].get(c, c) for c in val] if isinstance(val, list) else w["columns"].get(val, val))
                         if k in ("column", "columns") else val for k, val in exp_world.items()}
            declared = declared_outcome(exp_world, h)
            total += 1
            if declared == mapped:
                agree += 1
            else:
                wrong.append(f"{v.truth.scenario}/{world}/{t['family']}: {exp_world} declared {declared}, measured {mapped}")
    return agree, total, wrong


# make test: the run's graded variant (conftest.GRADED); the full tier: every family's first host, seed 0
FAST = [GRADED]
FULL = sorted({(host(f), 0, f, ROWS) for f in dg.FAMILIES})


@pytest.mark.parametrize("name, seed, family, rows", [pytest.param(*p, marks=pytest.mark.xdist_group(f"measured-{p[2]}")) for p in FAST]
                         + [pytest.param(*p, marks=[pytest.mark.xdist_group(f"measured-{p[2]}"), pytest.mark.full])
                            for p in FULL], ids=lambda v: str(v))
def test_declared_tables_agree_with_measured_outcomes(name, seed, family, rows, measured_variant, record_property):
    """How often does each family's declared outcome table give what the experiment measures in
    that family's world (this variant's true world and each pool rival's)? At least 75%."""
    agree, total, wrong = agreement(measured_variant(name, seed, family, rows))
    rate = agree / total
    record_property("declared_agreement", f"{agree}/{total}")
    print(f"declared table agreement on {name} ({family}, seed {seed}): {agree}/{total} = {rate:.0%}")
    assert total >= 40 and rate >= MIN_AGREEMENT, (rate, wrong)
