"""Covariate shift: production inputs move into a region the training data barely covered.

What is planted
---------------
One numeric column (the culprit) whose true effect on the label is not linear: it rises over the
range the offline data covers and bends back beyond it (a hump, ``sign * amplitude * h(z)`` in
latent space, with ``h(z) = z`` below 0 and ``w * sin(z / w)`` above, held flat past its trough).
In production the culprit's inputs move ``strength`` standard deviations (default 1.5) up, into
the bend. How the label depends on the inputs, P(y|x), is the same offline and online; only P(x)
changes. A linear scorecard fitted offline extrapolates the rising slope into the region where
the risk falls again.

Symptom
-------
Offline test AUC well above the online AUC on matured production rows, with a large PSI on the
culprit (and one harmless drifting decoy beside it). ``symptom`` = offline AUC - online AUC of the
team's model.

Reference experiment
--------------------
Importance-weight the offline test rows by the density ratio production / offline of the culprit
column alone (histogram of pooled quantile bins): the weighted offline AUC reproduces the online
AUC, so the shift of that one column explains the gap. ``reference`` returns
|weighted offline AUC - online AUC|. Weighting on a decoy column instead leaves the gap open
(reported by ``extra_checks``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ..evaluation import evaluate
from ..registry import register_family
from .base import RANKS_WORSE_THAN_OFFLINE, Family, Measure, ReferenceExperiment


def hump(z: np.ndarray, width: float) -> np.ndarray:
    """Rises with slope 1 through 0, peaks at ``width * pi / 2``, bends back to ``-width``."""
    top = np.minimum(z, 1.5 * np.pi * width)
    return np.where(z <= 0, z, width * np.sin(top / width))


def density_ratio(reference, target, *, bins: int = 20) -> np.ndarray:
    """Weights for ``reference`` rows: target / reference frequency of their bin.

    Bins are quantiles of the pooled values (so any monotone unit works the same); missing values
    form their own bin.
    """
    r = pd.Series(reference).to_numpy(float)
    t = pd.Series(target).to_numpy(float)
    pooled = np.concatenate([r, t])
    pooled = pooled[~np.isnan(pooled)]
    edges = np.unique(np.quantile(pooled, np.linspace(0, 1, bins + 1)[1:-1]))

    def codes(v):
        c = np.searchsorted(edges, v, side="right")
        return np.where(np.isnan(v), edges.size + 1, c)

    cr, ct = codes(r), codes(t)
    fr = np.bincount(cr, minlength=edges.size + 2) / max(r.size, 1)
    ft = np.bincount(ct, minlength=edges.size + 2) / max(t.size, 1)
    ratio = ft / np.maximum(fr, 1.0 / max(r.size, 1))
    return ratio[cr]


def weighted_auc(y, score, weight) -> float:
    y = np.asarray(y, float)
    s = np.asarray(score, float)
    w = np.asarray(weight, float)
    ok = ~(np.isnan(y) | np.isnan(s)) & (w > 0)
    return float(roc_auc_score(y[ok].astype(int), s[ok], sample_weight=w[ok]))


@register_family
class CovariateShift(Family):
    name = "covariate_shift"
    kind = "shift"
    help = "inputs shifted, P(y|x) unchanged"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "a domain classifier separates offline from production, driven by {cols}",
        "the domain classifier is near AUC 0.5 or points elsewhere",
    )
    decision = (
        "If true, reweight or retrain on production-like data for {cols}; if false, check for label issues."
    )
    symptoms = (RANKS_WORSE_THAN_OFFLINE,)
    hints = (
        "Ask which inputs look different in production than offline, and whether the model's errors follow them.",
        "Train a classifier to tell offline rows from production rows and look at the column it relies on, then at how the model does where production's inputs moved.",
    )
    expert = (
        ("domain_classifier",
         "a classifier telling offline rows from production rows names the inputs that moved"),
        ("compare_profiles_before_after",
         "the moved input's profile differs between the offline period and production"),
        ("retrain_on_recent",
         "a model refitted on production-like rows recovers when only the inputs moved"),
    )
    outcomes = {
        "drop_columns_retrain": "gap_closes",
        "domain_classifier": "shift_found:{culprit}",
        "compare_profiles_before_after": "changed:{culprit}",
        "retrain_on_recent": "recovers",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 1.5  # shift of the culprit's production inputs, in offline standard deviations
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "amplitude", "width", "culprits")
    measure = Measure(label="offline AUC - online AUC", effect=0.227, minimum=0.04)
    reference_experiment = ReferenceExperiment(
        label="importance-weight offline test rows by the culprit's density ratio; |weighted offline AUC - online AUC|", resolve_fraction=0.4)
    amplitude = 3.0
    width = 0.8
    jitter = 0.02  # the symptom is steep in the shift; a narrower band keeps seeds within +/-15%

    def choose(self, world):
        key = self.pick(self.candidate_keys(world, min_abs_effect=0.3))
        self.culprit_keys = [key]
        self.key = key
        self.sign = float(np.sign(world.columns[key].effect) or 1.0)

    def inputs(self, world):
        amp = float(self.params.get("amplitude", self.amplitude))
        width = float(self.params.get("width", self.width))
        col = world.columns[self.key]
        world.z["production"][self.key] = world.z["production"][self.key] + self.strength
        for part in ("offline", "production"):
            z = world.z[part][self.key]
            # replace the declared linear term by the bending one (same law offline and online)
            world.extra_logit[part] += self.sign * amp * hump(z, width) - col.effect * z

    # -- measurement --------------------------------------------------------------------
    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def _weighted_gap(self, variant, column, ev=None) -> float:
        ev = ev or evaluate(variant)
        test = ev.offline_test
        w = density_ratio(test[column], variant.production[column])
        weighted = weighted_auc(test[ev.label], test["score"], w)
        return abs(weighted - ev.online_auc)

    def reference(self, variant):
        return self._weighted_gap(variant, variant.truth.culprits[0])

    def extra_checks(self, variant):
        ev = evaluate(variant)
        gap = self.symptom(ev)
        out = []
        for d in variant.truth.decoys:
            if d["kind"] != "harmless_drift":
                continue
            left = self._weighted_gap(variant, d["columns"][0], ev)
            out.append((f"weighting_on_decoy_{d['columns'][0]}_leaves_gap", left,
                        f">= 0.6 x symptom = {0.6 * gap:.4f}", left >= 0.6 * gap))
        return out
