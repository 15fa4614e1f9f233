"""Explorers: one call each from a notebook, an ipywidgets control over a plain compute function.

| explorer | compute (testable without widgets) | figure |
|---|---|---|
| ``threshold_explorer`` | ``threshold_metrics`` | ``threshold_figure`` |
| ``slice_explorer`` | ``slice_metrics`` | ``slice_figure`` |
| ``drift_explorer`` | ``drift_metrics`` | ``drift_figure`` |
| ``time_window_explorer`` | ``window_metrics`` | ``window_figure`` |

What does not change between updates (sorted scores, bins, per-column tables) is computed once per
case and kept in ``case._cache``, so an update is a lookup plus a redraw. An explorer keeps one
figure for its life (a ``View``) and updates its artists in place: the threshold line and the time
window are drawn over a cached background (blitting), the slice and drift panels swap their data
artists on fixed axes, and each control value's PNG is kept, so going back to a value costs nothing.
"""
from __future__ import annotations

import html
import struct
import zlib
from collections import OrderedDict

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from . import gap, metrics, report, style
from .case import Case

MIN_SEGMENT_ROWS = 30
# the two row groups every slice view compares, with their colours and legend labels
WHERE = (("offline test", style.OFFLINE), ("production", style.PRODUCTION))
WHERE_LABEL = {"offline test": "offline test rows", "production": "production (known labels)"}


# ------------------------------------------------------------------------------ threshold
def _threshold_tables(case: Case) -> dict:
    key = "threshold_tables"
    if key not in case._cache:
        case._cache[key] = {
            "offline test": metrics.ThresholdTable(case.test[case.label], case.test[case.score]),
            "production": metrics.ThresholdTable(case.labelled[case.label], case.labelled[case.score]),
        }
    return case._cache[key]


def threshold_metrics(case: Case, threshold: float) -> dict:
    """Confusion counts, precision, recall and cost at ``threshold``, offline test and production.

    Returns ``{"offline test": {...}, "production": {...}}``; each holds tn, fp, fn, tp, rows,
    precision, recall, flagged_share, cost and cost_per_row (production: rows with a known label).
    """
    out = {}
    for name, table in _threshold_tables(case).items():
        out[name] = metrics.rates(table.counts(float(threshold)), cost_fp=case.cost_fp, cost_fn=case.cost_fn)
    return out


def threshold_figure(case: Case, threshold: float, result: dict | None = None):
    """Confusion matrices (offline test, production) at ``threshold`` and the cost curves."""
    result = threshold_metrics(case, threshold) if result is None else result
    with style.context():
        fig, axes = style.new_figure(ncols=3, width=15, height=4.8, margins=dict(
            left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.38))
        for ax, name in zip(axes[:2], ("offline test", "production")):
            counts = {k: result[name][k] for k in ("tn", "fp", "fn", "tp")}
            report.confusion_figure(counts, threshold=threshold, cost_fp=case.cost_fp, cost_fn=case.cost_fn,
                                    currency=case.currency, title=name.capitalize(), ax=ax)
        _cost_curves(axes[2], case, threshold)
    return fig


def _cost_curves(ax, case: Case, threshold: float, *, label: str | None = None, animated: bool = False):
    """Expected cost per scored row against the threshold (offline test, production) on ``ax``;
    returns the threshold's marker line (``animated``: left out of a full draw, blitted on top)."""
    tables = _threshold_tables(case)
    for name, colour in (("offline test", style.OFFLINE), ("production", style.PRODUCTION)):
        t = tables[name]
        grid, cost = t.cost_curve(case.cost_fp, case.cost_fn)
        ax.plot(grid, cost / max(t.n, 1), color=colour, label=name)
    line = ax.axvline(threshold, color=style.BAD, ls="--", label=label or f"threshold {threshold:.2f}",
                      animated=animated)
    ax.axvline(case.threshold, color=style.NEUTRAL, ls=":", label=f"team's {case.threshold:.2f}")
    ax.set(title="Expected cost per scored row", xlabel="threshold (score)",
           ylabel=f"cost per row ({case.currency})" if case.currency else "cost per row")
    ax.legend(fontsize=10)
    return line


class View:
    """One figure an explorer keeps and updates in place; ``png()`` renders its current state.

    A subclass builds the figure once and moves or swaps artists in ``show(...)``. The artists in
    ``blit`` (made ``animated``) are left out of the full draw: the rest is drawn into a background
    kept under ``static`` (a state of the unchanging part, e.g. the y range: the y axis, its grid and
    labels are drawn once per range), and each ``png()`` restores it and draws only them, in order
    (blitting). Each shown state's PNG is kept under its ``key`` (``cache`` of them, least recently
    used dropped), so a value seen before costs a lookup.
    """

    cache = 64

    def __init__(self, figure, *, blit=()):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.blit = list(blit)
        for artist in self.blit:
            artist.set_animated(True)
        self._backgrounds: dict = {}
        self._pngs: OrderedDict = OrderedDict()
        self.key = None
        self.static = None

    def png(self) -> bytes:
        if self.key is not None and self.key in self._pngs:
            self._pngs.move_to_end(self.key)
            return self._pngs[self.key]
        if not self.blit:
            self.canvas.draw()
        else:
            if self.static not in self._backgrounds:
                self.canvas.draw()  # everything but the animated artists
                self._backgrounds[self.static] = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self._backgrounds[self.static])
            for artist in self.blit:
                if artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
                    self.figure.draw_artist(artist)
        data = encode(self.canvas)
        if self.key is not None:
            self._pngs[self.key] = data
            while len(self._pngs) > self.cache:
                self._pngs.popitem(last=False)
        return data


class ThresholdView(View):
    """The cost curves drawn once; the threshold's marker is blitted over them at each move."""

    def __init__(self, case: Case, threshold: float, *, blit: bool = True):
        with style.context():
            fig, ax = style.new_figure(width=7.5, height=3.8,
                                       margins=dict(left=0.12, right=0.97, bottom=0.16, top=0.88))
            self.line = _cost_curves(ax, case, threshold, animated=blit,
                                     label="threshold (slider)" if blit else None)
        super().__init__(fig, blit=[self.line] if blit else ())
        self.show(threshold)

    def show(self, threshold: float) -> "ThresholdView":
        self.line.set_xdata([threshold, threshold])
        self.key = round(float(threshold), 6)
        return self


def cost_curve_figure(case: Case, threshold: float):
    """Expected cost per scored row against the threshold, offline test and production, with a marker."""
    return ThresholdView(case, threshold, blit=False).figure


def confusion_html(result: dict, *, threshold: float, currency: str = "") -> str:
    """The confusion matrices of ``threshold_metrics`` side by side as HTML tables, with precision,
    recall and cost (cheap to redraw on every slider move)."""
    cells = []
    for name, r in result.items():
        n = max(r["rows"], 1)

        def cell(k, label, bad):
            colour = "#F5D5C0" if bad else "#D3E6F2"
            return (f"<td style='background:{colour};padding:8px 14px;text-align:center'>{label}<br>"
                    f"<b style='font-size:17px'>{r[k]:,}</b><br>({r[k] / n:.1%})</td>")
        cells.append(
            f"<div style='margin-right:28px'><div style='font-weight:bold;font-size:15px'>{name.capitalize()}"
            f" (score ≥ {threshold:.2f} means act)</div>"
            "<table style='border-collapse:collapse;font-size:14px;margin:6px 0'>"
            "<tr><td></td><th style='padding:4px 10px'>act: no</th><th style='padding:4px 10px'>act: yes</th></tr>"
            f"<tr><th style='padding:4px 10px'>outcome 0</th>{cell('tn', 'true negative', False)}{cell('fp', 'false positive', True)}</tr>"
            f"<tr><th style='padding:4px 10px'>outcome 1</th>{cell('fn', 'false negative', True)}{cell('tp', 'true positive', False)}</tr>"
            "</table>"
            f"<div style='font-size:14px'>precision <b>{style.pct(r['precision'])}</b>, recall <b>{style.pct(r['recall'])}</b>, "
            f"flagged {style.pct(r['flagged_share'])}<br>cost <b>{style.money(r['cost'], currency)}</b> "
            f"({style.money_per_row(r['cost_per_row'], currency)} per row; {r['rows']:,} rows"
            f"{' with a known label' if name == 'production' else ''})</div></div>")
    return "<div style='display:flex;flex-wrap:wrap'>" + "".join(cells) + "</div>"


# ------------------------------------------------------------------------------ slices
def segments(case: Case, column: str, *, bins: int = 4) -> tuple[pd.Series, pd.Series]:
    """Segment labels of the offline test rows and of the labelled production rows for ``column``.

    Categorical columns keep their levels; numeric columns are cut at quantiles of the offline
    rows (``bins`` of them), with missing values as their own segment.
    """
    _check_column(case, column)
    key = ("segments", column, bins)
    if key in case._cache:
        return case._cache[key]
    test, lab = case.test[column], case.labelled[column]
    if column in case.categorical:
        def seg(v):
            return v.astype(object).where(v.notna(), "missing").astype(str)
    else:
        edges = np.unique(np.nanquantile(case.offline[column].to_numpy(float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        if edges.size < 3:
            edges = np.array([-np.inf, np.nanmedian(case.offline[column].to_numpy(float)), np.inf])
        names = [_interval(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]

        def seg(v):
            arr = v.to_numpy(float)
            idx = np.clip(np.searchsorted(edges, arr, side="right") - 1, 0, len(names) - 1)
            out = np.array(names, dtype=object)[idx]
            out[np.isnan(arr)] = "missing"
            return pd.Series(out, index=v.index)
    case._cache[key] = (seg(test), seg(lab))
    return case._cache[key]


def _interval(lo: float, hi: float) -> str:
    f = lambda v: f"{v:,.4g}"  # noqa: E731
    if not np.isfinite(lo):
        return f"< {f(hi)}"
    if not np.isfinite(hi):
        return f"≥ {f(lo)}"
    return f"{f(lo)} to {f(hi)}"


def slice_metrics(case: Case, column: str, *, bins: int = 4) -> pd.DataFrame:
    """Per segment of ``column``: rows, ROC AUC with 95% interval, positive rate; offline and production.

    One row per (segment, where) with ``where`` in {"offline test", "production"}; production uses
    the rows whose label is known. Segments with fewer than 30 rows have no AUC.
    """
    key = ("slice_metrics", column, bins)
    if key in case._cache:
        return case._cache[key]
    seg_off, seg_prod = segments(case, column, bins=bins)
    rows = []
    order = _segment_order(seg_off, seg_prod)
    for where, frame, seg in (("offline test", case.test, seg_off), ("production", case.labelled, seg_prod)):
        y_all = frame[case.label].to_numpy(float)
        s_all = frame[case.score].to_numpy(float)
        total = len(frame)
        codes = pd.Categorical(seg, categories=order).codes  # one pass over the rows, then integer masks
        for i, name in enumerate(order):
            m = codes == i
            y, s = y_all[m], s_all[m]
            if m.sum() >= MIN_SEGMENT_ROWS:
                a, lo, hi, n = metrics.auc_ci(y, s)
            else:
                a = lo = hi = float("nan")
            k = int(np.nansum(y))
            plo, phi = metrics.wilson(k, m.sum()) if m.sum() else (float("nan"), float("nan"))
            rows.append({"segment": name, "where": where, "rows": int(m.sum()),
                         "share": m.sum() / total if total else float("nan"),
                         "auc": a, "auc_low": lo, "auc_high": hi,
                         "positive_rate": k / m.sum() if m.sum() else float("nan"),
                         "positive_rate_low": plo, "positive_rate_high": phi,
                         "mean_score": float(np.nanmean(s)) if m.sum() else float("nan")})
    out = pd.DataFrame(rows)
    case._cache[key] = out
    return out


def _segment_order(a: pd.Series, b: pd.Series) -> list[str]:
    seen = list(dict.fromkeys(list(pd.unique(a)) + list(pd.unique(b))))
    numeric_like = [s for s in seen if s != "missing"]
    if all(s.startswith(("<", "≥")) or " to " in s for s in numeric_like):
        def start(s):
            if s.startswith("<"):
                return -np.inf
            return float(s.lstrip("≥ ").split(" to ")[0].replace(",", ""))
        numeric_like.sort(key=start)
    else:
        numeric_like.sort()
    return numeric_like + (["missing"] if "missing" in seen else [])


def slice_figure(case: Case, column: str, table: pd.DataFrame | None = None):
    """Per-segment ROC AUC with 95% intervals, offline test vs production, and the rows per segment."""
    table = slice_metrics(case, column) if table is None else table
    names = list(dict.fromkeys(table["segment"]))
    x = np.arange(len(names))
    with style.context():
        fig, (ax, ax2) = style.new_figure(ncols=2, width=13, height=5.2, gridspec_kw={"width_ratios": [3, 2]},
                                          margins=dict(left=0.07, right=0.98, bottom=0.24, top=0.9, wspace=0.22))
        for k, (where, colour) in enumerate(WHERE):
            t = table[table["where"] == where].set_index("segment").reindex(names)
            xs = x + (k - 0.5) * 0.3
            err = np.vstack([t["auc"] - t["auc_low"], t["auc_high"] - t["auc"]])
            ax.errorbar(xs, t["auc"], yerr=err, fmt="o", color=colour, capsize=4, label=WHERE_LABEL[where])
            ax2.bar(xs, t["rows"], width=0.3, color=colour, label=WHERE_LABEL[where])
        ax.set_xticks(x, names, rotation=20, ha="right")
        ax.set(title=f"ROC AUC by {column} (95% intervals)", xlabel=_label(case, column), ylabel="ROC AUC")
        ax.legend()
        ax2.set_xticks(x, names, rotation=20, ha="right")
        ax2.set(title="Rows per segment", xlabel=_label(case, column), ylabel="rows")
        ax2.legend(fontsize=10)
    return fig


class SliceView(View):
    """Per-segment ROC AUC with 95% intervals on fixed axes: a new column moves the points, the
    interval lines and their caps (made once, data set in place) and relabels the ticks."""

    def __init__(self, case: Case, column: str, *, bins: int = 4, table: pd.DataFrame | None = None,
                 explorer: bool = False):
        from matplotlib.collections import LineCollection
        self.case, self.bins, self.explorer = case, bins, explorer
        with style.context():
            fig, self.ax = style.new_figure(width=9, height=4.4,
                                            margins=dict(left=0.1, right=0.98, bottom=0.25, top=0.9))
            self.ax.set_ylabel("ROC AUC")
            self.marks = []
            for _, colour in WHERE:
                bars = self.ax.add_collection(LineCollection([], colors=colour, linewidths=2.2), autolim=False)
                caps = self.ax.plot([], [], ls="none", marker="_", ms=9, mew=2.2, color=colour)[0]
                points = self.ax.plot([], [], ls="none", marker="o", ms=7, color=colour)[0]
                self.marks.append((bars, caps, points))
            if not explorer:  # an explorer says the title and the key in HTML above the figure
                self.ax.legend(handles=_proxies(WHERE), loc="lower left")
        # an explorer redraws the x axis and the marks over the rest (drawn once per y range)
        super().__init__(fig, blit=[self.ax.xaxis, *(a for m in self.marks for a in m)] if explorer else ())
        self.show(column, table)

    def show(self, column: str, table: pd.DataFrame | None = None) -> "SliceView":
        table = slice_metrics(self.case, column, bins=self.bins) if table is None else table
        names = list(dict.fromkeys(table["segment"]))
        x = np.arange(len(names))
        ax = self.ax
        for k, ((where, _), (bars, caps, points)) in enumerate(zip(WHERE, self.marks)):
            t = table[table["where"] == where].set_index("segment").reindex(names)
            xs = x + (k - 0.5) * 0.3
            auc, lo, hi = (t[c].to_numpy(float) for c in ("auc", "auc_low", "auc_high"))
            bars.set_segments([[(xi, a), (xi, b)] for xi, a, b in zip(xs, lo, hi)])
            caps.set_data(np.r_[xs, xs], np.r_[lo, hi])
            points.set_data(xs, auc)
        with style.context():
            ax.set_xticks(x, names, rotation=20, ha="right")
            low = np.nanmin(table["auc_low"].to_numpy(float), initial=1.0)
            ax.set_xlim(-0.6, len(names) - 0.4)
            ax.set_ylim(max(0.0, min(0.45, low - 0.05)), 1.0)
            ax.set_xlabel(_label(self.case, column))
            if not self.explorer:
                ax.set_title(f"ROC AUC by {column} (95% intervals)")
        self.key = (column, self.bins)
        self.static = ax.get_ylim()
        return self


def slice_auc_figure(case: Case, column: str, table: pd.DataFrame | None = None):
    """Per-segment ROC AUC with 95% intervals, offline test vs production (one panel)."""
    return SliceView(case, column, table=table).figure


def slice_html(table: pd.DataFrame) -> str:
    """The slice table as HTML: per segment, rows, AUC [interval] and positive rate, offline and production."""
    by = {(r["segment"], r["where"]): r for r in table.to_dict("records")}
    names = list(dict.fromkeys(table["segment"]))
    head = ("<tr><th rowspan=2 style='padding:3px 10px'>segment</th><th colspan=3>offline test</th>"
            "<th colspan=3>production (known labels)</th></tr><tr>" + "<th style='padding:3px 10px'>rows</th>"
            "<th style='padding:3px 10px'>ROC AUC [95%]</th><th style='padding:3px 10px'>positive rate</th>" * 2 + "</tr>")
    body = []
    for name in names:
        tds = [f"<td style='padding:3px 10px'>{name}</td>"]
        for where in ("offline test", "production"):
            r = by.get((name, where))
            if r is None or r["rows"] != r["rows"]:
                tds += ["<td></td>"] * 3
                continue
            auc = "n/a" if r["auc"] != r["auc"] else f"{r['auc']:.3f} [{r['auc_low']:.3f}, {r['auc_high']:.3f}]"
            tds += [f"<td style='text-align:right;padding:3px 10px'>{int(r['rows']):,}</td>",
                    f"<td style='padding:3px 10px'>{auc}</td>",
                    f"<td style='text-align:right;padding:3px 10px'>{style.pct(r['positive_rate'])}</td>"]
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table style='font-size:14px;border-collapse:collapse'>{head}{''.join(body)}</table>"


# ------------------------------------------------------------------------------ drift
def drift_metrics(case: Case, feature: str) -> dict:
    """Offline vs production distribution of ``feature``: PSI, a drift test and the histograms.

    Numeric: two-sample Kolmogorov-Smirnov; categorical: chi-square over the levels. Also the null
    share on each side and the levels seen only in production.
    """
    _check_column(case, feature)
    key = ("drift", feature)
    if key in case._cache:
        return case._cache[key]
    off, prod = case.offline[feature], case.production[feature]
    out = {"feature": feature, "psi": metrics.psi(off, prod),
           "null_offline": float(off.isna().mean()), "null_production": float(prod.isna().mean())}
    if feature in case.categorical:
        levels = list(off.cat.categories)
        a = off.value_counts().reindex(levels, fill_value=0).to_numpy()
        b = prod.value_counts().reindex(levels, fill_value=0).to_numpy()
        stat, p = metrics.chi2_test(a, b)
        out.update(test="chi-square", statistic=stat, p_value=p, levels=levels,
                   offline_share=a / max(a.sum(), 1), production_share=b / max(b.sum(), 1),
                   new_levels=[lv for lv, n_off, n_prod in zip(levels, a, b) if n_off == 0 and n_prod > 0])
    else:
        va, vb = off.to_numpy(float), prod.to_numpy(float)
        stat, p = metrics.ks_test(va, vb)
        both = np.concatenate([va[~np.isnan(va)], vb[~np.isnan(vb)]])
        lo, hi = (np.quantile(both, [0.005, 0.995]) if both.size else (0.0, 1.0))
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, 41)
        ha, _ = np.histogram(np.clip(va[~np.isnan(va)], lo, hi), edges)
        hb, _ = np.histogram(np.clip(vb[~np.isnan(vb)], lo, hi), edges)
        out.update(test="Kolmogorov-Smirnov", statistic=stat, p_value=p, edges=edges,
                   offline_share=ha / max(ha.sum(), 1), production_share=hb / max(hb.sum(), 1),
                   offline_mean=float(np.nanmean(va)) if va.size else float("nan"),
                   production_mean=float(np.nanmean(vb)) if vb.size else float("nan"), new_levels=[])
    out["verdict"] = ("significant shift" if out["psi"] > 0.25 else
                      "moderate shift" if out["psi"] > 0.1 else "no material shift")
    case._cache[key] = out
    return out


class DriftView(View):
    """Offline vs production distribution of a feature on fixed axes: one pair for numeric features
    (histograms), one for categorical ones (bars); a new feature swaps the data on the right pair."""

    def __init__(self, case: Case, feature: str, *, result: dict | None = None, explorer: bool = False):
        self.case, self.explorer = case, explorer
        margins = dict(left=0.09, right=0.98, bottom=0.17, top=0.9)
        with style.context():
            fig, self.num = style.new_figure(width=10, height=4.8, margins=margins)
            self.cat = fig.add_axes(self.num.get_position(), label="categorical")
            for ax in (self.num, self.cat):
                ax.set_ylabel("share of rows")
            # made once; each feature sets their data: histograms (numeric), bar polygons (categorical)
            from matplotlib.collections import PolyCollection
            edges = np.array([0.0, 1.0])
            self.hist = (self.num.stairs([0.0], edges, color=style.OFFLINE, fill=True, alpha=0.35),
                         self.num.stairs([0.0], edges, color=style.PRODUCTION, lw=2.2))
            self.bars = tuple(self.cat.add_collection(PolyCollection([], facecolors=c, edgecolors="none"),
                                                      autolim=False) for c in (style.OFFLINE, style.PRODUCTION))
        # an explorer redraws the x axis and the data over the rest (drawn once per y range)
        super().__init__(fig, blit=[self.num.xaxis, *self.hist, self.cat.xaxis, *self.bars] if explorer else ())
        self.show(feature, result)

    def show(self, feature: str, result: dict | None = None) -> "DriftView":
        r = drift_metrics(self.case, feature) if result is None else result
        categorical = r["test"] == "chi-square"
        ax = self.cat if categorical else self.num
        self.cat.set_visible(categorical)
        self.num.set_visible(not categorical)
        shares = (np.asarray(r["offline_share"], float), np.asarray(r["production_share"], float))
        top = max(np.max(shares[0], initial=0), np.max(shares[1], initial=0))
        with style.context():
            if categorical:
                x = np.arange(len(r["levels"]))
                for k, (bars, h) in enumerate(zip(self.bars, shares)):
                    left = x - 0.4 + 0.4 * k
                    bars.set_verts([[(a, 0), (a, v), (a + 0.4, v), (a + 0.4, 0)] for a, v in zip(left, h)])
                ax.set_xticks(x, r["levels"], rotation=20, ha="right")
                ax.set_xlim(-0.6, len(x) - 0.4)
            else:
                e = np.asarray(r["edges"], float)
                for stairs, h in zip(self.hist, shares):
                    stairs.set_data(h, e)
                ax.set_xlim(e[0], e[-1])
            ax.set_ylim(0, _nice_top(1.08 * top) if top > 0 else 1)
            ax.set_xlabel(_label(self.case, feature))
            if not self.explorer:  # an explorer says the figures and the key in HTML above (``drift_html``)
                ax.set_title(f"{feature}: PSI {r['psi']:.3f} ({r['verdict']}); {r['test']} "
                             f"{r['statistic']:.3g}, {_p_text(r['p_value'])}")
                ax.legend(handles=_proxies((("offline", style.OFFLINE), ("production", style.PRODUCTION))),
                          fontsize=10, title=f"missing: offline {style.pct(r['null_offline'])}, "
                                             f"production {style.pct(r['null_production'])}")
        self.key = feature
        self.static = (categorical, ax.get_ylim())
        return self


def drift_figure(case: Case, feature: str, result: dict | None = None):
    """Offline vs production distribution of ``feature`` with PSI and the test in the title."""
    return DriftView(case, feature, result=result).figure


def drift_overview(case: Case) -> pd.DataFrame:
    """PSI and the drift test for every feature, largest PSI first."""
    rows = []
    for f in case.columns:
        r = drift_metrics(case, f)
        rows.append({"feature": f, "psi": r["psi"], "test": r["test"], "statistic": r["statistic"],
                     "p_value": r["p_value"], "null_offline": r["null_offline"],
                     "null_production": r["null_production"]})
    return pd.DataFrame(rows).sort_values("psi", ascending=False).reset_index(drop=True)


# ------------------------------------------------------------------------------ time window
def days(case: Case) -> list[pd.Timestamp]:
    """Every day production spans, plus the day after the last (a window's end is excluded)."""
    key = "days"
    if key not in case._cache:
        ts = case.production[case.timestamp]
        case._cache[key] = list(pd.date_range(ts.min().normalize(), ts.max().normalize() + pd.Timedelta(days=1),
                                              freq="D"))
    return case._cache[key]


def weeks(case: Case) -> list[pd.Timestamp]:
    """Week starts (Mondays) spanning production, plus the end of the last week."""
    key = "weeks"
    if key not in case._cache:
        ts = case.production[case.timestamp]
        first = ts.min().to_period("W-SUN").start_time
        last = ts.max().to_period("W-SUN").start_time + pd.Timedelta(days=7)
        case._cache[key] = list(pd.date_range(first, last, freq="7D"))
    return case._cache[key]


def _periods_all(case: Case, unit: str) -> pd.DataFrame:
    key = ("periods", unit)
    if key not in case._cache:
        case._cache[key] = gap.by_period(case, unit=unit)
    return case._cache[key]


def window_metrics(case: Case, start, end, *, unit: str = "week") -> dict:
    """Production metrics for rows scored in ``[start, end)``: rows, known-label share, ROC AUC with
    its interval, precision, recall and cost at the team's threshold, positive rate, mean score;
    ``table``: the weeks (``unit="week"``) or days (``unit="day"``) starting in the window."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        raise ValueError(f"the window's end {end.date()} must be after its start {start.date()}")
    key = "window_arrays"
    if key not in case._cache:
        p = case.production
        case._cache[key] = (p[case.timestamp].to_numpy(), p[case.label].to_numpy(float), p[case.score].to_numpy(float))
    ts, y, s = case._cache[key]
    m = (ts >= start.to_datetime64()) & (ts < end.to_datetime64())
    yw, sw = y[m], s[m]
    known = ~np.isnan(yw)
    a, lo, hi, n = metrics.auc_ci(yw, sw)
    r = metrics.rates(metrics.confusion(yw, sw, case.threshold), cost_fp=case.cost_fp, cost_fn=case.cost_fn)
    table = _periods_all(case, unit)
    sel = table[(table["period"] >= start) & (table["period"] < end)]
    return {"start": start, "end": end, "unit": unit, "rows": int(m.sum()), "known": int(known.sum()),
            "known_share": float(known.mean()) if m.any() else float("nan"),
            "auc": a, "auc_low": lo, "auc_high": hi, "precision": r["precision"], "recall": r["recall"],
            "cost": r["cost"], "positive_rate": float(np.nanmean(yw)) if known.any() else float("nan"),
            "mean_score": float(sw.mean()) if m.any() else float("nan"), "table": sel}


class WindowView(View):
    """Production ROC AUC by week or day over all of production, drawn once per unit; the window is
    shown by dimming what lies outside it (two panels blitted over the cached background)."""

    def __init__(self, case: Case, start, end, *, unit: str = "week", blit: bool = True):
        from matplotlib.dates import date2num
        from matplotlib.patches import Rectangle
        self.date2num = date2num
        table = _periods_all(case, unit)
        width = gap.UNITS[unit][1]
        if "offline_level" not in case._cache:
            case._cache["offline_level"] = gap.offline_level(case)
        off = case._cache["offline_level"]
        d = days(case)
        ends = [p + pd.Timedelta(days=width) for p in table["period"]]
        self.lo, self.hi = date2num(min(d[0], *table["period"][:1])), date2num(max(d[-1], *ends[-1:]))
        with style.context():
            fig, ax = style.new_figure(width=10, height=4.6, margins=dict(left=0.1, right=0.97, bottom=0.2, top=0.8))
            if len(table):
                x = table["period"] + pd.Timedelta(days=width / 2)
                for begin, mature in zip(table["period"], table["mature"]):
                    if not mature:
                        ax.axvspan(begin, begin + pd.Timedelta(days=width), color=style.SHADE, zorder=0, lw=0)
                ax.axhspan(off["low"], off["high"], color=style.OFFLINE, alpha=0.15, lw=0)
                ax.axhline(off["auc"], color=style.OFFLINE, ls="--", label=f"offline test AUC {off['auc']:.3f}")
                ax.fill_between(x, table["auc_low"], table["auc_high"], color=style.PRODUCTION, alpha=0.25, lw=0,
                                label="95% band")
                ax.plot(x, table["auc"], marker="o", color=style.PRODUCTION, label="production AUC (known labels)")
                low = np.nanmin(table["auc_low"].to_numpy(float), initial=1.0)
                ax.set_ylim(max(0.0, min(0.45, low - 0.05)), 1.0)
            ax.set_xlim(self.lo, self.hi)
            self.outside = [Rectangle((self.lo, 0), 0, 1, transform=ax.get_xaxis_transform(), facecolor="white",
                                      alpha=0.75, lw=0, zorder=5, animated=blit) for _ in range(2)]
            for patch in self.outside:
                ax.add_patch(patch)
            ax.set(ylabel="ROC AUC", xlabel=f"{unit} of scoring (production)")
            ax.set_title(f"Production ROC AUC by {unit} (grey: labels immature; faded: outside the window)",
                         pad=30)
            # above the plot, out of the faded part (the window's panels are clipped to the axes)
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, fontsize=10, frameon=False)
            for label in ax.get_xticklabels():
                label.set_rotation(20)
                label.set_ha("right")
        super().__init__(fig, blit=self.outside if blit else ())
        self.show(start, end)

    def show(self, start, end) -> "WindowView":
        a, b = self.date2num(pd.Timestamp(start)), self.date2num(pd.Timestamp(end))
        left, right = self.outside
        left.set_x(self.lo)
        left.set_width(max(a - self.lo, 0))
        right.set_x(b)
        right.set_width(max(self.hi - b, 0))
        self.key = (pd.Timestamp(start), pd.Timestamp(end))
        return self


def window_figure(case: Case, start, end, result: dict | None = None, *, unit: str = "week"):
    """Production ROC AUC by week or day (with band) against the offline level; outside ``[start, end)`` faded."""
    unit = result.get("unit", unit) if result is not None else unit
    return WindowView(case, start, end, unit=unit, blit=False).figure


def window_html(r: dict, *, currency: str = "") -> str:
    """The window's totals as one line of HTML."""
    return (f"<div style='font-size:15px'><b>{r['start'].date()} to {(r['end'] - pd.Timedelta(days=1)).date()}</b>: "
            f"{r['rows']:,} rows, {style.pct(r['known_share'])} with a known label; ROC AUC <b>{r['auc']:.3f}</b> "
            f"[{r['auc_low']:.3f}, {r['auc_high']:.3f}]; at the team's threshold precision {style.pct(r['precision'])}, "
            f"recall {style.pct(r['recall'])}, cost {style.money(r['cost'], currency)}; positive rate "
            f"{style.pct(r['positive_rate'])}, mean score {r['mean_score']:.3f}</div>")


def render(fig) -> bytes:
    """The PNG a notebook shows for ``fig``, a Figure (drawn whole) or a ``View`` (its current state)."""
    if isinstance(fig, View):
        return fig.png()
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return encode(canvas)


def encode(canvas) -> bytes:
    """The drawn canvas as an RGB PNG, written here: unfiltered rows, zlib at level 1.

    On a live screen the encoding should cost little beside the drawing: this takes about half of
    Pillow's time at its fastest level for a chart (flat colours compress well without the row
    filters), and the file is about 10% larger than Pillow's.
    """
    w, h = canvas.get_width_height()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3].reshape(h, w * 3)
    rows = np.zeros((h, w * 3 + 1), np.uint8)  # each row starts with its filter type, 0 (none)
    rows[:, 1:] = rgb
    pack = zlib.compressobj(1)
    data = pack.compress(rows.tobytes()) + pack.flush()

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def _panel(controls, draw):
    """A VBox of ``controls`` over an output area redrawn by ``draw(**values) -> (view, html)``.

    The view's figure is rendered here once to PNG and shown as an image (the inline backend would
    render it twice, to find a tight bounding box). ``.update(**values)`` redraws and returns the figure.
    """
    import ipywidgets as w
    from IPython.display import HTML, Image, display

    out = w.Output()

    def update(*_args, **values):
        current = {c.description_key: c.value for c in controls}
        current.update(values)
        view, text = draw(**current)
        png = render(view) if view is not None else None
        with out:
            out.clear_output(wait=True)
            if text:
                display(HTML(text))
            if png is not None:
                display(Image(data=png, format="png"))
        return view.figure if isinstance(view, View) else view

    from . import service

    def changed(change):
        service.explorer_changed(change.owner.description_key, change.new)  # the console's timeline
        update()

    for c in controls:
        c.observe(changed, names="value")
    box = w.VBox([w.HBox(controls), out])
    box.update = update
    update()
    return box


def _control(widget, key):
    widget.description_key = key
    return widget


def threshold_explorer(case: Case, *, threshold: float | None = None):
    """A threshold slider over the confusion matrices, precision/recall and expected cost.

    Parameters
    ----------
    case : Case
    threshold : float, optional
        Where the slider starts (0 to 1); the team's operating threshold by default.
    """
    import ipywidgets as w
    _threshold_tables(case)
    start = case.threshold if threshold is None else float(threshold)
    if not 0.0 <= start <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    slider = _control(w.FloatSlider(value=start, min=0.0, max=1.0, step=0.01, description="threshold",
                                    continuous_update=False, readout_format=".2f",
                                    layout=w.Layout(width="520px")), "threshold")

    view = ThresholdView(case, start)

    def draw(threshold):
        r = threshold_metrics(case, threshold)
        return view.show(threshold), confusion_html(r, threshold=threshold, currency=case.currency)
    return _panel([slider], draw)


def slice_explorer(case: Case, *, column: str | None = None, bins: int = 4):
    """Pick a column: per-segment ROC AUC with 95% intervals, offline test vs production.

    Parameters
    ----------
    case : Case
    column : str, optional
        The column to slice by (any feature column); the first one by default.
    bins : int
        Quantile bins for a numeric column (4 by default); categorical columns keep their levels.
    """
    import ipywidgets as w
    cols = case.columns
    if column is not None:
        _check_column(case, column)
    pick = _control(w.Dropdown(options=cols, value=column or cols[0], description="column"), "column")
    view = SliceView(case, pick.value, bins=bins, explorer=True)
    key = key_html(WHERE, note="bars: 95% intervals")

    def draw(column):
        t = slice_metrics(case, column, bins=bins)
        head = f"<div style='font-size:15px;font-weight:bold'>ROC AUC by {html.escape(column)}</div>"
        return view.show(column, t), head + key + slice_html(t)
    return _panel([pick], draw)


def drift_explorer(case: Case, *, feature: str | None = None):
    """Pick a feature: offline vs production distributions with PSI and a drift test.

    Parameters
    ----------
    case : Case
    feature : str, optional
        The column to compare; by default the one with the largest PSI (the list is sorted by it).
    """
    import ipywidgets as w
    if feature is not None:
        _check_column(case, feature)
    overview = drift_overview(case)  # also fills the cache for every feature
    opts = [(f"{f} (PSI {p:.2f})", f) for f, p in zip(overview["feature"], overview["psi"])]
    pick = _control(w.Dropdown(options=opts, value=feature or opts[0][1], description="feature",
                               layout=w.Layout(width="420px")), "feature")

    view = DriftView(case, pick.value, explorer=True)

    def draw(feature):
        return view.show(feature), drift_html(drift_metrics(case, feature))
    return _panel([pick], draw)


def time_window_explorer(case: Case, *, start=None, end=None, unit: str = "week"):
    """A production window to the day: ROC AUC by week or by day, and the window's totals.

    Parameters
    ----------
    case : Case
    start, end : date-like, optional
        The window ``[start, end)`` (end excluded), e.g. ``start="2025-10-06", end="2025-10-20"``;
        all of production by default.
    unit : {"week", "day"}
        Plot one point per week or per day (days show where a change begins).
    """
    import ipywidgets as w
    if unit not in gap.UNITS:
        raise ValueError(f"unit must be one of {', '.join(gap.UNITS)}, got {unit!r}")
    d = days(case)
    _periods_all(case, unit)  # the other unit's table is made on the first switch to it
    lo = _day_index(d, start, 0, "start")
    hi = _day_index(d, end, len(d) - 1, "end")
    if hi <= lo:
        raise ValueError(f"the window's end must be after its start; production runs {d[0].date()} to "
                         f"{(d[-1] - pd.Timedelta(days=1)).date()}")
    opts = [(str(day.date()), day) for day in d]
    rng = _control(w.SelectionRangeSlider(options=opts, index=(lo, hi), description="window",
                                          continuous_update=False, layout=w.Layout(width="640px")), "window")
    by = _control(w.ToggleButtons(options=[("by week", "week"), ("by day", "day")], value=unit,
                                  description="points"), "unit")

    views = {}  # one per unit, made on the first switch to it

    def draw(window, unit):
        first, last = window
        if last <= first:
            last = first + pd.Timedelta(days=1)
        r = window_metrics(case, first, last, unit=unit)
        if unit not in views:
            views[unit] = WindowView(case, first, last, unit=unit)
        return views[unit].show(first, last), window_html(r, currency=case.currency)
    return _panel([rng, by], draw)


def _day_index(d: list, value, default: int, name: str) -> int:
    if value is None:
        return default
    try:
        day = pd.Timestamp(value).normalize()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date like {d[0].date()}, got {value!r}") from None
    if not d[0] <= day <= d[-1]:
        raise ValueError(f"{name} {day.date()} is outside production ({d[0].date()} to {d[-1].date()})")
    return d.index(day)


# ------------------------------------------------------------------------------ helpers
def key_html(pairs, *, note: str = "") -> str:
    """A colour key for (label, colour) pairs as one line of HTML (an explorer's legend)."""
    items = "".join(f"<span style='margin-right:18px'><span style='color:{colour};font-size:18px'>&#9632;</span> "
                    f"{WHERE_LABEL.get(label, label)}</span>" for label, colour in pairs)
    return f"<div style='font-size:14px'>{items}{note}</div>"


def drift_html(r: dict) -> str:
    """The drift figures of ``drift_metrics`` as HTML, with the colour key (the explorer's header)."""
    new = f"; levels seen only in production: {', '.join(map(str, r['new_levels']))}" if r["new_levels"] else ""
    return (f"<div style='font-size:15px'><b>{r['feature']}</b>: PSI <b>{r['psi']:.3f}</b> ({r['verdict']}); "
            f"{r['test']} {r['statistic']:.3g}, {_p_text(r['p_value'])}; missing: offline "
            f"{style.pct(r['null_offline'])}, production {style.pct(r['null_production'])}{new}</div>"
            + key_html((("offline", style.OFFLINE), ("production", style.PRODUCTION))))


def _nice_top(value: float) -> float:
    """``value`` rounded up to a round number (1, 2, 2.5 or 5 times a power of ten), so that features of
    similar heights share a y range (and the explorer's cached background)."""
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value - 1e-12))


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"

def _proxies(pairs) -> list:
    """Legend handles for (label, colour) pairs: a legend made once outlives the data it describes."""
    from matplotlib.patches import Patch
    return [Patch(color=colour, label=WHERE_LABEL.get(label, label)) for label, colour in pairs]


def _check_column(case: Case, column: str) -> None:
    if column not in case.columns:
        raise ValueError(f"unknown column {column!r}; choose one of: {', '.join(case.columns)}")


def _label(case: Case, column: str) -> str:
    u = case.unit(column)
    return f"{column} ({u})" if u else column
