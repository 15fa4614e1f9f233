"""A feature that drifts in production without hurting the model.

What is planted: from a date in the production period, a low-effect feature's inputs shift by
``shift`` standard deviations (the world changed; how the label depends on inputs did not).
Looks like: a high PSI on that feature in the drift explorer (catalogue: PSI 0.30 with AUC 0.841 ->
0.830). Why it is not the cause: the model barely uses the feature, so dropping it changes nothing.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import psi
from ..families.base import Decoy
from ..registry import register_decoy


@register_decoy
class HarmlessDrift(Decoy):
    kind = "harmless_drift"
    help = "a feature whose inputs drift in production"
    rival = "covariate_shift"  # what a candidate chasing it would suspect
    fix = "drop"
    min_psi = 0.15

    def choose(self, world, *, taken):
        self.keys = self.pick_weak_numeric(world, taken=taken)
        self.shift = float(self.params.get("shift", 0.9)) * (1 + self.rng.uniform(-0.1, 0.1))
        self.onset_frac = float(self.rng.uniform(0.05, 0.3))

    def inputs(self, world):
        z = world.z["production"]
        after = z["__t"] >= np.quantile(z["__t"], self.onset_frac)
        z[self.keys[0]] = z[self.keys[0]] + self.shift * after

    def loudness(self, value: float) -> float:
        """How loud the decoy is against its visibility bar (1 = just visible)."""
        return value / self.min_psi

    def visible(self, variant):
        col = self.names[0]
        value = psi(variant.offline[col], variant.production[col])
        return value, f"PSI >= {self.min_psi}", value >= self.min_psi


DECOY = HarmlessDrift
