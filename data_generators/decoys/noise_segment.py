"""A segment that looks worse in production, within noise.

What is planted: a small segment (one level of a categorical column, a few percent of rows) gets a
little extra label noise in production, so its online AUC dips a few points. Its confidence
interval is wide and overlaps the rest. Why it is not the cause: leaving the segment out changes
the overall picture by almost nothing.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import auc
from ..families.base import Decoy


class NoiseSegment(Decoy):
    kind = "noise_segment"
    fix = "exclude"

    def choose(self, world, *, taken):
        cats = [k for k in world.categorical_keys(exclude=taken)]
        if not cats:
            from ..errors import ScenarioError
            raise ScenarioError("noise_segment needs a categorical column not used by the failure")
        key = cats[int(self.rng.integers(len(cats)))]
        col = world.columns[key]
        w = np.asarray(col.spec.get("weights", [1.0] * len(col.levels)), float)
        w = w / w.sum()
        # the smallest level with at least 3% of rows
        order = [i for i in np.argsort(w) if w[i] >= 0.03] or [int(np.argmax(w))]
        self.level_index = int(order[0])
        self.keys = [key]
        self.flip = float(self.params.get("flip", 0.04))
        self._key = key

    def observed(self, world):
        col = world.columns[self._key]
        self.segment = {col.name: col.levels[self.level_index]}
        prod = world.frames["production"]
        inside = world.z["production"][self._key] == self.level_index
        flip = inside & (world.rng.random(len(prod)) < self.flip)
        y = prod[world.label_name].to_numpy(copy=True)
        y[flip] = 1 - y[flip]
        prod[world.label_name] = y

    def visible(self, variant):
        (col, level), = self.segment.items()
        s = variant.schema
        prod = variant.production[variant.production[s["label"]].notna()]
        inside = (prod[col].astype(str) == level).to_numpy()
        a_in = auc(prod.loc[inside, s["label"]], prod.loc[inside, s["score"]])
        a_out = auc(prod.loc[~inside, s["label"]], prod.loc[~inside, s["score"]])
        n1 = prod.loc[inside, s["label"]].sum()
        n0 = inside.sum() - n1
        # Hanley-McNeil standard error of the segment's AUC
        q1, q2 = a_in / (2 - a_in), 2 * a_in**2 / (1 + a_in)
        se = np.sqrt((a_in * (1 - a_in) + (n1 - 1) * (q1 - a_in**2) + (n0 - 1) * (q2 - a_in**2)) / max(n1 * n0, 1))
        gap = a_out - a_in
        return gap, f"segment gap within 2.5 SE ({2.5 * se:.3f})", abs(gap) <= 2.5 * se


DECOY = NoiseSegment
