"""Target leakage: a feature recorded after the outcome.

What is planted
---------------
A column whose historical value is written once the outcome is known (a cancellation ticket, a
chargeback flag, a collections call): in the offline data it is ``strength * (y - p) + noise`` in
latent space, so the label nearly determines it. At serving time the outcome has not happened yet,
so the logged value carries no information about it. The team's model leans on the column.

Symptom
-------
Offline test AUC far above production AUC (catalogue: 0.993 vs 0.568), with the leaky column on
top of the feature importance. ``symptom`` = offline AUC - online AUC of the team's model.

Reference experiment
--------------------
Drop the column and retrain: the gap between the retrained model's offline and online AUC closes
(``reference`` returns that remaining gap). Dropping any decoy column leaves the gap open.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import evaluate
from ..world import to_display
from ..registry import register_family
from .base import RANKS_FAR_WORSE_THAN_OFFLINE, AddedColumn, Family, Measure, ReferenceExperiment
from .duplicate_leakage import same_for_copies


@register_family
class TargetLeakage(Family):
    name = "target_leakage"
    kind = "leakage"
    help = "a feature recorded after the outcome"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "offline AUC falls to about the online level once {cols} is dropped",
        "offline AUC stays well above online without {cols}",
    )
    decision = (
        "If true, remove {cols} from the features (it is recorded after the outcome) and retrain; if false, look at drift next."
    )
    symptoms = (RANKS_FAR_WORSE_THAN_OFFLINE,)
    hints = (
        'Look at how much of the offline result rests on a single input, and what the model can still do without it.',
        'For each strong input, ask when its value becomes known relative to the moment of scoring, and whether the outcome itself could set it.',
    )
    expert = (
        ("drop_columns_retrain",
         "if the top feature is only known after the outcome, retraining without it brings offline AUC down to the online level; a real signal would not"),
    )
    outcomes = {"drop_columns_retrain": "gap_closes", "recalibrate": "miscalibrated:mildly"}
    added_column = AddedColumn(
        key="__leak", names=("support_contacts_recent", "account_review_flag_score", "retention_calls_count"))
    strength = 3.0
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "transform")
    measure = Measure(label="offline AUC - online AUC", effect=0.30, minimum=0.10)
    reference_experiment = ReferenceExperiment(label="drop the culprit and retrain; remaining offline-online AUC gap", resolve_fraction=0.35)

    def choose(self, world):
        self.placeholder(world)

    def placeholder(self, world):
        """Add the column; when another family is drawn it stays, carrying no signal."""
        transform = self.params.get("transform", {"dist": "count", "median": 2.0, "sigma": 0.6})
        self.column = self.add_column(world, transform=transform)
        self.transform = transform

    def observed(self, world):
        for part in ("offline", "production"):
            frame = world.frames[part]
            y = world.z[part]["__y"]
            noise = world.rng.standard_normal(len(frame))
            if part == "offline":
                # written after the outcome: the label drives the recorded value
                latent = self.strength * (y - y.mean()) + noise
            else:
                # served before the outcome exists: the same marginal spread, no signal
                latent = noise * np.sqrt(1 + self.strength**2 * y.mean() * (1 - y.mean()))
            frame[self.column.name] = to_display(latent, self.transform)
            if part == "production":
                world.recomputed[self.column.name] = frame[self.column.name].to_numpy()

    def placeholder_observed(self, world):
        for part in ("offline", "production"):
            frame = world.frames[part]
            y = world.z[part]["__y"]
            # the same marginal spread as the served leak, recorded before the outcome everywhere
            latent = world.rng.standard_normal(len(frame)) * np.sqrt(1 + self.strength**2 * y.mean() * (1 - y.mean()))
            latent = same_for_copies(world, part, latent)  # a copied row keeps its original's value
            frame[self.column.name] = to_display(latent, self.transform)
            if part == "production":
                world.recomputed[self.column.name] = frame[self.column.name].to_numpy()

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        ev = evaluate(variant, drop=variant.truth.culprits)
        return max(0.0, ev.offline_auc - ev.online_auc)
