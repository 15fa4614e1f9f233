"""Selection bias: the team's labels come from the rows a past policy acted on.

What is planted
---------------
A past policy acted only on rows on one side of a cutoff of one input (the culprit, drawn among the
weaker half of the numeric inputs unless the scenario's ``culprits`` names them): only those rows
got an outcome, so the team's offline data holds only them (``1 - reject`` of the rows, default
half; a hard cutoff, as a rule would apply it, so no row from beyond it teaches the team's model
anything about the risk there). Within the selected range the culprit matters little (risk falls
gently toward the cutoff, ``SERVED_SLOPE``: the policy served the rows nearest its cutoff because it
judged them safe); beyond it the risk climbs steeply (``strength`` log-odds per standard deviation
past the cutoff), which the team's model never saw: it carries the served range's gentle trend past
the cutoff and scores the refused side lowest where its risk is highest. In production everyone is
scored; outcomes come back for the rows the process still acts on and for a randomized holdout
(``holdout`` of all rows, default 30%), so the labelled production rows include people the offline
data never had (catalogue: gen-2 AUC 0.878 on approved-only vs 0.793 on everyone).

Symptom
-------
Offline AUC - online AUC on the labelled production rows.

Reference experiment
--------------------
``randomized_holdout``: the matured production rows without an outcome are a different population
(their inputs differ from the labelled rows', most on the past policy's column; the team's scores
barely separate them). ``reference`` measures the AUC on the randomized
holdout rows against the AUC on the whole population (every label, known to the engine only): the
holdout estimates production faithfully, so the difference left is small.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import auc
from ..registry import register_family
from .base import RANKS_WORSE_THAN_OFFLINE, Family, Measure, ReferenceExperiment

# Log-odds per standard deviation by which risk falls toward the cutoff across the range the past
# policy served (the rows it served closest to its cutoff were the ones it judged safest). With no
# slope there, whether the team's model carried the edge of that range up or down past the cutoff
# was the noise of its fit: measured on ride_cancellations (seeds 0-13, strength 5), retraining
# without the strongest column left 44% to 99% of the gap. With this slope the model scores the
# refused side lowest where its risk is highest, and 75% to 104% was left (72% to 112% on
# ad_click_through, seeds 0-9).
SERVED_SLOPE = 0.3


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
    hints = (
        'Ask which rows ever receive an outcome, and whether they are the rows the model will be asked about.',
        'Among production rows old enough to have an outcome, compare the rows that have one with the rows that lack one.',
    )
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
    strength_response = 1  # measured: tests/engine/test_effect_control.py (the hard-cutoff planting)
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
        keys = self.candidate_keys(world)
        if "culprits" not in self.params:
            # the policy's rule column is drawn among the weaker half of the inputs: the culprit's own
            # effect is replaced by the hinge, so a strong culprit would leave one input carrying most
            # of what the team's model ranks by, and retraining without that input (the suspicious
            # feature a candidate may chase) would shrink every AUC gap with it
            keys.sort(key=lambda k: abs(world.columns[k].effect))
            keys = keys[: max(2, len(keys) // 2)]
        self.culprit_keys = [self.pick(keys)]
        self.holdout = float(self.params.get("holdout", 0.3))
        col = world.columns[self.culprit_keys[0]]
        # the culprit's own effect is the hinge below plus a gentle slope the other way across the
        # served range; its declared linear effect is dropped
        self.sign = float(np.sign(col.effect) or 1.0)
        col.effect = -self.sign * SERVED_SLOPE
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
            # the past policy was a rule: every row past its cutoff was refused. A soft edge would let
            # a few refused-side rows (with their hinge risk) into the training data, the team's trees
            # would learn that step and carry it past the cutoff, and how much of the failure shows
            # would then depend on which splits a seed's trees found (and on every other column's
            # strength: retrained without the strongest column, the gap closed on such seeds)
            selected = self._past(z) <= 0.0
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
