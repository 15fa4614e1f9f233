"""Reading the card to grade, and scoring it from a truth file in a trusted process.

``load_card`` is what the grader uses (in its own process) to find the committed card of a
submission. ``score_here`` and ``item`` score a notebook's card against ``$LIVESCREEN_TRUTH``; they
are for trusted, interviewer-side runs only (the demo's headless check). Graded kernels never call
them: there the hidden cells are empty and the grader scores after the kernel is gone
(``grading.grader``), so no truth is in any kernel's environment or files.

Nothing here writes to stderr: nbgrader zeroes a test cell that does.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from pathlib import Path

from livescreen.toolkit.card import draft_card  # a refused or uncommitted card, kept by the toolkit

from .answers import TRUTH_ENV

CARD_FILE = "first_experiment.json"
HISTORY_FILE = "first_experiment_history.jsonl"  # every commit, the first included
_cache: dict = {}


def load_card(folder: str | Path = ".", namespace: dict | None = None) -> tuple[dict | None, dict]:
    """The card to grade and where it came from.

    Returns ``(card, info)`` with info keys ``source`` ("committed", "notebook", "draft" or "none"),
    ``committed_at`` and ``changed_after_commit``.
    """
    folder = Path(folder)
    info = {"source": "none", "committed_at": None, "changed_after_commit": False}
    nb_card = (namespace or {}).get("FIRST_EXPERIMENT")
    path = folder / CARD_FILE
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            card = data.get("card", data) if isinstance(data, dict) else None
            info.update(source="committed", committed_at=data.get("committed_at") if isinstance(data, dict) else None)
            if isinstance(nb_card, dict) and _filled(nb_card) and nb_card != card:
                info["changed_after_commit"] = True
            return card, info
        except (OSError, ValueError):
            info["source"] = "unreadable"
    if isinstance(nb_card, (dict, str)) and _filled(nb_card):
        info["source"] = "notebook"
        return nb_card if isinstance(nb_card, dict) else {"experiment": nb_card}, info
    draft = draft_card(folder)
    if draft is not None:  # the toolkit keeps a refused or uncommitted card as a draft: never lost
        info.update(source="draft", draft_source=draft.get("source"), refused=draft.get("refused"))
        return draft["card"] if isinstance(draft["card"], dict) else {"experiment": draft["card"]}, info
    return None, info


def _filled(card) -> bool:
    if isinstance(card, str):
        return bool(card.strip())
    hyp = card.get("hypothesis")
    return bool((isinstance(hyp, dict) and hyp.get("family")) or (isinstance(hyp, str) and hyp.strip())
                or card.get("experiment"))


def score_here(namespace: dict | None = None, folder: str | Path = "."):
    """Score the card of the notebook running in ``folder`` (cached per kernel)."""
    from .rubric_points import item_points
    from .score import score_card
    key = id(namespace)
    if key in _cache:
        return _cache[key]
    truth_path = os.environ.get(TRUTH_ENV)
    truth = json.loads(Path(truth_path).read_text())
    meta_path = Path(folder) / "schema.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    card, info = load_card(folder, namespace)
    result = score_card(card, truth, brief=meta.get("brief"),
                        known_columns=(meta.get("schema") or {}).get("features", []),
                        points=item_points(truth.get("scenario")))
    if info["source"] == "notebook":
        result.flags.append("card_not_committed")
    if info["changed_after_commit"]:
        result.flags.append("card_changed_after_commit")
    _cache[key] = result
    return result


def item(item_id: str, namespace: dict | None = None) -> float:
    """Points for one rubric item (the last expression of a hidden grade cell)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return float(score_here(namespace).item(item_id).points)
