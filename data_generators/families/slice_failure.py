"""Slice failure: in one segment a feature works the other way, and the team's model cannot see it.

What is planted
---------------
One level of a categorical column (the segment, about 9% of the offline rows and a larger share of
production traffic) where the culprit numeric column's effect on the label is reversed: in latent
space the segment's log-odds get ``-strength * effect * z`` on top of the usual ``effect * z``
(``strength = 2`` flips the sign). The team's model (logistic regression or shallow trees) has no
interaction between the segment and the culprit, so it learns the majority's direction and ranks
the segment's rows backwards on that feature. The segment grows in production, so the overall
online AUC falls.

Symptom
-------
In production the segment's AUC is far below the rest's (catalogue: slice 0.614 vs rest 0.842).
``symptom`` = production AUC on the rows outside the segment - production AUC inside it.

Reference experiment
--------------------
Per-segment metrics, then a model fitted on the segment's own offline training rows (the team's
recipe, same features): scored on the segment's production rows it ranks them as well as the main
model ranks the rest. ``reference`` returns the rest's AUC minus the per-segment model's AUC on the
segment. Leaving out a decoy's columns (or the noise segment) leaves the gap open.
"""
from __future__ import annotations

import numpy as np

from livescreen.toolkit import model as team_model
from ..errors import ScenarioError
from ..evaluation import auc
from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


def _in_segment(frame, segment: dict) -> np.ndarray:
    (col, level), = segment.items()
    return (frame[col].astype(str) == str(level)).to_numpy()


@register_family
class SliceFailure(Family):
    name = "slice_failure"
    kind = "evaluation"
    help = "a segment where the model fails"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "{segment} scores far below the rest, with non-overlapping intervals",
        "no segment is worse beyond noise",
    )
    decision = (
        "If true, fix {segment} (features or a segment model) before rollout; if false, look at drift."
    )
    symptoms = (
        "Complaints come from one part of the {entity} base, where flagged and unflagged cases look alike.",
    )
    hints = (
        'Ask whether the model fails everywhere or in one part of the population.',
        "Break production's ranking quality down by each categorical column, with intervals, and look for one level well below the rest.",
    )
    expert = (
        ("segment_metrics",
         "per-segment AUC with intervals shows one segment far below the rest"),
        ("compare_profiles_before_after",
         "the failing segment's share of traffic grew in production"),
    )
    outcomes = {
        "segment_metrics": "segment_worse:{segment}",
        "compare_profiles_before_after": "changed:{segment}",
    }
    strength = 2.0
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    # The segment's AUC moves steeply with the flip, so the knob is drawn in a narrower band.
    jitter = 0.015
    params_allowed = ("strength", "culprits", "culprit_effect", "segment_column", "segment_level",
                      "offline_share", "production_share")
    measure = Measure(label="production AUC outside the segment - production AUC inside it", effect=0.324, minimum=0.08)
    reference_experiment = ReferenceExperiment(
        label="model fitted on the segment's own training rows; remaining gap between the rest's AUC and the segment's AUC", resolve_fraction=0.4)

    def choose(self, world):
        cats = world.categorical_keys()
        if "segment_column" in self.params:
            key = self.params["segment_column"]
            if key not in cats:
                raise ScenarioError(f"slice_failure: segment_column {key!r} is not a categorical column key")
        else:
            if not cats:
                raise ScenarioError("slice_failure: the scenario needs a categorical column for the segment")
            key = self.pick(cats)
        col = world.columns[key]
        if "segment_level" in self.params:
            level = self.params["segment_level"]
            if level not in col.levels:
                raise ScenarioError(f"slice_failure: segment_level {level!r} is not a level of {key!r}")
            self.level_index = col.levels.index(level)
        else:
            self.level_index = int(self.rng.integers(len(col.levels)))
        self.segment_key = key
        self.segment_keys = [key]
        self.segment = {col.name: col.levels[self.level_index]}
        self.culprit_keys = [self.pick(self.candidate_keys(world, min_abs_effect=0.5))]
        culprit = world.columns[self.culprit_keys[0]]
        # The same size of effect whichever column the seed picks.
        size = float(self.params.get("culprit_effect", 1.2))
        culprit.effect = float(np.sign(culprit.effect) or 1.0) * size
        self.shares = {"offline": float(self.params.get("offline_share", 0.09)),
                       "production": float(self.params.get("production_share", 0.35))}

    def inputs(self, world):
        col = world.columns[self.segment_key]
        w = np.asarray(col.spec.get("weights", [1.0] * len(col.levels)), float)
        i = self.level_index
        for part, share in self.shares.items():
            p = np.delete(w, i)
            p = np.insert(p / p.sum() * (1 - share), i, share)
            world.z[part][self.segment_key] = world.rng.choice(len(p), size=world.n[part], p=p)

    def labels(self, world):
        key = self.culprit_keys[0]
        eff = world.columns[key].effect
        for part in ("offline", "production"):
            inside = world.z[part][self.segment_key] == self.level_index
            world.extra_logit[part] -= self.strength * eff * world.z[part][key] * inside

    def _gap(self, frame, label, score):
        lab = frame[frame[label].notna()]
        inside = _in_segment(lab, self.segment)
        return (auc(lab.loc[~inside, label], lab.loc[~inside, score])
                - auc(lab.loc[inside, label], lab.loc[inside, score]))

    def symptom(self, ev):
        return self._gap(ev.production, ev.label, "score")

    def reference(self, variant):
        s = variant.schema
        label, split = s["label"], s["split"]
        off = variant.offline
        train = off[(off[split] == "train").to_numpy() & _in_segment(off, variant.truth.segment)]
        feats = list(variant.model_card["features"])
        seg_model = team_model.fit(variant.model_card, train, features=feats, label=label)
        prod = variant.production[variant.production[label].notna()]
        inside = _in_segment(prod, variant.truth.segment)
        rest = auc(prod.loc[~inside, label], prod.loc[~inside, s["score"]])
        seg = auc(prod.loc[inside, label], team_model.predict(seg_model, prod.loc[inside]))
        return max(0.0, rest - seg)
