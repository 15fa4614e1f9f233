"""A legitimate feature that looks suspicious: it dominates the feature importance.

What is planted: nothing is changed; the decoy names the strongest legitimate feature (or the one
the scenario's ``column`` param names, typically one whose name sounds recorded-after-the-fact),
so that "it must be leaking" is a hypothesis a first look supports. Why it is not the cause: it is
as predictive online as offline; dropping it lowers both and closes no gap.

The strongest is the one with the largest effect on the label. Two failures change that, and there
the decoy names instead the eligible column the team's model ranks highest in its importance
(``hold``), which moves nothing in the data:

- A column of the failure's own that the team's model leans on (a leak: ``Family.added_column``)
  takes the top of the importance, and the legitimate ones follow close together; the one with the
  largest effect can then rank below the top 3, out of a first look's sight (2 of the 3,200
  variants of the 2026-12-04 sweep). Re-named only when it does.
- A failure that runs through columns it reserves (``Family.reserved_keys``: group leakage's
  per-entity fingerprint). The team retrained without a reserved column loses part of the failure
  with it, so the decoy would look like a cause (account_takeover seeds 6 and 11 kept 59% and 25%
  of the gap, under the validator's 60%). The decoy goes to the highest-ranked column off the
  reserved ones, where that column is within the top 3, else it stays. Kept off the fingerprint by
  effect instead, it fell out of the top 3 on 13 of seeds 0-49 (2026-12-04), so the rank decides.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from livescreen.toolkit.metrics import auc  # the ground floor, as the team's model itself
from livescreen.toolkit.model import one_thread
from ..families.base import Decoy
from ..registry import register_decoy


@register_decoy
class SuspiciousLegit(Decoy):
    kind = "suspicious_legit"
    help = "a dominant feature with a suspicious name"
    rival = "target_leakage"  # what a candidate chasing it would suspect
    fix = "drop"
    moves_values = False  # a legitimate column as it is
    top_k = 3

    def __init__(self, *, params: dict, rng):
        super().__init__(params=params, rng=rng)
        self._eligible: list[str] = []  # the keys it may name, strongest effect first (choose)
        self._eligible_names: dict[str, str] = {}  # their display names -> keys (to_dict)

    def choose(self, world, *, taken):
        if "column" in self.params and self.params["column"] not in taken:
            self.keys, self._eligible = [self.params["column"]], []
            return
        keys = [k for k in world.numeric_keys(exclude=taken)]
        keys.sort(key=lambda k: -abs(world.columns[k].effect))
        self.keys, self._eligible = [keys[0]], keys

    def to_dict(self, world):
        self._eligible_names = {world.name_of(k): k for k in self._eligible}
        return super().to_dict(world)

    def hold(self, variant):
        """Name the eligible column the team's model ranks highest, within ``top_k``, where the
        failure planted pushes the one with the largest effect out of sight or reserves it (see
        the module docstring). The data, the model and every other decoy stay as they are; the
        truth records the column named. Ranked only under those failures: under the others the
        column with the largest effect was within the top 3 on every variant of the sweep, and
        ranking the importance costs about 0.25 s at the live size."""
        family = variant._family
        reserved = set(family.reserved_keys)
        on_reserved = self.keys[0] in reserved
        if not self._eligible_names or (family.added_column is None and not on_reserved):
            return
        ranking = self.ranking(variant)
        if ranking.index(self.names[0]) < self.top_k and not on_reserved:
            return
        others = {c for d in variant.truth.decoys if d["kind"] != self.kind for c in d.get("columns", [])}
        best = next((f for f in ranking if f in self._eligible_names and f not in others
                     and self._eligible_names[f] not in reserved), None)
        if best is None or ranking.index(best) >= self.top_k:
            return
        self.record(variant, "columns", was=self.names, now=[best])
        self.names, self.keys = [best], [self._eligible_names[best]]

    def loudness(self, value: float) -> float:
        """How loud the decoy is against its visibility bar (1 = just visible)."""
        return self.top_k / max(value, 1)

    def visible(self, variant):
        rank = 1 + self.ranking(variant).index(self.names[0])
        return rank, f"importance rank <= {self.top_k}", rank <= self.top_k

    @staticmethod
    def ranking(variant) -> list[str]:
        """The team model's features, most important first: the permutation importance (ROC AUC)
        on up to 4,000 of the team's test rows, as a candidate's first importance chart shows it."""
        s = variant.schema
        test = variant.offline[variant.offline[s["split"]] == "test"]
        test = test.iloc[: min(len(test), 4000)]
        feats = variant.model.features_
        imp = permutation_auc_importance(variant.model, test[feats], test[s["label"]].astype(int),
                                         n_repeats=2, random_state=0)
        return sorted(feats, key=lambda f: -imp[feats.index(f)])


def permutation_auc_importance(model, X: pd.DataFrame, y, *, n_repeats: int, random_state: int) -> np.ndarray:
    """Mean drop of ROC AUC when each column of ``X`` is shuffled: ``importances_mean`` of
    ``sklearn.inspection.permutation_importance(model, X, y, scoring="roc_auc", n_repeats=...,
    random_state=...)``, value for value, from one prediction over all the shuffled copies.

    scikit-learn scores every shuffled copy by its own call (27 for 13 columns and 2 repeats), and
    its per-call overhead is most of the work at this size; the rows are the same rows in the same
    shuffles (the same random streams), and a row's score does not depend on its batch, so the
    scores are identical. The AUCs are the toolkit's rank statistic (``roc_auc_score``'s value to
    about 1e-16, ten times faster without its input checks), so the importances agree with
    scikit-learn's to 1e-15 and rank the columns in the same order (``tests/authoring/test_speed.py``).
    """
    n = len(X)
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    blocks = [X]
    for col in X.columns:
        rng, idx, cur = np.random.RandomState(seed), np.arange(n), np.arange(n)
        for _ in range(n_repeats):  # scikit-learn shuffles the already shuffled column again
            rng.shuffle(idx)
            cur = cur[idx]
            blocks.append(X.assign(**{col: X[col].iloc[cur].set_axis(X.index)}))
    with one_thread():
        scores = (model.decision_function if hasattr(model, "decision_function") else
                  (lambda frame: model.predict_proba(frame)[:, 1]))(pd.concat(blocks, ignore_index=True))
    y = np.asarray(y)
    aucs = [auc(y, scores[i * n:(i + 1) * n]) for i in range(len(blocks))]
    permuted = np.array(aucs[1:]).reshape(X.shape[1], n_repeats)
    return np.mean(aucs[0] - permuted, axis=1)


DECOY = SuspiciousLegit
