"""Simpson mix: every segment holds up, the aggregate falls, because the segment mix moved.

What is planted
---------------
A categorical column (the mixing column) whose levels have very different base rates: offline the
levels come in the world's usual mix, so much of the model's pooled AUC comes from telling the
levels apart. In production the traffic concentrates on one level (``production_share`` of the
rows, default 90%): within every level the model ranks exactly as well as offline (nothing about
how outcomes arise changed), but with almost everyone in one level the between-level part of the
ranking has nothing left to separate, so the pooled AUC falls (catalogue: better in every segment,
worse overall, 0.785 vs 0.87 with a 50/50 vs 90/10 mix).

Symptom
-------
Offline AUC - online AUC, pooled, while each level's own AUC holds.

Reference experiment
--------------------
``segment_metrics`` on the mixing column, and standardising the comparison to one mix:
``reference`` reweights the labelled production rows to the offline mix of the column, and the
offline test rows to the production mix, and averages the two gaps left; after standardising the
gap is small.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from ..errors import ScenarioError
from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


@register_family
class SimpsonMix(Family):
    name = "simpson_mix"
    kind = "evaluation"
    help = "a change in the segment mix"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "the level of {cols} that now dominates scores below the rest pooled, though each level keeps its offline AUC",
        "no level of {cols} stands apart: the gap stays at a fixed mix",
    )
    decision = (
        "If true, report metrics at a fixed segment mix and keep the model; if false, look for the failing segment."
    )
    symptoms = (
        "Since launch the model ranks {entity}s less well overall than the offline report promised.",
    )
    hints = (
        'Compare the metric inside each segment with the overall one: do they tell the same story?',
        "Break the metric down by the column whose composition moved between offline and production, and compare each segment's figure across the two periods.",
    )
    expert = (
        ("segment_metrics",
         "per-segment AUC on the mixing column shows every level holding while the pooled figure falls"),
        ("compare_profiles_before_after",
         "the mixing column's level shares moved between offline and production"),
    )
    outcomes = {
        "segment_metrics": "mix_moved:{segment}",
        "compare_profiles_before_after": "changed:{segment}",
        "domain_classifier": "shift_found:{segment}",
    }
    strength = 3.0  # spread of the mixing column's level effects on the label's log-odds
    jitter = 0.03
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "segment_column", "production_share")
    measure = Measure(label="offline AUC - online AUC (pooled over the mixing column's levels)", effect=0.10, minimum=0.04)
    reference_experiment = ReferenceExperiment(
        label="AUC gap at one mix of the mixing column (production reweighted to the offline mix, and offline to the production mix; the mean of the two)", resolve_fraction=0.5)

    def choose(self, world):
        cats = world.categorical_keys()
        if "segment_column" in self.params:
            key = self.params["segment_column"]
            if key not in cats:
                raise ScenarioError(f"simpson_mix: segment_column {key!r} is not a categorical column key")
        else:
            if not cats:
                raise ScenarioError("simpson_mix: the scenario needs a categorical column to mix")
            # the column with the most levels mixes most visibly (ties: the seed picks)
            most = max(len(world.columns[k].levels) for k in cats)
            key = self.pick([k for k in cats if len(world.columns[k].levels) == most])
        col = world.columns[key]
        n = len(col.levels)
        # levels from low to high risk, evenly spread; the seed decides which level is which
        spread = np.linspace(-self.strength, self.strength, n)
        col.effect = spread[self.rng.permutation(n)]
        self.segment_key = key
        self.segment_keys = [key]
        self.culprit_keys = [key]
        # production concentrates on a middle-risk level: within it the ranking is unchanged
        order = np.argsort(col.effect)
        self.level_index = int(order[n // 2])
        self.segment = {col.name: col.levels[self.level_index]}
        self.share = float(self.params.get("production_share", 0.9))

    def inputs(self, world):
        col = world.columns[self.segment_key]
        n, i = len(col.levels), self.level_index
        # offline the levels come evenly (the same structure whichever column and level the seed
        # picks); production concentrates ``share`` of the rows on one level
        world.z["offline"][self.segment_key] = world.rng.integers(0, n, world.n["offline"])
        p = np.full(n, (1 - self.share) / (n - 1))
        p[i] = self.share
        world.z["production"][self.segment_key] = world.rng.choice(n, size=world.n["production"], p=p)

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        col = variant.truth.culprits[0]
        off = variant.offline
        test = off[off[s["split"]] == "test"]
        lab = variant.production[variant.production[s["label"]].notna()]
        then = test[col].astype(str)
        now = lab[col].astype(str)
        then_mix, now_mix = then.value_counts(normalize=True), now.value_counts(normalize=True)

        def auc(rows, levels, weights=None):
            w = None if weights is None else levels.map(lambda v: weights.get(v, 0.0)).to_numpy(float)
            return roc_auc_score(rows[s["label"]].astype(int), rows[s["score"]], sample_weight=w)
        # Standardise to either period's mix: the production rows reweighted to the offline mix, and
        # the offline rows to the production mix. Either alone rests on few rows of the levels the
        # other period has little of (production's minority levels hold about 60 rows each, and
        # weighting them up left 0.06 of card_chargebacks seed 45's 0.09 gap from noise alone);
        # the mean of the two, as a Marshall-Edgeworth index, takes the choice of base away.
        to_offline = abs(auc(test, then) - auc(lab, now, (then_mix / now_mix).fillna(0.0)))
        to_online = abs(auc(test, then, (now_mix / then_mix).fillna(0.0)) - auc(lab, now))
        return (to_offline + to_online) / 2

    def extra_checks(self, variant):
        """Every level holds: no level's production AUC is more than 0.05 below its offline AUC."""
        s = variant.schema
        col = variant.truth.culprits[0]
        off = variant.offline[variant.offline[s["split"]] == "test"]
        lab = variant.production[variant.production[s["label"]].notna()]
        worst = -1.0
        for level in off[col].astype(str).unique():
            a, b = off[off[col].astype(str) == level], lab[lab[col].astype(str) == level]
            if min(len(a), len(b)) < 500 or a[s["label"]].nunique() < 2 or b[s["label"]].nunique() < 2:
                continue
            drop = (roc_auc_score(a[s["label"]].astype(int), a[s["score"]])
                    - roc_auc_score(b[s["label"]].astype(int), b[s["score"]]))
            worst = max(worst, drop)
        return [("worst_level_auc_drop", worst, "<= 0.05 (every level holds)", worst <= 0.05)]
