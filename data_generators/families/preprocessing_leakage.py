"""Preprocessing leakage: a target encoding of a high-cardinality id fitted on all rows before the split.

What is planted
---------------
Rows belong to entities (sellers, merchants) that keep trading in production, and each entity has
a hidden risk of its own (``strength`` standard deviations on the log-odds), so an entity's past
outcome rate is a legitimately useful feature. The team computes it as a smoothed target encoding
of the entity id, ``(sum of labels + m * prior) / (rows + m)``, but on ALL offline rows before the
train/test split: every offline row's encoded value includes its own label. In production the
encoding is the one fitted on the training rows, which knows nothing of the row being scored.

Symptom
-------
Offline AUC above production AUC (catalogue: 0.891 vs 0.823 baseline). ``symptom`` = offline AUC -
online AUC of the team's model. The culprit is the encoded column.

Reference experiment
--------------------
Refit the encoding inside the training fold (statistics from the training rows only, applied to
train, test and production alike), retrain and re-score: offline now lands near production.
``reference`` returns |offline AUC - online AUC| of the model so refitted. Dropping any decoy
column leaves the gap open.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..evaluation import evaluate
from ..registry import register_family
from .base import RANKS_FAR_WORSE_THAN_OFFLINE, AddedColumn, Family, Measure, ReferenceExperiment


def encode(keys_fit, y_fit, keys_apply, *, smoothing: float) -> np.ndarray:
    """Smoothed mean of ``y_fit`` per key, applied to ``keys_apply`` (unseen keys get the prior)."""
    y_fit = np.asarray(y_fit, float)
    prior = float(y_fit.mean())
    stats = pd.DataFrame({"k": np.asarray(keys_fit), "y": y_fit}).groupby("k")["y"].agg(["sum", "size"])
    enc = (stats["sum"] + smoothing * prior) / (stats["size"] + smoothing)
    return pd.Series(np.asarray(keys_apply)).map(enc).fillna(prior).to_numpy(float)


def returning_entities(world, rng: np.random.Generator, *, by_rows: bool = False) -> None:
    """Production rows come from the offline entities (sellers, customers keep trading): each
    production row gets an offline entity drawn at random (uniformly, or ``by_rows``: in proportion
    to the entity's offline rows, so production weights entities as offline does), with its id and
    hidden effect."""
    off, prod = world.z["offline"], world.z["production"]
    if by_rows:
        ent = off["__entity"][rng.integers(0, off["__entity"].size, world.n["production"])]
    else:
        present = np.unique(off["__entity"])
        ent = present[rng.integers(0, present.size, world.n["production"])]
    size = int(off["__entity"].max()) + 1
    ids = np.zeros(size, dtype=off["__id"].dtype)
    ids[off["__entity"]] = off["__id"]
    hidden = np.zeros(size)
    hidden[off["__entity"]] = off["__entity_effect"]
    prod["__entity"], prod["__id"], prod["__entity_effect"] = ent, ids[ent], hidden[ent]


@register_family
class PreprocessingLeakage(Family):
    name = "preprocessing_leakage"
    kind = "leakage"
    help = "preprocessing or selection fitted on all rows"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "retrained without {cols}, offline AUC falls to about the online level",
        "offline AUC stays well above online without {cols}",
    )
    decision = (
        "If true, move the encoding inside the cross-validation pipeline; if false, investigate drift."
    )
    symptoms = (RANKS_FAR_WORSE_THAN_OFFLINE,)
    hints = (
        'Look at each input the team derived from the outcome or from all rows at once, and at when it was computed.',
        'Rebuild the derived inputs from training rows only and evaluate again, or shuffle the outcomes and see whether the pipeline still finds signal.',
    )
    # Not ``label_permutation_test``: shuffling the labels exposes a leak only when the leaky fit is
    # re-run on the shuffled labels, and here the encoded rate arrives computed in the data; measured
    # at the live size it reports signal_real as under every rival (food_delivery_late, seed 0).
    expert = (
        ("drop_columns_retrain",
         "a column computed with every offline label stops carrying the test labels once it is left out"),
    )
    outcomes = {
        "drop_columns_retrain": "gap_closes",
        "domain_classifier": "shift_found:{culprit}",
        "recalibrate": "miscalibrated:mildly",
    }
    added_column = AddedColumn(key="__encoded", names=("seller_dispute_rate", "seller_claim_rate_hist"))
    strength = 1.5
    strength_response = -1  # measured: a stronger entity risk makes the encoded rate honest in production too, so the gap falls
    params_allowed = ("strength", "smoothing", "decimals")
    measure = Measure(label="offline AUC (encoding fitted on all rows) - online AUC", effect=0.22, minimum=0.03)
    reference_experiment = ReferenceExperiment(label="refit the target encoding on the training fold only; |offline - online AUC|", resolve_fraction=0.5)

    def choose(self, world):
        if world.rows_per_entity <= 1:
            raise ScenarioError("preprocessing_leakage needs world.rows_per_entity > 1")
        if any(c.spec.get("entity_level") for c in world.columns.values()):
            raise ScenarioError("preprocessing_leakage does not support entity_level columns")
        self.placeholder(world)

    def placeholder(self, world):
        """Add the encoded column; when another family is drawn it is there too, without signal
        (``placeholder_observed``)."""
        self.smoothing = float(self.params.get("smoothing", 2.0))
        self.decimals = int(self.params.get("decimals", 4))
        self.column = self.add_column(world, transform={"dist": "uniform", "low": 0.0, "high": 1.0})

    def placeholder_inputs(self, world):
        """Another family was drawn: the entities keep trading all the same (production rows come
        from offline entities), so the encoded column looks the same in production as offline. The
        entities carry no hidden risk here (``entity_effect_sd`` stays 0): the column is noise."""
        returning_entities(world, self.rng, by_rows=True)

    def placeholder_observed(self, world):
        """The column without signal: each entity's rate of as many past outcomes as it has
        training rows, drawn at the training rows' base rate (the entities carry no hidden risk
        under this draw), the same value on every row of the entity, offline and in production. No
        row's own label enters it, and it looks alike in training, test and production rows."""
        if "split" not in world.frames["offline"]:
            world.assign_split()
        off, prod = world.frames["offline"], world.frames["production"]
        y = world.z["offline"]["__y"]
        keys = world.z["offline"]["__id"]
        train = (off["split"] == "train").to_numpy()
        ids, count = np.unique(keys[train], return_counts=True)
        prior = float(np.mean(y[train]))
        past = self.rng.binomial(count, prior)
        rate = pd.Series((past + self.smoothing * prior) / (count + self.smoothing), index=ids)
        for part, frame in (("offline", off), ("production", prod)):
            values = pd.Series(world.z[part]["__id"]).map(rate).fillna(prior).to_numpy(float)
            frame[self.column.name] = np.round(values, self.decimals)
        world.recomputed[self.column.name] = prod[self.column.name].to_numpy()

    def inputs(self, world):
        returning_entities(world, world.rng)
        world.entity_effect_sd = self.strength

    def observed(self, world):
        world.assign_split()
        off, prod = world.frames["offline"], world.frames["production"]
        y = world.z["offline"]["__y"]
        keys = world.z["offline"]["__id"]
        train = (off["split"] == "train").to_numpy()
        # the team's preprocessing: fitted on every offline row, before the split
        off[self.column.name] = np.round(encode(keys, y, keys, smoothing=self.smoothing), self.decimals)
        # at serving time: the encoder fitted on the training rows
        served = encode(keys[train], y[train], world.z["production"]["__id"], smoothing=self.smoothing)
        prod[self.column.name] = np.round(served, self.decimals)
        world.recomputed[self.column.name] = prod[self.column.name].to_numpy()

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        off = variant.offline.copy()
        col = variant.truth.culprits[0]
        train = (off[s["split"]] == "train").to_numpy()
        ids, y = off[s["id"]].to_numpy(), off[s["label"]].to_numpy()
        off[col] = np.round(encode(ids[train], y[train], ids, smoothing=self.smoothing), self.decimals)
        prod = variant.production.copy()
        prod[col] = np.round(encode(ids[train], y[train], prod[s["id"]].to_numpy(),
                                    smoothing=self.smoothing), self.decimals)
        ev = evaluate(variant, train=off[train], test=off[~train], production=prod, refit=True)
        return abs(ev.offline_auc - ev.online_auc)
