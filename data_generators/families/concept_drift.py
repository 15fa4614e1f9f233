"""Concept drift: from a date in production, one input's effect on the label flips sign.

What is planted
---------------
At an onset inside the production period (a midnight between 20% and 40% of the way through it),
how the label depends on one numeric column (the culprit) reverses: its log-odds term
``effect * z`` becomes ``-strength * effect * z`` (default ``strength`` 1: an exact flip). The
inputs do not move at all: every column's distribution is the same before and after the onset, so
input-drift detectors and a domain classifier see nothing; only P(y|x) changed.

Symptom
-------
The team's model ranks post-onset rows much worse than its offline test rows, with no drift alarm
on the culprit (catalogue: AUC 0.841 -> 0.621, domain-classifier AUC 0.50). ``symptom`` = offline
test AUC - online AUC on the labelled production rows from the onset on.

Reference experiment
--------------------
Retrain the team's recipe on recent labelled data: the first 60% (in time) of the labelled
post-onset rows, and score the remaining 40%. The retrained model ranks them about as well as the
team's model ranked its offline test rows. ``reference`` returns offline AUC - the retrained
model's AUC on those held-out post-onset rows (0 when negative). Retraining without any decoy
column leaves the gap.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import auc, evaluate, time_split
from ..registry import register_family
from .base import RANKS_WORSE_LATELY, Family, Measure, ReferenceExperiment


@register_family
class ConceptDrift(Family):
    name = "concept_drift"
    kind = "shift"
    help = "P(y|x) changed"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "a model retrained on data after {onset} recovers the offline level",
        "retraining on recent data does not recover",
    )
    decision = (
        "If true, retrain on recent data and monitor; if false, check the data pipeline."
    )
    symptoms = (RANKS_WORSE_LATELY,)
    hints = (
        'Ask whether the same inputs still lead to the same outcomes in production as offline.',
        'Retrain on the earliest labelled production weeks and score the later ones: does a fresh model beat the served one?',
    )
    expert = (
        ("retrain_on_recent",
         "if how outcomes depend on the inputs changed, a model refitted on recent labelled weeks recovers"),
        ("drop_columns_retrain",
         "dropping the input whose effect reversed removes the damage"),
    )
    outcomes = {
        "drop_columns_retrain": "gap_closes",
        "retrain_on_recent": "recovers",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 1.0  # the culprit's new effect is -strength x its old one
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    jitter = 0.02  # post-onset AUC is steep in the flip size; a narrower band keeps seeds within +/-15%
    params_allowed = ("strength", "culprits", "onset_range")
    measure = Measure(label="offline AUC - online AUC after the onset", effect=0.192, minimum=0.05)
    reference_experiment = ReferenceExperiment(
        label="retrain on the first 60% of labelled post-onset rows; offline AUC - its AUC on the later 40%", resolve_fraction=0.35)
    onset_range = (0.2, 0.4)  # where the onset falls, as a share of the production period
    recent_share = 0.6

    def choose(self, world):
        key = self.pick(self.candidate_keys(world, min_abs_effect=0.3))
        self.culprit_keys = [key]
        self.key = key
        lo, hi = self.params.get("onset_range", self.onset_range)
        day = world.offline_days + int(np.floor(self.rng.uniform(lo, hi) * world.production_days))
        self.onset_day = float(day)
        ts = world.start + np.timedelta64(day, "D")
        self.onset = str(np.datetime_as_string(ts, unit="s"))

    def labels(self, world):
        col = world.columns[self.key]
        z = world.z["production"][self.key]
        after = world.z["production"]["__t"] >= self.onset_day
        world.extra_logit["production"] += -(1 + self.strength) * col.effect * z * after

    # -- measurement --------------------------------------------------------------------
    def _after(self, frame, timestamp: str) -> np.ndarray:
        return (frame[timestamp] >= np.datetime64(self.onset)).to_numpy()

    def symptom(self, ev):
        lab = ev.labelled
        post = lab[self._after(lab, ev.timestamp)]
        return ev.offline_auc - auc(post[ev.label], post["score"])

    def reference(self, variant):
        ev = evaluate(variant)
        s = variant.schema
        prod = variant.production
        post = prod[self._after(prod, s["timestamp"]) & prod[s["label"]].notna().to_numpy()]
        train, test = time_split(post, s["timestamp"], self.recent_share)
        retrained = evaluate(variant, train=train, test=test, production=post.iloc[:0], refit=True)
        held = retrained.offline_test
        return max(0.0, ev.offline_auc - auc(held[s["label"]], held["score"]))

    def extra_checks(self, variant):
        s = variant.schema
        col = variant.truth.culprits[0]
        prod = variant.production
        after = self._after(prod, s["timestamp"])
        from ..evaluation import psi
        value = psi(prod.loc[~after, col], prod.loc[after, col])
        return [("culprit_inputs_do_not_move", value, "PSI before vs after onset < 0.05", value < 0.05)]
