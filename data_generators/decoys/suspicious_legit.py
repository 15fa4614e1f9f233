"""A legitimate feature that looks suspicious: it dominates the feature importance.

What is planted: nothing is changed; the decoy names the strongest legitimate feature (or the one
the scenario's ``column`` param names, typically one whose name sounds recorded-after-the-fact),
so that "it must be leaking" is a hypothesis a first look supports. Why it is not the cause: it is
as predictive online as offline; dropping it lowers both and closes no gap.
"""
from __future__ import annotations

from sklearn.inspection import permutation_importance

from livescreen.toolkit.model import one_thread

from ..families.base import Decoy
from ..registry import register_decoy


@register_decoy
class SuspiciousLegit(Decoy):
    kind = "suspicious_legit"
    help = "a dominant feature with a suspicious name"
    rival = "target_leakage"  # what a candidate chasing it would suspect
    fix = "drop"
    top_k = 3

    def choose(self, world, *, taken):
        if "column" in self.params and self.params["column"] not in taken:
            self.keys = [self.params["column"]]
            return
        keys = [k for k in world.numeric_keys(exclude=taken)]
        keys.sort(key=lambda k: -abs(world.columns[k].effect))
        self.keys = [keys[0]]

    def loudness(self, value: float) -> float:
        """How loud the decoy is against its visibility bar (1 = just visible)."""
        return self.top_k / max(value, 1)

    def visible(self, variant):
        col = self.names[0]
        s = variant.schema
        test = variant.offline[variant.offline[s["split"]] == "test"]
        test = test.iloc[: min(len(test), 4000)]
        feats = variant.model.features_
        with one_thread():  # identical figures; OpenMP threads only wait on each other here
            imp = permutation_importance(variant.model, test[feats], test[s["label"]].astype(int),
                                         scoring="roc_auc", n_repeats=2, random_state=0)
        rank = 1 + sorted(feats, key=lambda f: -imp.importances_mean[feats.index(f)]).index(col)
        return rank, f"importance rank <= {self.top_k}", rank <= self.top_k


DECOY = SuspiciousLegit
