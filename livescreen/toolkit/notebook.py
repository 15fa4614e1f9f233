"""What a notebook cell calls: one short function per section of the live-diagnosis notebook.

    from livescreen.toolkit import notebook as ls
    case = ls.start(".")
    ls.show_brief(case); ls.offline_report(case); ls.online_offline_gap(case)
    ls.threshold_explorer(case); ls.slice_explorer(case); ls.drift_explorer(case); ls.time_window_explorer(case)
    form = ls.card_form(case)
    card = ls.commit(FIRST_EXPERIMENT, form)
    ls.check_complete(card)
    result = ls.run_first_experiment(case)
"""
from __future__ import annotations

from pathlib import Path

from . import gap, report
from .card import CardError, card_form, check_card, commit_card, committed_card, empty_card
from .case import Case, open_case
from .experiments import ExperimentResult, run_experiment
from .explorers import drift_explorer, slice_explorer, threshold_explorer, time_window_explorer

__all__ = ["start", "show_brief", "offline_report", "online_offline_gap", "threshold_explorer",
           "slice_explorer", "drift_explorer", "time_window_explorer", "card_form", "commit",
           "check_complete", "run_first_experiment", "run", "blank_card"]

_CURRENT: list[Case] = []


def _display(*objs):
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the toolkit's environment
        for o in objs:
            print(o)
        return
    display(*objs)


SESSION_FILE = Path(".livescreen") / "session.json"


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
    """Display the team's offline report: confusion matrix, ROC/PR curves, feature importance."""
    r = report.offline_report(case)
    _display(r["confusion"], r["curves"], r["importance"])


def online_offline_gap(case: Case) -> None:
    """Display the weekly production metric against the offline level."""
    _display(gap.gap_figure(case))


def commit(card=None, form=None, *, folder=None, case: Case | None = None):
    """Commit the card (the plain ``FIRST_EXPERIMENT`` dict if filled in, else the form's value).

    Returns the stored record ``{"committed_at", "card", "first"}``, or None (with a message) when
    the card is not complete yet: nothing is committed then.
    """
    case = case or (_CURRENT[0] if _CURRENT else None)
    where = Path(folder) if folder is not None else (case.folder if case is not None and case.folder else Path("."))
    chosen = card if _filled(card) else (form.value if form is not None else card)
    try:
        record = commit_card(chosen, where, case=case)
    except CardError as e:
        print(f"Not committed: {e}")
        return None
    if record["first"]:
        print(f"Committed at {record['committed_at']} (UTC). This is your first experiment.")
    else:
        first = committed_card(where)
        print(f"Saved to the history at {record['committed_at']} (UTC). Your first card, committed at "
              f"{first['committed_at']}, stays the one that counts.")
    return record


def check_complete(card) -> dict:
    """Raise ``CardError`` unless ``card`` (a card or a commit record) is a complete card."""
    if card is None:
        raise CardError("no card is committed: fill in FIRST_EXPERIMENT (or the form) and run the commit cell")
    if isinstance(card, dict) and "committed_at" in card and "card" in card:
        card = card["card"]
    return check_card(card)


def run_first_experiment(where=None) -> ExperimentResult | None:
    """Run the committed first card's experiment on this folder's data.

    ``where`` is a ``Case`` or a candidate folder (the started case by default). Refuses with a
    ``CardError`` until a card is committed, or when its experiment is free text.
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
        print("No first-experiment card is committed yet: fill in the card and run the commit cell first.")
        return None
    exp = record["card"]["experiment"]
    if not isinstance(exp, dict):
        print("Your committed experiment is free text, so there is nothing to run here: "
              "use ls.run(case, {'type': ...}) to run a catalogue experiment.")
        return None
    result = run_experiment(case, exp)
    _display(result, result.plot())
    return result


def run(case: Case, experiment: dict) -> ExperimentResult:
    """Run any catalogue experiment (after your card is committed) and show its result."""
    if committed_card(case.folder or Path(".")) is None:
        raise CardError("commit your first-experiment card before running experiments")
    result = run_experiment(case, experiment)
    _display(result, result.plot())
    return result


def _filled(card) -> bool:
    if not isinstance(card, dict) or not card:
        return False
    hyp = card.get("hypothesis") or {}
    exp = card.get("experiment")
    return bool((isinstance(hyp, dict) and hyp.get("family")) or card.get("evidence")
                or (isinstance(exp, dict) and exp.get("type")) or (isinstance(exp, str) and exp.strip()))
