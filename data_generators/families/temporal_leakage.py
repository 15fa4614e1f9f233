"""Temporal leakage: a random split of time-ordered data, with a time proxy among the features.

What is planted
---------------
The label's log-odds carry a term that wanders slowly with calendar time (an independent normal
draw every ``knot_days`` days, linear in between, mapped to exact normal scores within each period
and times ``strength``): what the market does this week, not something the features describe. A planted feature is a time proxy: a
sequential id (a creative or campaign number assigned at upload, so it grows with time, with a
little jitter). The team splits its offline rows at random, so every test row has training rows
from the same days; the model reads the time proxy to look up "how things were that week" and
the test looks excellent. In production every row lies beyond the last id the model saw, and the
wandering term there is new: that part of the signal is gone.

Symptom
-------
Offline (random split) AUC well above production AUC (catalogue: 0.825 vs 0.591), with the proxy
high in the importance. ``symptom`` = offline AUC - online AUC of the team's model.

Reference experiment
--------------------
Re-score with an out-of-time split: train on the earliest 75% of the offline rows, test on the
latest 25%. That estimate lands near what production shows; ``reference`` returns
|out-of-time offline AUC - production AUC| of the model so refitted. Dropping any decoy column
leaves the random-split gap open.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ..evaluation import evaluate, time_split
from ..registry import register_family
from .base import RANKS_FAR_WORSE_THAN_OFFLINE, AddedColumn, Family, Measure, ReferenceExperiment
from .duplicate_leakage import same_for_copies


@register_family
class TemporalLeakage(Family):
    name = "temporal_leakage"
    kind = "leakage"
    help = "a random split of time-ordered data"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "an out-of-time split scores near the online AUC, far below the random split",
        "the out-of-time split scores like the random split",
    )
    decision = (
        "If true, evaluate with out-of-time splits and drop the time proxy; if false, look for a failing segment."
    )
    symptoms = (RANKS_FAR_WORSE_THAN_OFFLINE,)
    hints = (
        "Ask how the team's test rows were chosen, and whether the model was scored on days earlier than some of the days it learned from.",
        "Train only on the earliest offline rows and test on the latest, as production will, and compare with the team's figure.",
    )
    expert = (
        ("out_of_time_split",
         "scoring on the latest rows instead of random ones shows the offline AUC a future-facing model really gets"),
        ("drop_columns_retrain",
         "a feature that only encodes time stops helping once the test rows lie after the training rows"),
    )
    outcomes = {
        "out_of_time_split": "gap_closes",
        "drop_columns_retrain": "gap_closes",
        "domain_classifier": "shift_found:{culprit}",
        "recalibrate": "miscalibrated:mildly",
    }
    added_column = AddedColumn(key="__proxy", names=("creative_id", "creative_serial", "ad_creative_number"))
    strength = 3.0
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    params_allowed = ("strength", "ids_per_day", "knot_days")
    measure = Measure(label="offline AUC (random split) - online AUC", effect=0.25, minimum=0.05)
    reference_experiment = ReferenceExperiment(
        label="out-of-time split (train earliest 75%, test latest 25%); |offline - online AUC|", resolve_fraction=0.5)

    def choose(self, world):
        self.placeholder(world)

    def placeholder(self, world):
        """Add the id column; when another family is drawn it is there too, harmless (see
        ``placeholder_observed``)."""
        self.column = self.add_column(world, transform={"dist": "normal", "mean": 0.0, "sd": 1.0})
        # a knot every ``knot_days`` with an independent draw; linear in between
        self.knot_days = float(self.params.get("knot_days", 3.0))
        span = world.offline_days + world.production_days
        self.knots = self.rng.standard_normal(int(np.ceil(span / self.knot_days)) + 2)
        self.ids_per_day = float(self.params.get("ids_per_day", 40.0))
        self.id_base = int(self.rng.integers(10_000, 90_000))

    def placeholder_observed(self, world):
        # the same range of numbers, not ordered in time: no drift between offline and production
        # and no signal (the column list stays the same; only under this family do ids track time)
        span = world.offline_days + world.production_days
        for part in ("offline", "production"):
            n = world.n[part]
            ids = self.id_base + np.floor(world.rng.uniform(0, span, n) * self.ids_per_day).astype(np.int64)
            ids = same_for_copies(world, part, ids)  # a copied row keeps its original's id
            world.frames[part][self.column.name] = ids
            if part == "production":
                world.recomputed[self.column.name] = ids

    def wander(self, t: np.ndarray) -> np.ndarray:
        """The slowly wandering log-odds term at days ``t`` (piecewise linear between knots)."""
        grid = np.arange(self.knots.size) * self.knot_days
        return np.interp(t, grid, self.knots)

    def labels(self, world):
        for part in ("offline", "production"):
            f = self.wander(world.z[part]["__t"])
            # normal scores within each period (a monotone map, so the wandering is kept): every
            # seed's term has exactly the same spread and shape
            u = (np.argsort(np.argsort(f, kind="stable"), kind="stable") + 0.5) / f.size
            world.extra_logit[part] += self.strength * ndtri(u)

    def observed(self, world):
        for part in ("offline", "production"):
            t = world.z[part]["__t"]
            # an id is assigned when the creative is uploaded, a few days before it is shown
            upload = np.maximum(t - world.rng.exponential(0.5, t.size), 0.0)
            ids = self.id_base + np.floor(upload * self.ids_per_day).astype(np.int64)
            world.frames[part][self.column.name] = ids
            if part == "production":
                world.recomputed[self.column.name] = ids

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        train, test = time_split(variant.offline, s["timestamp"], 0.75)
        ev = evaluate(variant, train=train, test=test, refit=True)
        return abs(ev.offline_auc - ev.online_auc)

    def extra_checks(self, variant):
        """The proxy really is a time proxy: its rank correlation with the timestamp."""
        s = variant.schema
        off = variant.offline
        col = variant.truth.culprits[0]
        t = off[s["timestamp"]].rank().to_numpy()
        r = np.corrcoef(t, off[col].rank().to_numpy())[0, 1]
        return [("proxy_time_rank_corr", r, ">= 0.95", r >= 0.95)]

