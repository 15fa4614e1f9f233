"""A null-rate jump that does not hurt.

What is planted: from a date in the production period an upstream source stops filling one
feature for ``rate`` of rows (recorded as missing). Offline the column has a few nulls too, so the
model knows what to do with them. Looks like: a data-quality alarm (catalogue: null jump PSI 0.30
with AUC 0.83). Why it is not the cause: the feature carries little signal; dropping it changes
nothing.
"""
from __future__ import annotations

import numpy as np

from ..families.base import Decoy
from ..families.duplicate_leakage import same_for_copies
from ..registry import register_decoy


@register_decoy
class NullJump(Decoy):
    kind = "null_jump"
    help = "a feature whose null rate jumps in production"
    rival = "schema_change"  # what a candidate chasing it would suspect
    fix = "drop"
    min_jump = 0.10

    def choose(self, world, *, taken):
        self.keys = self.pick_weak_numeric(world, taken=taken)
        self.rate = float(self.params.get("rate", 0.25)) * (1 + self.rng.uniform(-0.1, 0.1))
        self.base_rate = 0.01
        self.onset_frac = float(self.rng.uniform(0.2, 0.5))

    def observed(self, world):
        name = world.name_of(self.keys[0])
        for part in ("offline", "production"):
            frame = world.frames[part]
            n = len(frame)
            rate = np.full(n, self.base_rate)
            if part == "production":
                t = world.z[part]["__t"]
                rate[t >= np.quantile(t, self.onset_frac)] = self.rate
            drop = same_for_copies(world, part, world.rng.random(n) < rate)  # copies stay exact
            values = frame[name].to_numpy(dtype=float, copy=True)
            values[drop] = np.nan
            frame[name] = values
            if part == "production":
                world.recomputed[name] = values

    def loudness(self, value: float) -> float:
        """How loud the decoy is against its visibility bar (1 = just visible)."""
        return value / self.min_jump

    def visible(self, variant):
        col = self.names[0]
        jump = variant.production[col].isna().mean() - variant.offline[col].isna().mean()
        return jump, f"null-rate rise >= {self.min_jump}", jump >= self.min_jump


DECOY = NullJump
