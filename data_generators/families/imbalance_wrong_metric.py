"""Class imbalance judged by the wrong metric: a rare positive and accuracy at threshold 0.5.

What is planted
---------------
Nothing is broken in the data: the positive class is rare (about 1.8%), the team's model ranks well,
but the team reports accuracy and acts at the default threshold of 0.5. At that prevalence almost no
score reaches 0.5, so the model flags nearly nobody; its accuracy (catalogue: 0.9808) sits at or
below the all-negative baseline (0.9825) and still reads as excellent. The scenario sets
``model.metric: accuracy`` and the brief's costs make a missed positive far dearer than a false
alarm.

A world whose positives are not rare (15-22%) hosts the family with ``params.prevalence``: when the
family is drawn, the offline and production base rate is that figure instead of the world's. Without
it the family plants nothing at all there: at 16% prevalence the team's threshold misses about half
the positives, so the symptom sat at its own floor (0.42-0.55 for a floor of 0.5 on ride
cancellations, seeds 0-14) and failed on a third of the seeds. The rate is what makes the failure;
it is the symptom a candidate finds (positives are rare, the threshold flags none of them).

Symptom
-------
Recall at the team's threshold is near 0 while AUC is high (catalogue: recall@0.5 = 0 with AUC
0.87): the business pays for almost every positive while the report says 98% accuracy.
``symptom`` = 1 - recall at the team's threshold on the labelled production rows (the share of
positives the deployed decision misses).

Reference experiment
--------------------
PR-AUC / recall at k, then set the threshold by cost: flag when ``score >= c_fp / (c_fp + c_fn)``
with the brief's prices (the model's scores are calibrated; minimising the cost on the offline test
rows gives a similar, noisier threshold, since they hold only about 90 positives). ``reference``
returns the share of production positives still missed at that threshold. Dropping a decoy column
changes nothing: the model is not the problem.

The team's threshold sits above the cost-set one in these worlds whatever the seed plants (the model
card is the same under every family of the pool), so a saving alone does not single this family
out: under a leak or a shift the cost-set threshold saves too. What does is that after the move
production costs what the offline rows promised, because nothing but the threshold was wrong; the
catalogue's ``threshold_by_cost`` reports that as ``threshold_change_helps:offline_holds``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


def cost_curve(y, score, c_fp: float, c_fn: float) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds (each distinct score, plus +inf) and the cost of flagging ``score >= threshold``."""
    y = np.asarray(y, float)
    s = np.asarray(score, float)
    ok = ~(np.isnan(y) | np.isnan(s))
    y, s = y[ok], s[ok]
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y)
    fp = np.cumsum(1 - y)
    last = np.r_[s[1:] != s[:-1], True]  # the end of each run of tied scores
    thr = np.r_[np.inf, s[last]]
    tp = np.r_[0.0, tp[last]]
    fp = np.r_[0.0, fp[last]]
    return thr, c_fp * fp + c_fn * (y.sum() - tp)


@register_family
class ImbalanceWrongMetric(Family):
    name = "imbalance_wrong_metric"
    kind = "evaluation"
    help = "rare positives judged by the wrong metric or threshold"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "a cost-based threshold catches many more positives at lower total cost, and production then costs what the offline rows promise",
        "moving the threshold does not lower the cost",
    )
    decision = (
        "If true, set the threshold by cost and report recall/PR-AUC; if false, retrain with more signal."
    )
    symptoms = (
        "Almost no positive {entity} is flagged, although the offline report looks excellent.",
    )
    hints = (
        "Ask what the team's headline metric rewards when positives are rare, and what the brief's costs reward.",
        "Pick the threshold that minimises the brief's cost on the offline test rows and apply it in production: how much of the cost goes away?",
    )
    expert = (
        ("threshold_by_cost",
         "with rare positives, a threshold chosen by the brief's costs catches far more of them at a lower total "
         "cost; if production then costs what the offline rows promise, the threshold was the whole problem"),
    )
    outcomes = {"threshold_by_cost": "threshold_change_helps:offline_holds"}
    strength = 1.0  # no knob: the failure is the metric and threshold, not the data
    jitter = 0.0
    strength_response = 0  # measured: the symptom does not move with it (no knob)
    params_allowed = ("prevalence",)
    measure = Measure(label="1 - recall at the team's threshold in production (share of positives missed)", effect=0.94, minimum=0.5)
    reference_experiment = ReferenceExperiment(
        label="threshold set by the brief's costs, c_fp / (c_fp + c_fn); share of production positives still missed", resolve_fraction=0.5)

    @classmethod
    def check_params(cls, params, spec):
        super().check_params(params, spec)
        rate = params.get("prevalence")
        if rate is not None and not (isinstance(rate, (int, float)) and 0 < rate <= 0.1):
            raise ScenarioError(f"imbalance_wrong_metric: prevalence {rate!r} must be a rate above 0 and at most 0.1 "
                                f"(the family plants rare positives)")

    def choose(self, world):
        b = world.spec["brief"]
        self.c_fp = float(b["cost_false_positive"]["amount"])
        self.c_fn = float(b["cost_false_negative"]["amount"])
        self.threshold = float(world.threshold)
        # Flag when the expected cost of a miss exceeds that of a false alarm (calibrated scores).
        self.cost_threshold = self.c_fp / (self.c_fp + self.c_fn)

    def inputs(self, world):
        if "prevalence" in self.params:  # the world is not imbalanced by itself: make its positives rare
            rate = float(self.params["prevalence"])
            world.prevalence = {part: rate for part in world.prevalence}

    @staticmethod
    def _missed(production, label, threshold: float) -> float:
        lab = production[production[label].notna()]
        pos = lab[label].to_numpy(float) == 1
        return float(1.0 - (lab["score"].to_numpy(float)[pos] >= threshold).mean())

    def symptom(self, ev):
        return self._missed(ev.production, ev.label, self.threshold)

    def reference(self, variant):
        from ..evaluation import evaluate
        ev = evaluate(variant)
        return self._missed(ev.production, ev.label, self.cost_threshold)
