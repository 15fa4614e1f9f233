"""The brief and the team's offline report, as the team presented them.

``brief_markdown`` / ``show_brief``: what the model decides, for whom, the threshold, the costs,
what the team reported offline and what production shows. ``offline_report``: the confusion matrix
at the operating threshold with precision, recall and cost; ROC and PR curves; the feature
importance as the team computed it (permutation importance on the offline test rows).

The report is the team's artefact, and its costly parts (a refit and permutations for the
importance, then drawing three figures) are done when the candidate folder is made
(``write_team_report``, ``team_report.json``: the importance as data and the three figures as PNG,
with the team's monitoring chart, the online/offline gap) and read back here; a folder without it,
or whose report was made for other data, gets it computed.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import metrics, style
from .case import Case, one_thread


def headline(case: Case) -> dict:
    """The numbers the brief quotes: offline (team's test rows) and production (known labels)."""
    key = "headline"
    if key in case._cache:
        return case._cache[key]
    test, lab = case.test, case.labelled
    off = metrics.rates(metrics.confusion(test[case.label], test[case.score], case.threshold),
                        cost_fp=case.cost_fp, cost_fn=case.cost_fn)
    prod = metrics.rates(metrics.confusion(lab[case.label], lab[case.score], case.threshold),
                         cost_fp=case.cost_fp, cost_fn=case.cost_fn)
    out = {
        "offline_auc": metrics.auc(test[case.label], test[case.score]),
        "offline_pr_auc": metrics.pr_auc(test[case.label], test[case.score]),
        "offline_positive_rate": float(test[case.label].mean()),
        "offline": off,
        "production_auc": metrics.auc(lab[case.label], lab[case.score]),
        "production_pr_auc": metrics.pr_auc(lab[case.label], lab[case.score]),
        "production_positive_rate": float(lab[case.label].mean()) if len(lab) else float("nan"),
        "production_mean_score": float(case.production[case.score].mean()),
        "production": prod,
        "labelled_share": len(lab) / max(len(case.production), 1),
    }
    case._cache[key] = out
    return out


def brief_markdown(case: Case) -> str:
    """The brief as Markdown."""
    b, h = case.brief, headline(case)
    cur = case.currency
    fp, fn = b.get("cost_false_positive") or {}, b.get("cost_false_negative") or {}
    lines = [f"### {b.get('title', 'The model')}", ""]
    if b.get("context"):
        lines += [b["context"], ""]
    lines += [
        f"- **Decision:** {b.get('decision', 'n/a')}",
        f"- **Positive class:** {b.get('positive', 'n/a')}",
        f"- **Operating threshold:** score ≥ {case.threshold:g} means act.",
        f"- **Cost of a false positive:** {style.money(case.cost_fp, cur)} ({fp.get('what', '')})",
        f"- **Cost of a false negative:** {style.money(case.cost_fn, cur)} ({fn.get('what', '')})",
        f"- **Model:** {case.model_card.get('description') or case.model_card.get('kind')}",
        f"- **Offline ({_period(b.get('offline_period'))}), the team's test rows:** "
        f"ROC AUC {h['offline_auc']:.3f}, precision {style.pct(h['offline']['precision'])}, "
        f"recall {style.pct(h['offline']['recall'])} at the threshold; positive rate "
        f"{style.pct(h['offline_positive_rate'])}.",
        f"- **Production ({_period(b.get('production_period'))}), rows with a known label "
        f"({style.pct(h['labelled_share'])} of {len(case.production):,}):** ROC AUC "
        f"{h['production_auc']:.3f}, precision {style.pct(h['production']['precision'])}, recall "
        f"{style.pct(h['production']['recall'])}; observed positive rate "
        f"{style.pct(h['production_positive_rate'])}, mean score {h['production_mean_score']:.3f}.",
    ]
    if b.get("production_note"):
        lines.append(f"- **What production shows:** {b['production_note']}")
    if b.get("labels_note"):
        lines.append(f"- **Labels:** {b['labels_note']}")
    return "\n".join(lines)


def brief_html(case: Case) -> str:
    """The brief as HTML (for a notebook's rich display)."""
    import re
    out = []
    for line in brief_markdown(case).splitlines():
        text = html.escape(line)
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        if text.startswith("### "):
            out.append(f"<h3>{text[4:]}</h3>")
        elif text.startswith("- "):
            out.append(f"<li>{text[2:]}</li>")
        elif text:
            out.append(f"<p>{text}</p>")
    body = "".join(out).replace("</p><li>", "</p><ul><li>") + "</ul>"
    return f"<div style='font-size:15px;line-height:1.45'>{body}</div>"


def _period(p) -> str:
    return f"{p[0]} to {p[1]}" if isinstance(p, (list, tuple)) and len(p) == 2 else "period n/a"


# ------------------------------------------------------------------------ offline report
def confusion_figure(counts: dict, *, threshold: float, cost_fp: float, cost_fn: float,
                     currency: str = "", title: str = "Confusion matrix", ax=None):
    """A 2x2 confusion matrix with counts, shares, precision, recall and the business cost."""
    r = metrics.rates(counts, cost_fp=cost_fp, cost_fn=cost_fn)
    with style.context():
        if ax is None:
            fig, ax = style.new_figure(width=5.6, height=4.6)
        else:
            fig = ax.figure
        grid = np.array([[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]], float)
        n = max(grid.sum(), 1)
        ax.imshow(grid / n, cmap="Blues", vmin=0, vmax=1)
        names = [["true negative", "false positive"], ["false negative", "true positive"]]
        for i in range(2):
            for j in range(2):
                share = grid[i, j] / n
                ax.text(j, i, f"{names[i][j]}\n{int(grid[i, j]):,}\n({share:.1%})", ha="center",
                        va="center", fontsize=12, color="white" if share > 0.5 else "black")
        ax.set_xticks([0, 1], ["act: no", "act: yes"])
        ax.set_yticks([0, 1], ["outcome: 0", "outcome: 1"])
        ax.set_xlabel(f"model decision (score ≥ {threshold:.2f})")
        ax.set_ylabel("actual outcome")
        ax.grid(False)
        ax.set_title(f"{title}\nprecision {style.pct(r['precision'])}, recall {style.pct(r['recall'])}, "
                     f"cost {style.money(r['cost'], currency)}", fontsize=12)
    return fig


def curves_figure(case: Case, *, production: bool = False):
    """ROC and precision-recall curves on the team's offline test rows (and production, if asked)."""
    from sklearn.metrics import precision_recall_curve, roc_curve  # drawn when a folder lacks its saved figures
    rows = [("offline test", case.test, style.OFFLINE)]
    if production:
        rows.append(("production (known labels)", case.labelled, style.PRODUCTION))
    with style.context():
        fig, (ax_roc, ax_pr) = style.new_figure(ncols=2, width=13, height=4.8)
        for name, frame, colour in rows:
            y, s = metrics.clean(frame[case.label], frame[case.score])
            if y.size == 0 or y.min() == y.max():
                continue
            fpr, tpr, _ = roc_curve(y, s)
            a = metrics.auc(y, s)
            ax_roc.plot(fpr, tpr, color=colour, label=f"{name}: AUC {a:.3f}")
            prec, rec, _ = precision_recall_curve(y, s)
            ap = metrics.pr_auc(y, s)
            ax_pr.plot(rec, prec, color=colour, label=f"{name}: PR AUC {ap:.3f}")
            ax_pr.axhline(y.mean(), color=colour, ls=":", lw=1.2)
        ax_roc.plot([0, 1], [0, 1], color=style.NEUTRAL, ls="--", lw=1, label="chance")
        where = "offline test vs production" if production else "the team's offline test rows"
        ax_roc.set(title=f"ROC curve ({where})", xlabel="false positive rate", ylabel="true positive rate (recall)",
                   xlim=(0, 1), ylim=(0, 1.01))
        ax_pr.set(title=f"Precision-recall curve ({where})", xlabel="recall", ylabel="precision",
                  xlim=(0, 1), ylim=(0, 1.01))
        ax_roc.legend(loc="lower right")
        ax_pr.legend(loc="upper right", title="dotted: positive rate")
    return fig


REPORT_FILE = "team_report.json"
N_REPEATS = 3
FIGURES = ("confusion", "curves", "importance")  # the report's figures, in the order the notebook shows them
MONITORING = "gap"  # the team's monitoring chart (``gap.gap_figure``), made with the report


def feature_importance(case: Case, *, n_repeats: int = N_REPEATS) -> pd.DataFrame:
    """Permutation importance (drop in ROC AUC) of the team's model on the offline test rows.

    The team's recipe refit on the offline training rows, exactly as the team computed it; read
    from the folder's ``team_report.json`` when it was made with the folder.
    """
    key = ("importance", n_repeats)
    if key not in case._cache:
        saved = _saved_importance(case, n_repeats)
        case._cache[key] = saved if saved is not None else _compute_importance(case, n_repeats)
    return case._cache[key]


def _compute_importance(case: Case, n_repeats: int) -> pd.DataFrame:
    from sklearn.inspection import permutation_importance  # only for a folder without its saved report
    model = case.team_model()
    test = case.test
    with one_thread():
        r = permutation_importance(model, test[case.features], test[case.label].to_numpy(),
                                   scoring="roc_auc", n_repeats=n_repeats, random_state=0, n_jobs=1)
    return (pd.DataFrame({"feature": case.features, "importance": r.importances_mean, "std": r.importances_std})
            .sort_values("importance", ascending=False).reset_index(drop=True))


def _fingerprint(case: Case) -> dict:
    """What the saved report must match to be this case's: features and row counts."""
    return {"features": list(case.features), "train_rows": int(len(case.train)), "test_rows": int(len(case.test)),
            "production_rows": int(len(case.production))}


def team_report(case: Case) -> dict:
    """The team's offline report as data (what ``write_team_report`` saves)."""
    from . import gap
    imp = feature_importance(case)
    figures = {**offline_report(case), MONITORING: gap.gap_figure(case)}
    return {"about": "The team's offline report: permutation importance of the team's model on the offline "
                     "test rows (drop in ROC AUC when a feature is shuffled), the report's figures and the "
                     "team's monitoring chart (production by week against the offline level), as PNG.",
            "n_repeats": N_REPEATS, **_fingerprint(case),
            "importance": [{"feature": str(r.feature), "importance": float(r.importance), "std": float(r.std)}
                           for r in imp.itertuples()],
            "figures": {name: base64.b64encode(_png(figures[name])).decode("ascii")
                        for name in (*FIGURES, MONITORING)}}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # Pillow's default compression: the file is kept, not redrawn
    return buf.getvalue()


def saved_figures(case: Case, names=FIGURES) -> dict[str, bytes] | None:
    """Figures as the team made them with the folder (PNG bytes by name, in the order of ``names``:
    the report's ``FIGURES`` by default, or ``(MONITORING,)``), or None when the folder has no
    report made for this data."""
    saved = _saved(case)
    figures = (saved or {}).get("figures")
    if not isinstance(figures, dict) or any(not isinstance(figures.get(n), str) for n in names):
        return None
    try:
        out = {name: base64.b64decode(figures[name], validate=True) for name in names}
    except ValueError:
        return None
    return out if all(png.startswith(b"\x89PNG") for png in out.values()) else None


def _saved(case: Case) -> dict | None:
    """The folder's ``team_report.json`` when it was made for this case's data (read once)."""
    key = "team_report"
    if key not in case._cache:
        saved = None
        if case.folder is not None:
            try:
                saved = json.loads((Path(case.folder) / REPORT_FILE).read_text())
            except (OSError, ValueError):
                saved = None
        if not isinstance(saved, dict) or any(saved.get(k) != v for k, v in _fingerprint(case).items()):
            saved = None  # made for other data: computed again
        case._cache[key] = saved
    return case._cache[key]


def write_team_report(case: Case, folder=None) -> Path:
    """Compute the team's report for ``case`` and write it as ``team_report.json`` in ``folder``
    (the case's folder by default), atomically."""
    folder = Path(folder if folder is not None else case.folder)
    text = json.dumps(team_report(case), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{REPORT_FILE}.", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, folder / REPORT_FILE)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return folder / REPORT_FILE


def _saved_importance(case: Case, n_repeats: int) -> pd.DataFrame | None:
    saved = _saved(case) if n_repeats == N_REPEATS else None
    if saved is None:
        return None
    rows = saved.get("importance")
    try:
        table = pd.DataFrame(rows, columns=["feature", "importance", "std"]).astype(
            {"feature": str, "importance": float, "std": float})
    except (TypeError, ValueError):
        return None
    if sorted(table["feature"]) != sorted(case.features):
        return None
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def importance_figure(case: Case, *, top: int = 15):
    """Horizontal bars of permutation importance, largest first."""
    imp = feature_importance(case).head(top).iloc[::-1]
    with style.context():
        fig, ax = style.new_figure(width=8, height=0.38 * len(imp) + 1.4)
        ax.barh(imp["feature"], imp["importance"], xerr=imp["std"], color=style.OFFLINE)
        ax.set(title="Feature importance (as the team computed it)",
               xlabel="drop in ROC AUC when the feature is shuffled (offline test rows)", ylabel="feature")
        ax.grid(axis="y", visible=False)
    return fig


def offline_report(case: Case) -> dict:
    """The team's offline report: figures keyed ``confusion``, ``curves``, ``importance``, and numbers."""
    h = headline(case)
    return {
        "numbers": {"roc_auc": h["offline_auc"], "pr_auc": h["offline_pr_auc"],
                    "precision": h["offline"]["precision"], "recall": h["offline"]["recall"],
                    "cost": h["offline"]["cost"], "threshold": case.threshold},
        "confusion": confusion_figure(
            {k: h["offline"][k] for k in ("tn", "fp", "fn", "tp")}, threshold=case.threshold,
            cost_fp=case.cost_fp, cost_fn=case.cost_fn, currency=case.currency,
            title="Offline test rows at the operating threshold"),
        "curves": curves_figure(case),
        "importance": importance_figure(case),
    }
