"""Calibration / threshold mismatch: trained on a balanced sample, served at the true, low prevalence.

What is planted
---------------
The team undersampled the majority class to a 50/50 training set (all positives plus as many
negatives) and kept the default threshold of 0.5. Undersampling negatives at rate ``r`` multiplies
the odds of the positive class by ``1/r`` for every input; in latent space the offline rows get a
constant ``log(1/r)`` added to their log-odds, with ``r`` solved so that the offline positive share
is ``strength`` (0.5). Production keeps the true prevalence the scenario declares (a few percent).
The model ranks as well online as offline, but its scores are probabilities for the balanced world.

Symptom
-------
The mean production score sits far above the production positive rate (catalogue: mean score
0.32 vs prevalence 0.046, precision at 0.5 = 0.12). ``symptom`` = mean score - observed positive
rate on the labelled production rows (calibration in the large, in probability units).

Reference experiment
--------------------
A reliability diagram on the labelled production rows, then recalibration: Platt scaling of the
score's log-odds fitted on the older half of the labelled production rows and applied to the newer
half (prior correction from the training rate to the production rate moves the scores the same
way). ``reference`` returns the calibration gap left on the newer half. Dropping a decoy column and
retraining on the same balanced data leaves the gap open.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


@register_family
class CalibrationMismatch(Family):
    name = "calibration_mismatch"
    kind = "evaluation"
    help = "scores not calibrated to the live rate"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "scores sit far above the observed rate in every score range, and recalibrating brings them back in line",
        "scores match the observed rate, or are off only mildly",
    )
    decision = (
        "If true, recalibrate or prior-correct and re-set the threshold; if false, check drift."
    )
    symptoms = (
        "Far more cases are flagged than turn out positive: the scores run well above the outcomes.",
    )
    hints = (
        'Compare what the scores promise with what happens: among rows scored around 0.6, how many turn out positive?',
        'Draw a reliability diagram on labelled production rows across every score range, refit the map from score to rate on older rows and check it on newer ones.',
    )
    expert = (
        ("recalibrate",
         "a reliability diagram shows scores far above outcomes in every range: calibrated to another base rate, not to a changed world"),
        ("threshold_by_cost",
         "the threshold that minimises the cost on the offline rows, whose rate the scores were calibrated to, "
         "costs more in production: there the scores promise more positives than turn up"),
    )
    outcomes = {"recalibrate": "miscalibrated:severely", "threshold_by_cost": "threshold_change_hurts"}
    # threshold_by_cost leads imbalance_wrong_metric's list, where the cost falls; here it rises
    expected_with = {"threshold_by_cost": (
        "the threshold that minimises the cost on the offline rows raises the cost in production, "
        "where the scores promise more positives than turn up",
        "the threshold best offline costs about the same in production as it does offline",
    )}
    strength = 0.5  # positive share of the team's (undersampled) training data
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    measure = Measure(label="mean production score - production positive rate", effect=0.455, minimum=0.1)
    reference_experiment = ReferenceExperiment(
        label="Platt recalibration fitted on the older half of labelled production rows; calibration gap left on the newer half", resolve_fraction=0.25)

    def labels(self, world):
        base = world.logit("offline")
        sub = base if base.size <= 50_000 else base[:: base.size // 50_000 + 1]
        lo, hi = 0.0, 15.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if expit(sub + mid).mean() > self.strength:
                hi = mid
            else:
                lo = mid
        self.shift = (lo + hi) / 2  # log(1/r): the odds multiplier of undersampling negatives at rate r
        world.extra_logit["offline"] += self.shift

    @staticmethod
    def _gap(production, label, score) -> float:
        lab = production[production[label].notna()]
        return float(np.mean(score[production[label].notna().to_numpy()]) - lab[label].mean())

    def symptom(self, ev):
        return self._gap(ev.production, ev.label, ev.production["score"].to_numpy(float))

    def reference(self, variant):
        from sklearn.linear_model import LogisticRegression

        from ..evaluation import evaluate
        ev = evaluate(variant)
        lab = ev.production[ev.production[ev.label].notna()].sort_values(ev.timestamp, kind="stable")
        p = np.clip(lab["score"].to_numpy(float), 1e-6, 1 - 1e-6)
        x = np.log(p / (1 - p))[:, None]
        y = lab[ev.label].to_numpy(int)
        half = len(lab) // 2
        platt = LogisticRegression(C=1e6).fit(x[:half], y[:half])
        fixed = platt.predict_proba(x[half:])[:, 1]
        return abs(float(fixed.mean() - y[half:].mean()))
