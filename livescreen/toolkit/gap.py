"""The online/offline gap: the production metric week by week (or day by day) against the offline level.

Each week (or day) shows the production ROC AUC with a Hanley-McNeil 95% band, the share of its rows whose
label is known, and is shaded while its labels are not yet mature (scored less than the label lag
before the export). A second panel puts the observed positive rate beside the mean score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics, style
from .case import Case

MATURE_SHARE = 0.9  # a week whose known-label share is below this is shaded as immature


UNITS = {"week": ("W-SUN", 7), "day": ("D", 1)}


def by_period(case: Case, *, unit: str = "week", start=None, end=None) -> pd.DataFrame:
    """Per production week or day: rows, known-label share, AUC with its band, positive rate, mean score.

    ``unit`` is ``"week"`` (weeks start on Monday) or ``"day"``; ``start``/``end`` (anything
    ``pd.Timestamp`` accepts) restrict the production window. The ``period`` column is each
    period's first day; ``mature`` is False while its labels are not final yet.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    freq, days = UNITS[unit]
    prod = window(case, start=start, end=end)
    period = prod[case.timestamp].dt.to_period(freq).dt.start_time
    lag_cut = case.export_time - pd.Timedelta(days=case.label_lag_days)
    rows = []
    for start_of, g in prod.groupby(period, sort=True):
        y = g[case.label].to_numpy(float)
        s = g[case.score].to_numpy(float)
        known = ~np.isnan(y)
        a, lo, hi, n = metrics.auc_ci(y, s)
        share = known.mean() if len(g) else float("nan")
        period_end = start_of + pd.Timedelta(days=days)
        rows.append({"period": start_of, "rows": len(g), "known": int(known.sum()), "known_share": share,
                     "auc": a, "auc_low": lo, "auc_high": hi,
                     "positive_rate": float(np.nanmean(y)) if known.any() else float("nan"),
                     "mean_score": float(s.mean()),
                     "mature": bool(share >= MATURE_SHARE and period_end <= lag_cut + pd.Timedelta(days=1))})
    return pd.DataFrame(rows, columns=["period", "rows", "known", "known_share", "auc", "auc_low", "auc_high",
                                       "positive_rate", "mean_score", "mature"])


def window(case: Case, *, start=None, end=None) -> pd.DataFrame:
    """Production rows with ``start <= timestamp < end`` (either bound optional)."""
    prod = case.production
    mask = np.ones(len(prod), bool)
    ts = prod[case.timestamp]
    if start is not None:
        mask &= (ts >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        mask &= (ts < pd.Timestamp(end)).to_numpy()
    return prod[mask]


def offline_level(case: Case) -> dict:
    """The offline ROC AUC on the team's test rows with its 95% interval."""
    a, lo, hi, n = metrics.auc_ci(case.test[case.label], case.test[case.score])
    return {"auc": a, "low": lo, "high": hi, "rows": n,
            "positive_rate": float(case.test[case.label].mean()),
            "mean_score": float(case.test[case.score].mean())}


# Fixed margins (room on the right for the legends): a computed layout would double the drawing time.
MARGINS = dict(left=0.06, right=0.71, bottom=0.14, top=0.95, hspace=0.28)


def gap_figure(case: Case, *, start=None, end=None, table: pd.DataFrame | None = None,
               margins: dict | None = MARGINS):
    """Weekly production AUC (with band) vs the offline level; label maturity shaded and plotted."""
    table = by_period(case, start=start, end=end) if table is None else table
    off = offline_level(case)
    with style.context():
        fig, (ax, ax2) = style.new_figure(nrows=2, width=13, height=7.2, sharex=True,
                                          gridspec_kw={"height_ratios": [3, 2]}, margins=margins)
        if len(table):
            x = table["period"] + pd.Timedelta(days=3.5)
            for a in (ax, ax2):
                for wk, mature in zip(table["period"], table["mature"]):
                    if not mature:
                        a.axvspan(wk, wk + pd.Timedelta(days=7), color=style.SHADE, zorder=0, lw=0)
            ax.axhspan(off["low"], off["high"], color=style.OFFLINE, alpha=0.15, lw=0)
            ax.axhline(off["auc"], color=style.OFFLINE, ls="--",
                       label=f"offline test AUC {off['auc']:.3f}")
            ax.fill_between(x, table["auc_low"], table["auc_high"], color=style.PRODUCTION, alpha=0.25,
                            lw=0, label="95% band (Hanley-McNeil)")
            ax.plot(x, table["auc"], marker="o", color=style.PRODUCTION, label="production AUC (known labels)")
            ax.set_ylim(max(0.0, min(0.45, np.nanmin(table["auc_low"].to_numpy(float), initial=1) - 0.05)), 1.0)
            ax2.bar(x, table["known_share"], width=5, color=style.NEUTRAL, alpha=0.5,
                    label="share of rows with a known label (left)")
            rate = ax2.twinx()
            rate.grid(False)
            rate.spines["right"].set_visible(True)
            rate.plot(x, table["positive_rate"], marker="o", color=style.BAD, label="observed positive rate (right)")
            rate.plot(x, table["mean_score"], marker="s", color=style.SCORE, label="mean score (right)")
            rate.axhline(off["positive_rate"], color=style.OFFLINE, ls=":", label="offline positive rate (right)")
            top = np.nanmax(np.r_[table["positive_rate"].to_numpy(float), table["mean_score"].to_numpy(float),
                                  off["positive_rate"]])
            rate.set_ylim(0, 1.3 * top if np.isfinite(top) and top > 0 else 1)
            rate.set_ylabel("rate")
            handles = ax2.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
            ax2.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize=10)
        ax.set(title="Production ROC AUC by week vs the offline level (grey: labels not yet mature)",
               ylabel="ROC AUC")
        ax.legend(loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize=10)
        ax2.set(title="Label maturity, positive rate and mean score by week", ylabel="share of rows labelled",
                xlabel="week of scoring (production)", ylim=(0, 1.05))
        fig.autofmt_xdate(bottom=(margins or {}).get("bottom", 0.2))
    return fig
