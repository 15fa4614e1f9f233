"""Label delay: recent outcomes have not matured yet, and the pipeline records them as negatives.

What is planted
---------------
A positive outcome becomes known only after a delay (a chargeback is filed days or weeks after the
transaction). Each production positive draws a maturity delay ``D ~ lognormal(median = strength
days, sigma)``, capped at the maturity window the brief states (``label_lag_days``). At the time of
the export a positive younger than its ``D`` has not been reported, and the team's pipeline writes
every outcome not yet reported as 0 (``world.immature_as_negative``) instead of leaving it missing.
The offline data is old enough to be fully matured. No feature is involved.

Symptom
-------
Measured performance in production collapses (catalogue: precision 0.695 -> 0.345, observed
prevalence 0.27 -> 0.14) while the score distribution does not move: it looks like drift but is
not. The label-free expectation (the mean score, as in NannyML's CBPE) and the measured labels
disagree. ``symptom`` = 1 - observed positive rate / mean model score on the production rows, the
share of expected positives missing from the labels.

Reference experiment
--------------------
Evaluate only matured cohorts (production rows older than the maturity window the brief states),
or plot a label-maturity curve: on matured rows the observed rate agrees with the scores again and
precision is back to the offline figure. ``reference`` returns the same ratio measured on the
matured rows only. Dropping a decoy column or leaving out the noise segment changes nothing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


@register_family
class LabelDelay(Family):
    name = "label_delay"
    kind = "evaluation"
    help = "labels not yet mature when measured"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "on matured rows only, precision and AUC are back at the offline level",
        "matured rows show the same drop",
    )
    decision = (
        "If true, evaluate only matured cohorts and wait before alarming; if false, investigate drift."
    )
    symptoms = (
        "The weekly dashboard shows precision falling, most in the latest weeks.",
    )
    hints = (
        'Look at how long an outcome takes to be recorded, and at how old the most recent production rows are.',
        'Evaluate production only on rows old enough for their outcome to be final, and compare with all labelled rows.',
    )
    # Not ``reweight_for_prior``: missing positives look like a fall in the positive rate, but
    # reweighting for a prior tests a prior shift, not labels still arriving; measured at the live
    # size it leaves the gap (gap_stays) here as under most rivals (account_takeover and
    # card_chargebacks, seed 0), so it separates nothing an expert would rely on first.
    expert = (
        ("matured_labels_only",
         "if outcomes are still arriving, scoring only rows old enough to have them restores the offline level"),
    )
    outcomes = {
        "matured_labels_only": "gap_closes",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 70.0  # median days from the event to the positive outcome being reported
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "sigma")
    measure = Measure(label="1 - observed positive rate / mean score in production (expected positives missing)", effect=0.537, minimum=0.12)
    reference_experiment = ReferenceExperiment(
        label="the same share measured on matured production rows only (older than the maturity window)", resolve_fraction=0.4)

    def choose(self, world):
        self.sigma = float(self.params.get("sigma", 0.7))

    def observed(self, world):
        world.immature_as_negative = True
        prod = world.frames["production"]
        t = world.z["production"]["__t"]
        age = (world.offline_days + world.production_days) - t  # days before the export
        window = float(world.label_lag_days)
        delay = np.minimum(self.strength * np.exp(self.sigma * world.rng.standard_normal(t.size)), window)
        y = prod[world.label_name].to_numpy(copy=True)
        y[(y == 1) & (delay > age)] = 0.0
        prod[world.label_name] = y

    @staticmethod
    def _missing(frame: pd.DataFrame, label: str) -> float:
        lab = frame[frame[label].notna()]
        return 1.0 - float(lab[label].mean()) / float(lab["score"].mean())

    def symptom(self, ev):
        return self._missing(ev.production, ev.label)

    def reference(self, variant):
        from ..evaluation import evaluate
        ev = evaluate(variant)
        ts = pd.to_datetime(ev.production[ev.timestamp])
        export = pd.Timestamp(variant.brief["production_period"][1]) + pd.Timedelta(days=1)
        matured = ((export - ts) / pd.Timedelta(days=1) >= variant.brief["label_lag_days"]).to_numpy()
        return max(0.0, self._missing(ev.production[matured], ev.label))
