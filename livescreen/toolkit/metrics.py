"""The measures every view shares: AUC with its confidence interval, confusion counts, costs, PSI.

Plain NumPy on arrays (SciPy for the tests' distributions); the views and explorers call these and precompute what they can. The
scenario engine measures with the same functions (one definition per statistic): this module
imports nothing from the kit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

Z95 = 1.959964


def clean(y, s):
    """Labels and scores with rows lacking either removed; labels as int."""
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    ok = ~(np.isnan(y) | np.isnan(s))
    return y[ok].astype(int), s[ok]


def auc(y, s) -> float:
    """ROC AUC, or NaN when a class is missing.

    Computed as the Mann-Whitney statistic on average ranks (ties count one half), which is the
    area under the ROC curve that ``sklearn.metrics.roc_auc_score`` gives, without its input
    checks: the explorers compute one per segment and per week on every update.
    """
    y, s = clean(y, s)
    if y.size == 0 or y.min() == y.max():
        return float("nan")
    ranks = stats.rankdata(s)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pr_auc(y, s) -> float:
    """Average precision (area under the precision-recall curve), NaN without positives.

    The steps ``sklearn.metrics.average_precision_score`` takes (one point per distinct score,
    highest first; the step integral of precision over recall), in NumPy: the brief quotes it on
    every Run All, and importing scikit-learn's metrics for it cost each new kernel about 0.3 s of
    CPU before anything was fitted.
    """
    y, s = clean(y, s)
    if y.size == 0 or y.max() == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order].astype(np.float64)
    cut = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]  # the last row of each distinct score
    tps = np.cumsum(y, dtype=np.float64)[cut]
    fps = 1 + cut.astype(np.float64) - tps
    precision = np.concatenate([np.flip(tps / (tps + fps)), [1.0]])
    recall = np.concatenate([np.flip(tps / tps[-1]), [0.0]])
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def auc_se(a: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC."""
    if not np.isfinite(a) or n_pos < 1 or n_neg < 1:
        return float("nan")
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def auc_ci(y, s, *, z: float = Z95) -> tuple[float, float, float, int]:
    """(AUC, lower, upper, rows) with a Hanley-McNeil 95% interval."""
    y, s = clean(y, s)
    a = auc(y, s)
    n_pos = int(y.sum())
    se = auc_se(a, n_pos, y.size - n_pos)
    if not np.isfinite(se):
        return a, float("nan"), float("nan"), int(y.size)
    return a, max(0.0, a - z * se), min(1.0, a + z * se), int(y.size)


def wilson(k, n, *, z: float = Z95) -> tuple[float, float]:
    """Wilson 95% interval of a proportion k/n (NaN when n is 0)."""
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z * z / n
        mid = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo, hi = mid - half, mid + half
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def confusion(y, s, threshold: float) -> dict:
    """Confusion counts at ``threshold`` (score >= threshold is a positive decision)."""
    y, s = clean(y, s)
    pred = s >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(y.size - tp - fp - fn)
    return {"tn": tn, "fp": fp, "fn": fn, "tp": tp}


def rates(counts: dict, *, cost_fp: float, cost_fn: float) -> dict:
    """Precision, recall, flag rate and business cost from confusion counts."""
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
    cost = fp * cost_fp + fn * cost_fn
    return {**counts, "rows": n, "precision": float(precision), "recall": float(recall),
            "flagged_share": (tp + fp) / n if n else float("nan"),
            "cost": float(cost), "cost_per_row": cost / n if n else float("nan")}


class ThresholdTable:
    """Confusion counts at any threshold in O(log n), from scores sorted once."""

    def __init__(self, y, s):
        y, s = clean(y, s)
        order = np.argsort(s, kind="stable")
        self.s = s[order]
        self.cum_pos = np.concatenate([[0], np.cumsum(y[order])])
        self.n = y.size
        self.n_pos = int(y.sum())

    def counts(self, threshold: float) -> dict:
        k = int(np.searchsorted(self.s, threshold, side="left"))  # rows below the threshold
        fn = int(self.cum_pos[k])
        tn = k - fn
        tp = self.n_pos - fn
        fp = self.n - k - tp
        return {"tn": tn, "fp": fp, "fn": fn, "tp": tp}

    def cost_curve(self, cost_fp: float, cost_fn: float, grid=None):
        """(thresholds, cost) over a grid of thresholds."""
        grid = np.linspace(0, 1, 201) if grid is None else np.asarray(grid)
        k = np.searchsorted(self.s, grid, side="left")
        fn = self.cum_pos[k]
        fp = (self.n - k) - (self.n_pos - fn)
        return grid, fp * cost_fp + fn * cost_fn


def best_threshold(y, s, *, cost_fp: float, cost_fn: float) -> float:
    """The threshold (on a 0.005 grid) with the lowest total cost on these rows."""
    grid, cost = ThresholdTable(y, s).cost_curve(cost_fp, cost_fn)
    return float(grid[int(np.argmin(cost))])


def ks_test(a, b) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value, ignoring missing values."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan")
    r = stats.ks_2samp(a, b)
    return float(r.statistic), float(r.pvalue)


def chi2_test(counts_a, counts_b) -> tuple[float, float]:
    """Chi-square test of homogeneity of two count vectors over the same levels."""
    table = np.vstack([np.asarray(counts_a, float), np.asarray(counts_b, float)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    return float(chi2), float(p)


def psi(expected, actual, *, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (deciles of ``expected``).

    Categorical values are compared level by level. Missing values form their own bin.
    """
    e = pd.Series(expected)
    a = pd.Series(actual)
    if isinstance(e.dtype, pd.CategoricalDtype) or e.dtype == object or pd.api.types.is_string_dtype(e):
        ep = e.astype("object").fillna("<NA>").value_counts(normalize=True)
        ap = a.astype("object").fillna("<NA>").value_counts(normalize=True)
        idx = ep.index.union(ap.index)
        ep, ap = ep.reindex(idx, fill_value=0).to_numpy(), ap.reindex(idx, fill_value=0).to_numpy()
    else:
        ev = e.to_numpy(float)
        av = a.to_numpy(float)
        edges = np.unique(np.nanquantile(ev, np.linspace(0, 1, bins + 1)[1:-1])) if np.isfinite(ev).any() else np.array([])

        def dist(v):
            nan = np.isnan(v)
            counts = np.bincount(np.searchsorted(edges, v[~nan], side="right"), minlength=edges.size + 1)
            return np.append(counts, nan.sum()) / max(v.size, 1)

        ep, ap = dist(ev), dist(av)
    ep = np.clip(ep, 1e-4, None)
    ap = np.clip(ap, 1e-4, None)
    return float(np.sum((ap - ep) * np.log(ap / ep)))
