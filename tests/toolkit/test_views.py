"""The brief, the team's offline report, the gap view and the explorers' compute functions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from livescreen.toolkit import explorers, gap, metrics, report, style


def _titled(fig: Figure) -> None:
    """Every axes with a title and both axis labels; the figure renders to PNG."""
    axes = [ax for ax in fig.axes if ax.has_data() or ax.images]
    assert axes
    for ax in axes:
        twin = [o for o in fig.axes if o is not ax and o.get_position().bounds == ax.get_position().bounds]
        if twin and any(o.get_title() for o in twin):  # a second y axis on a titled panel
            assert ax.get_ylabel()
            continue
        assert ax.get_title(), "every panel has a title"
        shared = ax.get_shared_x_axes().get_siblings(ax)
        assert any(o.get_xlabel() for o in shared) and ax.get_ylabel(), f"labelled axes on {ax.get_title()!r}"
    assert explorers.render(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_brief_names_decision_threshold_costs_and_both_levels(cases):
    """Does the brief state the decision, threshold, both costs in money, offline and production figures?"""
    case = cases["saas_churn"]
    text = report.brief_markdown(case)
    b = case.brief
    assert b["decision"] in text
    assert f"{case.threshold:g}" in text
    assert style.money(case.cost_fp, case.currency) in text and style.money(case.cost_fn, case.currency) in text
    h = report.headline(case)
    assert f"{h['offline_auc']:.3f}" in text and f"{h['production_auc']:.3f}" in text
    html = report.brief_html(case)
    assert "<h3>" in html and "<li>" in html


def test_offline_report_figures(cases):
    """Do the confusion matrix, ROC/PR curves and importance chart render with titles and labels?"""
    case = cases["saas_churn"]
    r = report.offline_report(case)
    for key in ("confusion", "curves", "importance"):
        _titled(r[key])
    assert 0.5 < r["numbers"]["roc_auc"] <= 1
    counts = metrics.confusion(case.test[case.label], case.test[case.score], case.threshold)
    assert sum(counts.values()) == len(case.test)


def test_importance_is_the_teams(cases):
    """Is the importance table one row per model feature, computed on the team's refit recipe?"""
    case = cases["saas_churn"]
    imp = report.feature_importance(case)
    assert sorted(imp["feature"]) == sorted(case.features)
    assert imp["importance"].is_monotonic_decreasing


def test_gap_weekly_and_figure(cases):
    """Does the weekly table cover production, with maturity flags, and the gap figure render?"""
    case = cases["saas_churn"]
    table = gap.by_period(case)
    assert table["rows"].sum() == len(case.production)
    daily = gap.by_period(case, unit="day")
    assert daily["rows"].sum() == len(case.production) and len(daily) > 5 * len(table) - 7
    assert table["known_share"].between(0, 1).all()
    assert not table["mature"].iloc[-1], "the last week's labels are not mature yet"
    ok = table["auc"].notna()
    assert (table.loc[ok, "auc_low"] <= table.loc[ok, "auc"]).all()
    assert (table.loc[ok, "auc"] <= table.loc[ok, "auc_high"]).all()
    _titled(gap.gap_figure(case))


def test_threshold_metrics_match_direct_count(cases):
    """Do the precomputed threshold counts equal a direct count at several thresholds?"""
    case = cases["saas_churn"]
    for thr in (0.0, 0.13, case.threshold, 0.77, 1.0):
        r = explorers.threshold_metrics(case, thr)
        direct = metrics.confusion(case.labelled[case.label], case.labelled[case.score], thr)
        assert {k: r["production"][k] for k in direct} == direct
        assert r["production"]["cost"] == direct["fp"] * case.cost_fp + direct["fn"] * case.cost_fn
    lo, hi = explorers.threshold_metrics(case, 0.1), explorers.threshold_metrics(case, 0.9)
    assert lo["offline test"]["recall"] >= hi["offline test"]["recall"]
    _titled(explorers.threshold_figure(case, 0.3))
    _titled(explorers.cost_curve_figure(case, 0.3))
    r = explorers.threshold_metrics(case, 0.3)
    html = explorers.confusion_html(r, threshold=0.3, currency=case.currency)
    assert f"{r['production']['fp']:,}" in html and style.money(r["production"]["cost"], case.currency) in html


@pytest.mark.parametrize("kind", ["categorical", "numeric"])
def test_slice_metrics(cases, kind):
    """Does the slice table give every segment, offline and production, with intervals around the AUC?"""
    case = cases["telecom_churn"]
    column = case.categorical[0] if kind == "categorical" else case.numeric[0]
    t = explorers.slice_metrics(case, column)
    assert set(t["where"]) == {"offline test", "production"}
    assert t.loc[t["where"] == "production", "rows"].sum() == len(case.labelled)
    ok = t["auc"].notna()
    assert ((t.loc[ok, "auc_low"] <= t.loc[ok, "auc"]) & (t.loc[ok, "auc"] <= t.loc[ok, "auc_high"])).all()
    if kind == "numeric":
        assert t["segment"].nunique() >= 3, "numeric columns are cut into quantile bins"
    _titled(explorers.slice_figure(case, column))
    _titled(explorers.slice_auc_figure(case, column))
    html = explorers.slice_html(t)
    assert all(str(seg) in html for seg in t["segment"].unique())


def test_drift_metrics(cases):
    """Does the drift view give PSI and KS for numeric, chi-square for categorical features?"""
    case = cases["saas_churn"]
    num = explorers.drift_metrics(case, case.numeric[0])
    assert num["test"] == "Kolmogorov-Smirnov" and 0 <= num["statistic"] <= 1 and num["psi"] >= 0
    assert np.isclose(num["offline_share"].sum(), 1)
    cat = explorers.drift_metrics(case, case.categorical[0])
    assert cat["test"] == "chi-square" and 0 <= cat["p_value"] <= 1
    overview = explorers.drift_overview(case)
    assert overview["psi"].is_monotonic_decreasing and len(overview) == len(case.columns)
    _titled(explorers.drift_figure(case, case.numeric[0]))
    _titled(explorers.drift_figure(case, case.categorical[0]))
    with pytest.raises(ValueError, match="unknown column"):
        explorers.drift_metrics(case, "no_such_column")


def test_window_metrics(cases):
    """Does a narrower production window count only its rows, and the full window all of them?"""
    case = cases["saas_churn"]
    wk = explorers.weeks(case)
    full = explorers.window_metrics(case, wk[0], wk[-1])
    assert full["rows"] == len(case.production)
    part = explorers.window_metrics(case, wk[1], wk[3])
    ts = case.production[case.timestamp]
    assert part["rows"] == int(((ts >= wk[1]) & (ts < wk[3])).sum())
    assert len(part["table"]) == 2
    _titled(explorers.window_figure(case, wk[0], wk[-1]))
    assert f"{full['rows']:,} rows" in explorers.window_html(full)
    with pytest.raises(ValueError, match="after its start"):
        explorers.window_metrics(case, wk[3], wk[1])


def test_the_window_narrows_to_days(cases):
    """Can the window be three days long, with one point per day?"""
    case = cases["saas_churn"]
    d = explorers.days(case)
    r = explorers.window_metrics(case, d[3], d[6], unit="day")
    ts = case.production[case.timestamp]
    assert r["rows"] == int(((ts >= d[3]) & (ts < d[6])).sum()) and len(r["table"]) == 3
    _titled(explorers.window_figure(case, d[3], d[6], r))


def test_explorer_widgets_update(cases):
    """Does each explorer build as one widget whose update redraws for a new value?"""
    case = cases["saas_churn"]
    w = explorers.threshold_explorer(case)
    assert isinstance(w.update(threshold=0.2), Figure)
    w = explorers.slice_explorer(case)
    assert isinstance(w.update(column=case.categorical[0]), Figure)
    w = explorers.drift_explorer(case)
    assert isinstance(w.update(feature=case.numeric[0]), Figure)
    w = explorers.time_window_explorer(case)
    d = explorers.days(case)
    assert isinstance(w.update(window=(d[1], d[4]), unit="day"), Figure)


def test_explorers_take_their_controls_as_keyword_arguments(cases):
    """Does each explorer open where its keyword arguments say, and refuse a bad one in one line?"""
    case = cases["saas_churn"]
    col, feat = case.categorical[0], case.numeric[0]
    assert explorers.threshold_explorer(case, threshold=0.42).children[0].children[0].value == 0.42
    assert explorers.slice_explorer(case, column=col, bins=3).children[0].children[0].value == col
    assert explorers.drift_explorer(case, feature=feat).children[0].children[0].value == feat
    d = explorers.days(case)
    w = explorers.time_window_explorer(case, start=str(d[2].date()), end=str(d[9].date()), unit="day")
    rng, unit = w.children[0].children
    assert rng.value == (d[2], d[9]) and unit.value == "day"
    for call, pattern in ((lambda: explorers.slice_explorer(case, column="nope"), "unknown column"),
                          (lambda: explorers.threshold_explorer(case, threshold=2), "between 0 and 1"),
                          (lambda: explorers.time_window_explorer(case, start="1999-01-01"), "outside production"),
                          (lambda: explorers.time_window_explorer(case, unit="month"), "unit must be")):
        with pytest.raises(ValueError, match=pattern):
            call()
    for fn in (explorers.threshold_explorer, explorers.slice_explorer, explorers.drift_explorer,
               explorers.time_window_explorer):
        import inspect
        params = [p for p in inspect.signature(fn).parameters.values() if p.name != "case"]
        assert params and all(p.kind is p.KEYWORD_ONLY for p in params), fn.__name__
        assert all(p.name in fn.__doc__ for p in params), f"{fn.__name__} documents its keyword arguments"


def test_lines_in_a_panel_have_distinct_colour_blind_safe_hues(cases):
    """Does every line in every panel of the gap and window charts have its own Okabe-Ito hue?"""
    case = cases["saas_churn"]
    from matplotlib.colors import to_hex
    safe = set(style.OKABE_ITO.values()) | {style.NEUTRAL}
    d = explorers.days(case)
    for fig in (gap.gap_figure(case), explorers.window_figure(case, d[0], d[-1], unit="day"),
                explorers.cost_curve_figure(case, 0.3)):
        for ax in fig.axes:
            colours = [to_hex(line.get_color()).upper() for line in ax.get_lines()]
            assert len(colours) == len(set(colours)), (ax.get_title(), colours)
            assert set(colours) <= {c.upper() for c in safe}, colours


def test_slice_chart_says_which_rows_each_bar_counts(cases):
    """Are the row-count bars labelled offline test vs production, not all as production?"""
    case = cases["saas_churn"]
    fig = explorers.slice_figure(case, case.categorical[0])
    rows_ax = fig.axes[1]
    assert rows_ax.get_ylabel() == "rows"
    assert [t.get_text() for t in rows_ax.get_legend().get_texts()] == ["offline test rows", "production (known labels)"]


def test_auc_interval_covers_and_shrinks():
    """Does the Hanley-McNeil interval contain the AUC and shrink with more rows?"""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    s = y * 0.8 + rng.normal(0, 1, 4000)
    a, lo, hi, n = metrics.auc_ci(y, s)
    a2, lo2, hi2, _ = metrics.auc_ci(y[:400], s[:400])
    assert lo < a < hi and (hi - lo) < (hi2 - lo2)


def test_average_precision_is_scikit_learns():
    """Is the toolkit's PR AUC the value ``sklearn.metrics.average_precision_score`` gives, ties included,
    without importing scikit-learn for it?"""
    from sklearn.metrics import average_precision_score
    rng = np.random.default_rng(3)
    for i in range(60):
        n = int(rng.integers(2, 3000))
        y = (rng.random(n) < rng.uniform(0.02, 0.6)).astype(int)
        y[0] = 1
        s = rng.random(n) if i % 3 else np.round(rng.random(n), 1)  # every third with many ties
        assert metrics.pr_auc(y, s) == average_precision_score(y, s)
    assert np.isnan(metrics.pr_auc([0, 0, 1], [0.2, np.nan, np.nan]))  # no positive left


def test_palette_is_okabe_ito():
    """Is the palette the Okabe-Ito set?"""
    assert set(style.PALETTE) <= set(style.OKABE_ITO.values()) and len(style.PALETTE) == 8


def test_team_report_is_made_with_the_folder_and_loaded(tmp_path, fresh_case):
    """Is the team's report (importance, the report's figures and the monitoring chart) written with the
    folder and read back as written (so Run All fits nothing), and ignored for a folder whose data it was
    not made for?"""
    case = fresh_case(tmp_path)
    report.write_team_report(case)
    names = (*report.FIGURES, report.MONITORING)
    again = type(case).from_frames(offline=case.offline, production=case.production, recomputed=case.recomputed,
                                   metadata=case.metadata, folder=case.folder)
    saved = report.saved_figures(again, names)
    assert saved is not None and list(saved) == list(names)
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000 for png in saved.values())
    pd.testing.assert_frame_equal(report.feature_importance(again), report.feature_importance(case))
    other = type(case).from_frames(offline=case.offline, production=case.production.iloc[:-10],
                                   recomputed=case.recomputed.iloc[:-10], metadata=case.metadata, folder=case.folder)
    assert report.saved_figures(other, names) is None and report._saved(other) is None
    # With its report saved, Run All up to the card fits nothing: a new kernel does not import scikit-learn
    # (about 0.3 s of CPU each, measured in the candidate environment); the first experiment does.
    import subprocess
    import sys
    code = ("import sys\nfrom livescreen.toolkit import notebook as ls\ncase = ls.start(sys.argv[1])\n"
            "ls.show_brief(case); ls.offline_report(case); ls.online_offline_gap(case)\n"
            "for make in (ls.threshold_explorer, ls.slice_explorer, ls.drift_explorer, ls.time_window_explorer):\n"
            "    make(case)\nls.card_form(case)\n"
            "print('fitting libraries', sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'joblib'}))")
    out = subprocess.run([sys.executable, "-c", code, str(case.folder)], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.strip().splitlines()[-1] == "fitting libraries []"


def test_explorer_views_redraw_in_place(cases):
    """Does each explorer's view keep one figure, change its picture with the value, and give a value
    seen before the same picture again?"""
    case = cases["telecom_churn"]
    views = [(explorers.ThresholdView(case, 0.3), (0.3, 0.7)),
             (explorers.SliceView(case, case.columns[0], explorer=True), (case.columns[0], case.columns[-1])),
             (explorers.DriftView(case, case.numeric[0], explorer=True), (case.numeric[0], case.categorical[0])),
             (explorers.WindowView(case, explorers.days(case)[0], explorers.days(case)[-1]),
              ((explorers.days(case)[0], explorers.days(case)[-1]), (explorers.days(case)[3], explorers.days(case)[9])))]
    for view, (a, b) in views:
        fig = view.figure
        show = (lambda v: view.show(*v)) if isinstance(a, tuple) else view.show
        first = explorers.render(show(a))
        second = explorers.render(show(b))
        assert view.figure is fig and first[:8] == second[:8] == b"\x89PNG\r\n\x1a\n" and first != second
        view._pngs.clear()  # drawn again, not looked up: the same state gives the same picture
        assert explorers.render(show(a)) == first, type(view).__name__
