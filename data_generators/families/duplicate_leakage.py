"""Duplicate leakage: positives oversampled (copied) before the train/test split.

What is planted
---------------
To balance a rare positive class, the team's data preparation copies every positive row
``copies`` extra times (plain oversampling, ``copies`` = 3 means each positive appears 4 times)
and only then splits the rows at random. Copies are exact: same id, timestamp, features and label.
Nearly every positive in the test set has an identical twin in training, and a model with enough
capacity to memorise single rows recognises them. Production rows are fresh.

Symptom
-------
Offline AUC well above production AUC (catalogue: 0.982 vs 0.805 on fresh data; 66% of test rows
exactly in train). ``symptom`` = offline AUC - online AUC of the team's model. No column is at
fault (the truth names no culprit); the tell is exact duplicate rows across the split.

Reference experiment
--------------------
Deduplicate (drop rows repeating an id), split again (25% of ids held out, deterministically),
retrain and re-score: the held-out AUC lands near production. ``reference`` returns
|deduplicated offline AUC - production AUC| of the model so refitted. Dropping any decoy column
leaves the gap open.
"""
from __future__ import annotations

import numpy as np

from ..evaluation import evaluate, held_out_ids_in_train, id_holdout
from ..registry import register_family
from .base import RANKS_FAR_WORSE_THAN_OFFLINE, Family, Measure, ReferenceExperiment


def same_for_copies(world, part: str, values: np.ndarray) -> np.ndarray:
    """``values`` drawn one per row of ``world.frames[part]``, with every exact copy planted by this
    family given its original's value, so that copies stay exact whatever a later hook draws per
    row (unchanged when no copies were planted)."""
    of = world.z[part].get("__copy_of")
    return values if of is None else values[of]


@register_family
class DuplicateLeakage(Family):
    name = "duplicate_leakage"
    kind = "leakage"
    help = "duplicated or oversampled rows before the split"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "after removing duplicates before the split, offline AUC drops to the online level",
        "deduplicating changes offline AUC by little",
    )
    decision = (
        "If true, deduplicate and split before resampling; if false, check the features."
    )
    symptoms = (RANKS_FAR_WORSE_THAN_OFFLINE,)
    hints = (
        'Ask whether the rows the team tested on are really unseen: could the same record sit on both sides of the split?',
        "Count identical rows (inputs and outcome alike) across the team's train and test rows, and evaluate again with each kept once.",
    )
    expert = (
        ("dedup_then_split",
         "if copies of test rows sit in the training set, removing them first brings offline AUC down to the online level"),
        ("group_split",
         "splitting by entity keeps copies of one row on the same side"),
    )
    outcomes = {
        "dedup_then_split": "gap_closes",
        "out_of_time_split": "gap_closes",
        "group_split": "gap_closes",
        "recalibrate": "miscalibrated:mildly",
    }
    strength = 1.0
    jitter = 0.0  # the knob is a whole number of copies
    strength_response = 0  # measured: the symptom does not move with it (the knob is params.copies)
    params_allowed = ("copies",)
    measure = Measure(label="offline AUC (after oversampling, random split) - online AUC", effect=0.22, minimum=0.05)
    reference_experiment = ReferenceExperiment(label="deduplicate, split by id, retrain; |offline - online AUC|", resolve_fraction=0.5)

    def choose(self, world):
        self.copies = int(self.params.get("copies", 3))
        self.culprit_keys = []

    def observed(self, world):
        z = world.z["offline"]
        y = z["__y"]
        n = y.size
        pos = np.flatnonzero(y == 1)
        idx = np.concatenate([np.arange(n), np.repeat(pos, self.copies)])
        idx = idx[np.argsort(z["__t"][idx], kind="stable")]  # copies sit beside their original
        world.frames["offline"] = world.frames["offline"].iloc[idx].reset_index(drop=True)
        for key in list(z):
            z[key] = z[key][idx]
        world.extra_logit["offline"] = world.extra_logit["offline"][idx]
        world.n["offline"] = idx.size
        # each row's original (its first position): hooks that run after this one and draw per row
        # (a decoy's nulls, another family's placeholder column) give a copy its original's draw
        first = np.full(n, idx.size)
        np.minimum.at(first, idx, np.arange(idx.size))
        z["__copy_of"] = first[idx]

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        s = variant.schema
        off = variant.offline.drop_duplicates(subset=[s["id"]], keep="first")
        test = id_holdout(off, s["id"])
        ev = evaluate(variant, train=off[~test], test=off[test], refit=True)
        return abs(ev.offline_auc - ev.online_auc)

    def extra_checks(self, variant):
        """Share of the team's test rows that have an exact copy among the training rows."""
        shared = held_out_ids_in_train(variant)
        return [("test_rows_with_exact_copy_in_train", shared, ">= 0.1", shared >= 0.1)]
