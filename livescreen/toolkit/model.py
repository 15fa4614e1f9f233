"""The team's model: a scikit-learn recipe named in the case, rebuilt identically anywhere.

The recipe (kind + params) is public: it is part of what the team reports (the model card in a
candidate folder's ``schema.json``), so the toolkit rebuilds it to run experiments, and the scenario
engine builds the team's served model with the same code. This module is the ground floor: it
imports only scikit-learn, pandas and NumPy.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # scikit-learn is imported when a model is made: Run All on a fresh notebook fits none
    from sklearn.pipeline import Pipeline

GB_DEFAULTS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "early_stopping": False}
LR_DEFAULTS = {"C": 1.0, "max_iter": 1000}


def make_model(spec: dict, *, numeric: list[str], categorical: list[str]) -> Pipeline:
    """A fresh, unfitted estimator for the team's recipe over the given columns.

    Parameters
    ----------
    spec : dict
        ``{"kind": "gradient_boosting" | "logistic_regression", "params": {...}}``.
    numeric, categorical : list of str
        Feature columns by type; categorical columns must have pandas ``category`` dtype.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    kind = spec["kind"]
    params = dict(spec.get("params", {}))
    if kind == "gradient_boosting":
        est = HistGradientBoostingClassifier(**{**GB_DEFAULTS, **params, "random_state": 0},
                                             categorical_features="from_dtype")
        pre = ColumnTransformer([("keep", "passthrough", numeric + categorical)],
                                verbose_feature_names_out=False).set_output(transform="pandas")
        return Pipeline([("columns", pre), ("model", est)])
    if kind == "logistic_regression":
        parts = []
        if numeric:
            parts.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
        if categorical:
            parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), categorical))
        return Pipeline([("columns", ColumnTransformer(parts)),
                         ("model", LogisticRegression(**{**LR_DEFAULTS, **params}))])
    raise ValueError(f"unknown model kind {kind!r}; allowed: gradient_boosting, logistic_regression")


def split_columns(frame: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of ``frame``, in ``features`` order."""
    cat = [f for f in features if isinstance(frame[f].dtype, pd.CategoricalDtype)]
    return [f for f in features if f not in cat], cat


@contextmanager
def one_thread():
    """Native thread pools (OpenMP, BLAS) at one thread for the block: wrap model fits and predictions.

    The team's models are small (tens of thousands of rows), where scikit-learn's gradient boosting
    gains little from threads; on a busy 2-core machine its OpenMP threads wait on each other: the
    offline report's refit plus permutation importance took 30 s instead of 2 s. Results are
    identical (checked: scores and importances, bit for bit).

    Finding the loaded thread pools takes about 4 ms (it walks the process's shared libraries), a
    dozen times per validated variant; it is done again only when modules were imported since.
    """
    with _controller().limit(limits=1):
        yield


_CONTROLLER: list = [None, -1]  # (threadpoolctl controller, len(sys.modules) when it was made)


def _controller():
    import sys
    if _CONTROLLER[1] != len(sys.modules):
        from threadpoolctl import ThreadpoolController  # a scikit-learn dependency
        _CONTROLLER[:] = [ThreadpoolController(), len(sys.modules)]
    return _CONTROLLER[0]


def fit(spec: dict, frame: pd.DataFrame, *, features: list[str], label: str,
        sample_weight: np.ndarray | None = None) -> Pipeline:
    """Fit the team's recipe on ``frame`` (rows with a known label only)."""
    known = frame[label].notna().to_numpy()
    rows = frame.loc[known]
    numeric, categorical = split_columns(rows, features)
    model = make_model(spec, numeric=numeric, categorical=categorical)
    kw = {}
    if sample_weight is not None:
        kw["model__sample_weight"] = np.asarray(sample_weight)[known]
    with one_thread():
        model.fit(rows[features], rows[label].astype(int).to_numpy(), **kw)
    model.features_ = list(features)
    return model


def predict(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Scores (probability of the positive class) for every row of ``frame``."""
    with one_thread():
        return model.predict_proba(frame[model.features_])[:, 1]


def group_folds(groups, folds: int) -> np.ndarray:
    """The fold of each row in a group k-fold: the distinct groups (as strings) dealt into ``folds``
    folds in a shuffled order drawn from a fixed generator, so the same rows always get the same
    folds, and every row of a group lands in one fold."""
    key = pd.Series(np.asarray(groups)).astype(str)
    ids = pd.unique(key)
    order = np.random.default_rng(0).permutation(len(ids))
    return pd.Series(order % folds, index=ids)[key].to_numpy()


def group_kfold(spec: dict, rows: pd.DataFrame, *, groups, folds: int, features: list[str],
                label: str) -> tuple[np.ndarray, list]:
    """Out-of-fold scores of ``rows`` under a group k-fold of the team's recipe, and the folds' models.

    Each fold (``group_folds``) is held out whole in turn while the recipe is fitted on the others;
    every row is scored by the model that never saw its group. The toolkit's ``group_split`` and the
    scenario engine's group-leakage reference both estimate the grouped AUC this way.
    """
    fold = group_folds(groups, folds)
    oof = np.full(len(rows), np.nan)
    models = []
    for i in range(folds):
        model = fit(spec, rows[fold != i], features=features, label=label)
        oof[fold == i] = predict(model, rows[fold == i])
        models.append(model)
    return oof, models
