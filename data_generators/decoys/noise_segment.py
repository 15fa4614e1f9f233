"""A segment that looks worse in production, within noise.

What is planted: a small segment (one level of a categorical column, a few percent of rows) gets a
little extra label noise in production, so its online AUC dips a few points. Its confidence
interval is wide and overlaps the rest. Why it is not the cause: leaving the segment out changes
the overall picture by almost nothing.

Held within noise (``hold``): the extra label noise adds to the segment's sampling noise, so on a
few seeds in a hundred its dip net of the rest came out beyond the validator's 3 SE line (20 of
3,200 variants of the 2026-12-03 sweep), a real slice failure rather than a red herring. When the
built variant's dip is beyond the line, the planted flips are undone, and where the level's own
sampling noise still puts it beyond, the segment moves to another level of its column; a variant
within the line is left as it was drawn.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import auc
from livescreen.toolkit.metrics import auc_se  # one Hanley-McNeil standard error, the toolkit's
from ..families.base import Decoy
from ..registry import register_decoy


@register_decoy
class NoiseSegment(Decoy):
    kind = "noise_segment"
    help = "a segment that looks worse, within noise"
    rival = "slice_failure"  # what a candidate chasing it would suspect
    fix = "exclude"
    moves_values = False  # it flips labels in a segment and is judged by leaving the segment out

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
        order = [int(i) for i in np.argsort(w) if w[i] >= 0.03] or [int(np.argmax(w))]
        self.level_index = order[0]
        self._order = order  # the other levels ``hold`` may move the segment to, smallest first
        self.keys = [key]
        self.flip = float(self.params.get("flip", 0.02))
        self._key = key

    def observed(self, world):
        col = world.columns[self._key]
        self._levels = list(col.levels)
        self.segment = {col.name: col.levels[self.level_index]}
        prod = world.frames["production"]
        inside = world.z["production"][self._key] == self.level_index
        flip = inside & (world.rng.random(len(prod)) < self.flip)
        y = prod[world.label_name].to_numpy(copy=True)
        y[flip] = 1 - y[flip]
        prod[world.label_name] = y
        # by position: ids repeat in production (an entity scored twice); no stage after the
        # decoys' reorders or drops production rows (``build_world``)
        self._flipped, self._n_production = np.flatnonzero(flip), len(prod)

    def hold(self, variant):
        """Keep the segment's dip within the visibility line (see above).

        Beyond it, the planted flips are undone. If the level's sampling noise alone still puts it
        beyond (2 of the 3,200 variants of the 2026-12-04 sweep), the segment moves to the next
        level of the same column with at least 3% of rows, smallest first, planted there the same
        way (the decoy's own random stream), and the truth records the level it moved to.
        """
        if self.visible(variant)[2]:
            return
        label = variant.schema["label"]
        prod = variant.production
        assert len(prod) == self._n_production, "production rows moved after the decoy was planted"
        self._flip_labels(prod, label, self._flipped)  # undo: NaN (a label not yet known) stays NaN
        if self.visible(variant)[2]:
            return
        (col, first), = self.segment.items()
        values = prod[col].astype(str)
        for index in self._order[1:]:
            level = self._levels[index]
            flipped = np.flatnonzero((values == str(level)).to_numpy() & (self.rng.random(len(prod)) < self.flip))
            self._flip_labels(prod, label, flipped)
            self.segment = {col: level}
            if self.visible(variant)[2]:
                self.level_index, self._flipped = index, flipped
                break
            self._flip_labels(prod, label, flipped)
        else:  # no level stays within: the first level, its planted noise undone
            self.segment = {col: first}
            return
        self.record(variant, "segment", was={col: first}, now=dict(self.segment))

    @staticmethod
    def _flip_labels(prod, label, rows):
        y = prod[label].to_numpy(copy=True)
        y[rows] = 1 - y[rows]
        prod[label] = y

    def visible(self, variant):
        """The segment's offline-to-online change, net of the rest's, is within noise."""
        (col, level), = self.segment.items()
        s = variant.schema
        off = variant.offline[variant.offline[s["split"]] == "test"]
        prod = variant.production[variant.production[s["label"]].notna()]
        change, var = 0.0, 0.0
        for frame, sign in ((prod, 1), (off, -1)):
            inside = (frame[col].astype(str) == level).to_numpy()
            for mask, w in ((inside, 1), (~inside, -1)):
                y, sc = frame.loc[mask, s["label"]], frame.loc[mask, s["score"]]
                a = auc(y, sc)
                change += sign * w * a
                var += auc_se(a, int(y.sum()), int(len(y) - y.sum())) ** 2
        limit = 3.0 * np.sqrt(var)
        return change, f"segment's change net of the rest within 3 SE ({limit:.3f})", abs(change) <= limit


DECOY = NoiseSegment
