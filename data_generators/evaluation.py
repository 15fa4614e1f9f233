"""Re-running the team's evaluation on a variant, as the validator's experiments need it.

Everything here reads only the variant's data and the team's public recipe: it measures, it does
not look at how the failure was planted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The ground floor (architecture.md): the team's model and the statistics are the toolkit's, shared.
from livescreen.toolkit import model as team_model
from livescreen.toolkit.metrics import auc, psi

__all__ = ["Evaluation", "auc", "evaluate", "held_out_ids_in_train", "id_holdout", "psi",
           "group_kfold_gap", "time_split"]


@dataclass
class Evaluation:
    """The team's model (or a variation of it) scored on the offline test rows and production.

    ``offline_test`` and ``production`` carry a ``score`` column; ``labelled`` is the production
    rows whose label is known.
    """

    features: list[str]
    offline_test: pd.DataFrame
    production: pd.DataFrame
    label: str
    timestamp: str

    @property
    def labelled(self) -> pd.DataFrame:
        return self.production[self.production[self.label].notna()]

    @property
    def offline_auc(self) -> float:
        return auc(self.offline_test[self.label], self.offline_test["score"])

    @property
    def online_auc(self) -> float:
        lab = self.labelled
        return auc(lab[self.label], lab["score"])


def evaluate(variant, *, drop=(), features=None, train: pd.DataFrame | None = None,
             test: pd.DataFrame | None = None, production: pd.DataFrame | None = None,
             refit: bool | None = None, sample_weight=None) -> Evaluation:
    """Score the team's recipe the way the team did, or with one thing changed.

    With no arguments the variant's own scores are used (no refit). ``drop`` retrains without
    those columns; ``train``/``test``/``production`` replace the rows used for each role.
    """
    s = variant.schema
    label, split = s["label"], s["split"]
    used = list(variant.model_card["features"]) if features is None else list(features)
    used = [f for f in used if f not in set(drop)]
    off = variant.offline
    # the variant's own rows scored by its own model are its served scores, already in the data
    # (the model scored exactly these rows when the variant was built): no prediction needed
    own_test = test is None
    served = own_test and production is None and variant.model is not None
    train = off[off[split] == "train"] if train is None else train
    test = off[off[split] == "test"] if test is None else test
    prod = variant.production if production is None else production
    if refit is None:
        refit = bool(drop) or features is not None or sample_weight is not None
    if served and not refit:
        return Evaluation(features=used, offline_test=test.assign(score=test[s["score"]].to_numpy()),
                          production=prod.assign(score=prod[s["score"]].to_numpy()), label=label,
                          timestamp=s["timestamp"])
    if refit or variant.model is None:
        mdl = team_model.fit(variant.model_card, train, features=used, label=label,
                             sample_weight=sample_weight)
    else:
        mdl = variant.model
    if mdl is variant.model and own_test:
        # the served model on its own test rows (only production changed): the scores are in the data
        test = test.assign(score=test[s["score"]].to_numpy())
    else:
        test = test.assign(score=team_model.predict(mdl, test)) if len(test) else test.assign(score=[])
    prod = prod.assign(score=team_model.predict(mdl, prod)) if len(prod) else prod.assign(score=[])
    return Evaluation(features=used, offline_test=test, production=prod, label=label,
                      timestamp=s["timestamp"])


def time_split(rows: pd.DataFrame, timestamp: str, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An out-of-time holdout: the earliest ``share`` of ``rows`` (by ``timestamp``, ties kept in
    order) to train on, the rest to test on."""
    rows = rows.sort_values(timestamp, kind="stable")
    cut = int(round(len(rows) * share))
    return rows.iloc[:cut], rows.iloc[cut:]


def id_holdout(rows: pd.DataFrame, id_column: str) -> np.ndarray:
    """Held-out mask of a deterministic group split: the rows of 25% of the ids (the ids are
    scrambled, so ``id % 4 == 0`` is a random-looking quarter), every row of an id on one side."""
    return (rows[id_column].to_numpy() % 4) == 0


def group_kfold_gap(variant, *, folds: int = 2) -> float:
    """|out-of-fold offline AUC - production AUC| of the team's recipe under a group k-fold on the id.

    The toolkit's ``group_split`` estimate (``model.group_kfold``, the same folds): each fold of
    entities held out whole in turn while the recipe is refitted on the others; the offline AUC is
    that of every offline row scored by the model that never saw its entity, the production AUC the
    folds' models' mean on the labelled production rows. Every positive counts once, where a single
    25% holdout keeps a quarter of them: with rare positives (1.8%, about 90 in a quarter) that
    split's AUC moved by up to 0.05 from one seed to the next.
    """
    s = variant.schema
    off = variant.offline
    oof, models = team_model.group_kfold(variant.model_card, off, groups=off[s["id"]], folds=folds,
                                         features=list(variant.model_card["features"]), label=s["label"])
    prod = variant.production
    lab = prod[prod[s["label"]].notna()]
    online = [auc(lab[s["label"]], team_model.predict(m, lab)) for m in models]
    return abs(auc(off[s["label"]], oof) - float(np.mean(online)))


def held_out_ids_in_train(variant) -> float:
    """Share of the team's offline test rows whose id also has rows in training (same entity, or an
    exact copy, on both sides of the team's split)."""
    s = variant.schema
    off = variant.offline
    is_test = (off[s["split"]] == "test").to_numpy()
    ids = off[s["id"]].to_numpy()
    return float(np.isin(ids[is_test], ids[~is_test]).mean())
