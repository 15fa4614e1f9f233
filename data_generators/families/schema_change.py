"""Upstream schema change: from a date in production, one feature arrives in another unit.

What is planted
---------------
At an onset inside the production period (a midnight between 30% and 50% of the way through it),
the upstream service that feeds one numeric column (the culprit) starts sending it in a different
unit: seconds become minutes (x1/60), metres kilometres (x1/1000), cents dollars (x1/100), or the
other way round (``factors`` per culprit key, e.g. ``60`` or ``"1/1000"``; default x60). The data
dictionary still names the old unit, and the feature store's recomputation reads the same source,
so the served and recomputed values agree. Nothing about the world changed: P(y|x) and the true
inputs are the same before and after; only the recorded numbers are scaled.

Symptom
-------
Production AUC drops at the onset: the model sees every culprit value beyond anything it was
trained on (catalogue: unit change PSI 7.1, AUC 0.84 -> 0.78); a linear model then scores
every row as if the culprit were at one extreme, so the column's information is lost. ``symptom`` = online AUC before
the onset - online AUC after it (labelled rows).

Reference experiment
--------------------
Compare the culprit's raw profile before and after the onset: its median jumps by the unit
factor. Rescale the post-onset values by median(before) / median(after) and re-score with the
team's model (no retraining): ``reference`` returns AUC before - AUC after with the rescaled
column. Retraining without any decoy column leaves the drop.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import auc, evaluate
from ..registry import register_family
from .base import RANKS_WORSE_LATELY, Family, Measure, ReferenceExperiment

DEFAULT_FACTOR = 60.0


@register_family
class SchemaChange(Family):
    name = "schema_change"
    kind = "shift"
    help = "an upstream pipeline or schema change"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "{cols} changes scale or profile sharply at {onset}",
        "profiles before and after {onset} match",
    )
    decision = (
        "If true, fix the unit of {cols} upstream and backfill; if false, look at the labels."
    )
    symptoms = (RANKS_WORSE_LATELY,)
    hints = (
        'Find the date after which production rows stop looking like the offline ones, and the column that changes at that date.',
        "Compare each raw column's profile before and after that date: its range, its typical value and its missing share.",
    )
    expert = (
        ("compare_profiles_before_after",
         "a change upstream shows as a column whose profile jumps at one date"),
        ("domain_classifier",
         "rows after the change are easy to tell from offline rows through that column"),
    )
    outcomes = {
        "drop_columns_retrain": "gap_closes",
        "domain_classifier": "shift_found:{culprit}",
        "compare_profiles_before_after": "changed:{culprit}",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 2.0  # the culprit's effect on the label's log-odds per standard deviation
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("culprits", "factors", "onset_range")
    measure = Measure(label="online AUC before the onset - online AUC after it", effect=0.145, minimum=0.04)
    reference_experiment = ReferenceExperiment(
        label="rescale the culprit after the onset by median(before)/median(after); AUC before - AUC after", resolve_fraction=0.3)
    onset_range = (0.3, 0.5)

    def choose(self, world):
        key = self.pick(self.candidate_keys(world, min_abs_effect=0.3))
        self.culprit_keys = [key]
        self.key = key
        self.factor = float(Fraction(str(self.params.get("factors", {}).get(key, DEFAULT_FACTOR))))
        lo, hi = self.params.get("onset_range", self.onset_range)
        day = world.offline_days + int(np.floor(self.rng.uniform(lo, hi) * world.production_days))
        self.onset_day = float(day)
        self.onset = str(np.datetime_as_string(world.start + np.timedelta64(day, "D"), unit="s"))

    def inputs(self, world):
        # the culprit's label effect is set here, so the drop is the same whichever column it is
        col = world.columns[self.key]
        sign = float(np.sign(col.effect) or 1.0)
        for part in ("offline", "production"):
            z = world.z[part][self.key]
            world.extra_logit[part] += (sign * self.strength - col.effect) * z

    def observed(self, world):
        name = world.name_of(self.key)
        after = world.z["production"]["__t"] >= self.onset_day
        values = world.frames["production"][name].to_numpy(copy=True)
        if self.factor >= 1 and np.issubdtype(values.dtype, np.integer):
            scaled = np.round(values * self.factor).astype(values.dtype)
        else:  # a coarser unit arrives with two decimals
            values = values.astype(float)
            scaled = np.round(values * self.factor, 2)
        values = np.where(after, scaled, values)
        world.frames["production"][name] = values
        world.recomputed[name] = values  # the recomputation reads the same upstream source

    # -- measurement --------------------------------------------------------------------
    def _after(self, frame, timestamp: str) -> np.ndarray:
        return (frame[timestamp] >= np.datetime64(self.onset)).to_numpy()

    def _before_after(self, lab, label: str, timestamp: str) -> tuple[float, float]:
        after = self._after(lab, timestamp)
        return (auc(lab.loc[~after, label], lab.loc[~after, "score"]),
                auc(lab.loc[after, label], lab.loc[after, "score"]))

    def symptom(self, ev):
        before, after = self._before_after(ev.labelled, ev.label, ev.timestamp)
        return before - after

    def reference(self, variant):
        s = variant.schema
        col = variant.truth.culprits[0]
        prod = variant.production.copy()
        after = self._after(prod, s["timestamp"])
        ratio = np.nanmedian(prod.loc[~after, col]) / np.nanmedian(prod.loc[after, col])
        prod[col] = np.where(after, prod[col].to_numpy(float) * ratio, prod[col].to_numpy(float))
        ev = evaluate(variant, production=prod, refit=False)
        before, after_auc = self._before_after(ev.labelled, ev.label, ev.timestamp)
        return max(0.0, before - after_auc)
