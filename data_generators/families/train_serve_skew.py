"""Train/serve skew: the served value of a feature is computed differently from the trained one.

What is planted
---------------
The culprit column is computed one way by the offline pipeline the team trained on and another way
by the online feature service (another window, another unit, another default). In latent space the
served value is ``scale * z + strength * noise + offset`` (catalogue: ``0.5 * x + N(0, 0.5) + 0.3``)
instead of ``z``. Labels follow the true value. ``recomputed.csv`` holds the feature store's offline
recomputation of the production rows: identical to what was served for every other column, the
correct value for the culprit.

Symptom
-------
The team's model is much worse online than in its offline test (catalogue: AUC 0.830 on the
recomputed features vs 0.780 on the served ones). ``symptom`` = offline AUC - online AUC.

Reference experiment
--------------------
Join the served production rows to their offline recomputation row by row (most rows of the culprit
differ) and score production with the recomputed culprit, no refit: the online AUC comes back to
the offline one. ``reference`` returns the offline AUC minus that online AUC. Dropping any decoy's
column leaves the gap open.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import evaluate
from ..world import to_display
from ..registry import register_family
from .base import RANKS_WORSE_THAN_OFFLINE, Family, Measure, ReferenceExperiment


@register_family
class TrainServeSkew(Family):
    name = "train_serve_skew"
    kind = "shift"
    help = "a feature computed differently when served"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "served {cols} differs row by row from its offline recomputation",
        "served and recomputed values agree",
    )
    decision = (
        "If true, serve {cols} from the same code path as training; if false, look at drift."
    )
    symptoms = (RANKS_WORSE_THAN_OFFLINE,)
    hints = (
        'Ask whether the values the model received in production are the values the feature pipeline would compute for the same rows.',
        'Join what was served to the offline recomputation row by row, and see which column disagrees and how the score moves with the recomputed values.',
    )
    expert = (
        ("served_vs_recomputed",
         "joining served features to their offline recomputation row by row shows a feature computed two ways"),
        ("drop_columns_retrain",
         "without the skewed feature the offline and online scores agree again"),
    )
    outcomes = {
        "drop_columns_retrain": "gap_closes",
        "served_vs_recomputed": "differs:{culprit}",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 0.7
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "culprits", "culprit_effect", "scale", "offset")
    measure = Measure(label="offline AUC - online AUC", effect=0.147, minimum=0.05)
    reference_experiment = ReferenceExperiment(
        label="score production with the offline recomputation of the culprit (no refit); remaining offline-online AUC gap", resolve_fraction=0.35)

    def choose(self, world):
        self.culprit_keys = [self.pick(self.candidate_keys(world, min_abs_effect=0.3))]
        col = world.columns[self.culprit_keys[0]]
        size = float(self.params.get("culprit_effect", 2.0))
        col.effect = float(np.sign(col.effect) or 1.0) * size
        self.scale = float(self.params.get("scale", 0.4))
        self.offset = float(self.params.get("offset", 0.3))

    def observed(self, world):
        key = self.culprit_keys[0]
        col = world.columns[key]
        z = world.z["production"][key]
        served = self.scale * z + self.strength * world.rng.standard_normal(z.size) + self.offset
        # world.recomputed keeps the offline pipeline's value; only what was served differs.
        world.frames["production"][col.name] = to_display(served, col.spec["transform"])

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        prod = variant.production
        rec = variant.recomputed
        keys = [s["id"], s["timestamp"]]
        if (prod[keys].to_numpy() == rec[keys].to_numpy()).all():
            fixed = prod.copy()
            for c in variant.truth.culprits:
                fixed[c] = rec[c].to_numpy()
        else:  # pragma: no cover - the builder keeps the two in the same order
            fixed = prod.drop(columns=variant.truth.culprits).merge(
                rec[keys + variant.truth.culprits], on=keys, how="left")
        ev = evaluate(variant, production=fixed, refit=False)
        return max(0.0, ev.offline_auc - ev.online_auc)
