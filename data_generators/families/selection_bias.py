"""Selection bias: the team's labels come from the rows a past policy acted on.

What is planted
---------------
A past policy acted only on rows with a low value of one input (the culprit): only those rows got
an outcome, so the team's offline data holds only them (``1 - reject`` of the rows, default half). Within the selected range the culprit barely matters; beyond
it the risk climbs steeply (``strength`` log-odds per standard deviation past the cutoff), which the
team's model never saw. In production everyone is scored; outcomes come back for the rows the
process still acts on and for a randomized holdout (``holdout`` of all rows, default 30%), so the
labelled production rows include people the offline data never had (catalogue: gen-2 AUC 0.878
on approved-only vs 0.793 on everyone).

Symptom
-------
Offline AUC - online AUC on the labelled production rows.

Reference experiment
--------------------
``randomized_holdout``: the matured production rows without an outcome are a different population
(their scores differ from the labelled rows'). ``reference`` measures the AUC on the randomized
holdout rows against the AUC on the whole population (every label, known to the engine only): the
holdout estimates production faithfully, so the difference left is small.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..evaluation import auc
from ..registry import register_family
from .base import RANKS_WORSE_THAN_OFFLINE, Family, Measure, ReferenceExperiment


@register_family
class SelectionBias(Family):
    name = "selection_bias"
    kind = "evaluation"
    help = "labels only for a selected population (feedback loop)"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "rows chosen at random differ from the labelled ones: on them the model scores below its offline estimate",
        "the randomized holdout looks like the labelled rows and agrees with the offline estimate",
    )
    decision = "If true, keep a randomized holdout and reweight; if false, keep the model."
    symptoms = (RANKS_WORSE_THAN_OFFLINE,)
    expert = (
        ("randomized_holdout",
         "outcomes from rows chosen at random show the population production serves, not the one the past policy picked"),
        ("domain_classifier",
         "the training rows are easy to tell from production rows through the input the past policy selected on"),
    )
    outcomes = {
        "randomized_holdout": "differs",
        "domain_classifier": "shift_found:{culprit}",
        "compare_profiles_before_after": "changed:{culprit}",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 5.0  # log-odds per standard deviation of the culprit beyond the past policy's cutoff
    jitter = 0.04
    params_allowed = ("strength", "culprits", "reject", "holdout")
    measure = Measure(label="offline AUC (selected rows) - online AUC (labelled production rows)", effect=0.10, minimum=0.04)
    reference_experiment = ReferenceExperiment(label="AUC on the randomized holdout vs AUC on every production row; |difference|", resolve_fraction=0.5)

    def prepare(self, world):
        # sample enough offline rows that the selected ones number what the scenario declares
        self.reject = float(self.params.get("reject", 0.5))
        self.n_declared = world.n["offline"]
        world.n["offline"] = int(np.ceil(self.n_declared / (1 - self.reject) * 1.15))
        world.extra_logit["offline"] = np.zeros(world.n["offline"])

    def choose(self, world):
        self.culprit_keys = [self.pick(self.candidate_keys(world))]
        self.holdout = float(self.params.get("holdout", 0.3))
        col = world.columns[self.culprit_keys[0]]
        # the culprit's own effect is the hinge below; its declared linear effect is dropped
        self.sign = float(np.sign(col.effect) or 1.0)
        col.effect = 0.0
        self.keep_latents = list(self.culprit_keys)

    def _past(self, z):
        # the latent cutoff leaving ``reject`` of the rows unselected (z standard normal)
        from scipy.special import ndtri
        return self.sign * (z - ndtri(1 - self.reject))

    def labels(self, world):
        key = self.culprit_keys[0]
        for part in ("offline", "production"):
            beyond = np.maximum(self._past(world.z[part][key]), 0.0)
            world.extra_logit[part] += self.strength * beyond

    def observed(self, world):
        key = self.culprit_keys[0]
        for part in ("offline", "production"):
            z = world.z[part][key]
            selected = world.rng.random(z.size) < expit(-25.0 * self._past(z))
            if part == "offline":
                # the selected rows, thinned at random (in time order) to the declared count
                idx = np.flatnonzero(selected)
                if idx.size > self.n_declared:
                    idx = np.sort(world.rng.choice(idx, self.n_declared, replace=False))
                keep = np.zeros(z.size, bool)
                keep[idx] = True
                world.frames[part] = world.frames[part][keep].reset_index(drop=True)
                for k in list(world.z[part]):
                    arr = world.z[part][k]
                    if isinstance(arr, np.ndarray) and arr.shape[:1] == keep.shape:
                        world.z[part][k] = arr[keep]
                world.n[part] = int(keep.sum())
            else:
                prod = world.frames[part]
                self.full_labels = prod[world.label_name].to_numpy(copy=True)
                self.holdout_rows = world.rng.random(z.size) < self.holdout
                labelled = selected | self.holdout_rows
                values = prod[world.label_name].to_numpy(dtype=float, copy=True)
                values[~labelled] = np.nan
                prod[world.label_name] = values

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        prod = variant.production
        score = prod[s["score"]].to_numpy(float)
        hold = self.holdout_rows
        return abs(auc(self.full_labels[hold], score[hold]) - auc(self.full_labels, score))

    def extra_checks(self, variant):
        """The randomized-holdout experiment has something to see: matured rows lack outcomes."""
        s = variant.schema
        share = float(1 - variant.production[s["label"]].notna().mean())
        return [("production_rows_without_outcome", share, ">= 0.1", share >= 0.1)]
