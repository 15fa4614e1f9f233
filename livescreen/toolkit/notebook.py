"""What a notebook cell calls: one short function per section of the live-diagnosis notebook.

    from livescreen.toolkit import notebook as ls
    case = ls.start(".")
    ls.show_brief(case); ls.offline_report(case); ls.online_offline_gap(case)
    ls.threshold_explorer(case, threshold=0.4); ls.slice_explorer(case, column="plan")
    ls.drift_explorer(case, feature="tenure_days"); ls.time_window_explorer(case, start="2026-01-05", unit="day")
    form = ls.card_form(case)               # the form, with the one Commit button
    ls.check_card(FIRST_EXPERIMENT, form=form)   # what the card still needs (never raises)
    ls.commit(FIRST_EXPERIMENT)             # a deliberate act: the notebook's commit cell is commented out
    result = ls.run_first_experiment(case)

Nothing here raises on an unfilled card: Run All on a fresh notebook finishes without an error,
and nothing commits a card except the form's button or an explicit ``ls.commit(...)``.
"""
from __future__ import annotations

import html
from pathlib import Path

from . import card as _card
from . import gap, report
from .card import CardError, commit_card, committed_card, empty_card, filled, missing, save_draft
from .case import Case, open_case
from .experiments import ExperimentResult, run_experiment
from .explorers import drift_explorer, slice_explorer, threshold_explorer, time_window_explorer

__all__ = ["start", "show_brief", "offline_report", "online_offline_gap", "threshold_explorer",
           "slice_explorer", "drift_explorer", "time_window_explorer", "card_form", "check_card", "commit",
           "run_first_experiment", "run", "blank_card"]

_CURRENT: list[Case] = []
SESSION_FILE = Path(".livescreen") / "session.json"
OK, ERROR, NOTE = "#009E73", "#D55E00", "#444444"


def _display(*objs):
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the toolkit's environment
        for o in objs:
            print(o)
        return
    display(*objs)


def _figures(*figs) -> None:
    """Show figures as PNG images rendered once here (the inline backend would render each twice, to
    find a tight bounding box): the report and the gap cost half as much to draw."""
    try:
        from IPython.display import Image
    except ImportError:  # pragma: no cover
        _display(*figs)
        return
    from .explorers import render
    _display(*(Image(data=render(f), format="png") for f in figs))


def _say(text: str, colour: str = NOTE) -> None:
    """One visible line in the cell's output (HTML in a notebook, plain text elsewhere)."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display(HTML(f"<div style='color:{colour};font-size:14px;font-weight:bold'>{html.escape(text)}</div>"))


def start(path=".") -> Case:
    """Open the candidate folder at ``path`` (this notebook's folder by default).

    The first run notes when the session started (``.livescreen/session.json``), so the
    scorecard can tell how long the first card took; warnings are silenced for the shared screen.
    """
    import json
    import warnings
    from datetime import datetime, timezone
    warnings.filterwarnings("ignore")
    case = open_case(path)
    _CURRENT[:] = [case]
    from . import service
    service.install()  # report each cell run to the session service (does nothing when unconfigured)
    # The imports and the case live as long as the kernel: frozen out of the cyclic garbage collector,
    # a full collection that falls during an explorer's update scans only what came after (measured:
    # one of about 0.25 s under load otherwise, beside updates of 15-50 ms).
    import gc
    gc.freeze()
    marker = Path(path) / SESSION_FILE
    if not marker.exists():
        try:
            marker.parent.mkdir(exist_ok=True)
            marker.write_text(json.dumps({"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
        except OSError:
            pass  # a read-only folder: nothing to note
    return case


def blank_card() -> dict:
    """An unfilled card: the plain-Python card cell starts from it."""
    return empty_card()


def show_brief(case: Case) -> None:
    """Display the brief: decision, threshold, costs, offline report and what production shows."""
    from IPython.display import HTML
    _display(HTML(report.brief_html(case)))


def offline_report(case: Case) -> None:
    """Display the team's offline report: confusion matrix, ROC/PR curves, feature importance.

    The report is the team's artefact, made with the candidate folder (``team_report.json``: the
    importance and the three figures); it is computed here only for a folder that lacks it.
    """
    saved = report.saved_figures(case)
    if saved is not None:
        from IPython.display import Image
        _display(*(Image(data=png, format="png") for png in saved.values()))
        return
    r = report.offline_report(case)
    _figures(*(r[name] for name in report.FIGURES))


def online_offline_gap(case: Case) -> None:
    """Display the weekly production metric against the offline level.

    This is the team's monitoring chart, made with the candidate folder (``team_report.json``); it
    is drawn here only for a folder that lacks it.
    """
    saved = report.saved_figures(case, (report.MONITORING,))
    if saved is not None:
        from IPython.display import Image
        _display(Image(data=saved[report.MONITORING], format="png"))
        return
    _figures(gap.gap_figure(case))


def card_form(case: Case | None = None, *, card: dict | None = None):
    """The card as a form with its one Commit button (see ``card.card_form``)."""
    case = case or (_CURRENT[0] if _CURRENT else None)
    return _card.card_form(case, card=card)


def _folder(case: Case | None, folder) -> Path:
    if folder is not None:
        return Path(folder)
    return case.folder if case is not None and case.folder else Path(".")


def _chosen(card, form):
    """The notebook's dict when anything is written on it, else the form's card."""
    if filled(card) or form is None:
        return card, "notebook"
    return form.value, "form"


def check_card(card=None, *, form=None, case: Case | None = None, folder=None) -> None:
    """Say in one line what the card still needs (the visible check cell); keep it as a draft.

    ``card`` is the notebook's ``FIRST_EXPERIMENT``; when it is unfilled, the form's card is
    checked. Never raises and returns nothing (the cell shows the one line only);
    ``livescreen.toolkit.card.missing`` gives the list.
    """
    case = case or (_CURRENT[0] if _CURRENT else None)
    where = _folder(case, folder)
    chosen, source = _chosen(card, form)
    first = None
    try:
        first = committed_card(where)
    except CardError as e:
        _say(str(e), ERROR)
    if first is not None:
        _say(f"Your first card was committed at {first['committed_at']} (UTC): it is the one that counts.", OK)
        return None
    gaps = missing(chosen, case=case)
    if filled(chosen):
        save_draft(chosen, where, source=source)
    if not filled(chosen):
        _say("No card yet: fill in the form above (or FIRST_EXPERIMENT). Still to fill in: " + "; ".join(gaps) + ".")
    elif gaps:
        _say("Still to fill in: " + "; ".join(gaps) + ". Your card is kept as a draft meanwhile.")
    else:
        _say("The card is complete. Commit it with the form's button, or run ls.commit(FIRST_EXPERIMENT) "
             "in the cell below: the first card you commit is the one that counts.", OK)
    return None


def commit(card=None, *, form=None, case: Case | None = None, folder=None) -> dict | None:
    """Commit the card: the notebook's ``FIRST_EXPERIMENT`` if anything is written on it, else the form's.

    Returns the stored record ``{"committed_at", "card", "first"}``. A refused card is not
    committed: a visible error names the field to change, the card is kept as the draft, and
    None is returned. Only the first card committed in the folder counts; later ones go to the
    history.
    """
    case = case or (_CURRENT[0] if _CURRENT else None)
    where = _folder(case, folder)
    chosen, source = _chosen(card, form)
    try:
        record = commit_card(chosen, where, case=case)
    except CardError as e:
        save_draft(chosen, where, refused=e, source=source)
        _say(f"Not committed: {e}. Change {e.field or 'the card'} and run this cell again; "
             "your card is kept as a draft meanwhile.", ERROR)
        return None
    if record["first"]:
        _say(f"Committed at {record['committed_at']} (UTC). This is your first card: it is the one that counts.", OK)
    else:
        first = committed_card(where)
        _say(f"Saved to the history at {record['committed_at']} (UTC). Your first card, committed at "
             f"{first['committed_at']}, stays the one that counts.", OK)
    return record


def run_first_experiment(where=None) -> ExperimentResult | None:
    """Run the committed first card's experiment on this folder's data and show its result once.

    ``where`` is a ``Case`` or a candidate folder (the started case by default). Until a card is
    committed, or when its experiment is free text, it says so in one line and returns None
    (nothing raises, so Run All goes on).
    """
    if isinstance(where, Case):
        case = where
    elif where is not None:
        case = open_case(where)
    elif _CURRENT:
        case = _CURRENT[0]
    else:
        case = open_case(".")
    folder = case.folder or Path(".")
    record = committed_card(folder)
    if record is None:
        _say("No card is committed yet: commit your card first (the form's button), then run this cell.")
        return None
    exp = record["card"]["experiment"]
    if not isinstance(exp, dict):
        _say("Your committed experiment is free text, so there is nothing to run here: "
             "use ls.run(case, {'type': ...}) to run a catalogue experiment.")
        return None
    result = run_experiment(case, exp)
    _display(result)
    _figures(result.plot())
    return result


def run(case: Case, experiment: dict) -> ExperimentResult:
    """Run any catalogue experiment (after your card is committed) and show its result."""
    if committed_card(case.folder or Path(".")) is None:
        raise CardError("commit your first-experiment card before running experiments")
    result = run_experiment(case, experiment)
    _display(result)
    _figures(result.plot())
    return result
