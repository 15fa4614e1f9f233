"""The declared outcome table against what the toolkit's experiments measure on real variants.

For every shipped scenario (seed 0, the default size, the first family of its pool) every catalogue experiment the grader considers is run on the
candidate's data with the toolkit, and its outcome compared with the one the table declares under
the planted cause. Cells in ``KNOWN_DISAGREEMENTS`` are skipped, each with its reason.
"""
from __future__ import annotations

import os

import pytest

import data_generators as dg
from grading.answers import reference_card
from grading.discrimination import candidate_experiments, hypothesis_set, known_disagreement, outcome
from livescreen.toolkit import Case
from livescreen.toolkit.experiments import run_experiment

os.environ.setdefault("OMP_NUM_THREADS", "1")
SCENARIOS = dg.list_scenarios()


def _measure(name: str):
    v = dg.build_variant(name, 0, family=dg.load_scenario(name).pool[0])  # the scenario's lead family
    case = Case.from_frames(offline=v.offline, production=v.production, recomputed=v.recomputed,
                            metadata=v.metadata())
    return v.truth.to_dict(), case


# make test checks three scenarios (a leak, a slice, the control); make test-all every one (each runs
# every catalogue experiment at the default size: minutes for the largest)
FAST = ("saas_churn", "telecom_churn", "insurance_lapse")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n if n in FAST else pytest.param(n, marks=pytest.mark.full) for n in SCENARIOS])
def test_declared_outcomes_are_what_the_experiments_measure(name):
    """Under the planted cause, does every catalogue experiment measure the outcome the table
    declares (decoys included), and does the reference card's experiment do so too?"""
    truth, case = _measure(name)
    true, _ = hypothesis_set(truth)
    checked, wrong = 0, []
    for exp in candidate_experiments(truth):
        if known_disagreement(truth["family"], exp["type"]):
            continue
        declared, measured = outcome(exp, true), run_experiment(case, exp).outcome
        checked += 1
        if declared != measured:
            wrong.append(f"{exp}: declared {declared}, measured {measured}")
    assert checked >= 12 and wrong == [], wrong
    ref = reference_card(truth)["experiment"]
    assert run_experiment(case, ref).outcome == outcome(ref, true), ref
