"""No failure (the control): nothing is planted; production behaves as the offline report said.

What is planted
---------------
Nothing. Production rows come from the same world, labelling law and prevalence as the offline
rows; the team's model and evaluation are sound. Only the scenario's decoys are planted (a harmless
drift, a null-rate jump, a suspicious-looking legitimate feature, a segment whose gap is noise), so
a first look offers the usual suspects.

Why
---
A control keeps the screen and its grader honest. A candidate who reads noise as a failure, or
chases a decoy, should not be rewarded; the right first experiment is one that would show a real
failure if there were one (a per-segment breakdown with intervals, a drift test with a correction
for the number of features, a calibration check) and shows nothing here. A grader that gives credit
to any plausible-sounding card fails on this scenario (``tests/grading``).

Symptom
-------
None beyond noise. ``symptom`` = offline test AUC - production AUC on labelled rows, which the
validator requires to be within ``noise_z`` standard errors (Hanley & McNeil 1982) and under
``max_gap``; the observed positive rate must also match the mean score within ``max_calibration_gap``.
"""
from __future__ import annotations

import math

from livescreen.toolkit.metrics import auc_se  # one Hanley-McNeil standard error, the toolkit's

from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


@register_family
class NoFailure(Family):
    name = "no_failure"
    kind = "control"
    help = "nothing is broken: what looks wrong is within noise"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "the result stays within its confidence band: no segment, feature or period differs beyond noise",
        "a segment, a feature or a period drops below the rest outside its confidence band",
    )
    decision = (
        "If nothing moves beyond noise, keep the model and set an alert on the weekly band; otherwise investigate what moved."
    )
    symptoms = (
        "Stakeholders ask whether the model can be trusted for the next quarter.",
    )
    hints = (
        'Ask how large the differences you see are compared with what chance alone would produce on this many rows.',
        'Pick the check that would show a real failure if there were one, and read its result against its interval before acting.',
    )
    expert = (
        ("retrain_on_recent",
         "an experiment that would show a real failure if there were one; within its band, nothing moved"),
        ("segment_metrics",
         "per-segment intervals show whether any segment is worse beyond noise"),
    )
    outcomes = {}
    control = True
    strength = 0.0
    jitter = 0.0
    params_allowed = ()
    measure = Measure(label="offline test AUC - production AUC (labelled rows); must be within noise", effect=0.0, minimum=0.0)
    reference_experiment = ReferenceExperiment(label="nothing planted: no experiment has a failure to resolve", resolve_fraction=1.0)
    noise_z = 3.0
    max_gap = 0.04  # a third of the smallest AUC gap any shipped family plants (0.13, schema_change)
    max_calibration_gap = 0.03

    def choose(self, world):
        self.culprit_keys = []

    def symptom(self, ev) -> float:
        return ev.offline_auc - ev.online_auc

    def reference(self, variant) -> float:
        return 0.0

    def control_checks(self, ev) -> list[tuple[str, float, str, bool]]:
        """The gap and the calibration are within noise: (name, value, threshold text, passed)."""
        gap = self.symptom(ev)
        test, lab = ev.offline_test, ev.labelled
        se = math.hypot(
            auc_se(ev.offline_auc, int(test[ev.label].sum()), int((1 - test[ev.label]).sum())),
            auc_se(ev.online_auc, int(lab[ev.label].sum()), int((1 - lab[ev.label]).sum())))
        bound = min(self.noise_z * se, self.max_gap)
        calib = abs(float(lab[ev.label].mean()) - float(lab["score"].mean()))
        return [
            ("auc_gap_within_noise", abs(gap), f"<= min({self.noise_z} SE = {self.noise_z * se:.4f}, {self.max_gap})",
             abs(gap) <= bound),
            ("calibration_within_noise", calib, f"<= {self.max_calibration_gap} (|observed rate - mean score|)",
             calib <= self.max_calibration_gap),
        ]
