"""``make demo``: a whole session for a demo candidate.

Generate a variant, put the released notebook beside its data, fill the card with a sample
answer, execute the notebook headless, autograde it with nbgrader, write the scorecard.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import nbformat

DEMO_SEED = 20261125  # the demo candidate's seed; real candidates get a secret seed of their own
DEMO_HINT_LEVEL = 2  # the demo interviewer gives hint 2 of the ladder before the card


def fill_card(notebook: Path, card: dict, *, commit: bool = True) -> None:
    """Write ``card`` into the notebook's FIRST_EXPERIMENT cell, as a candidate would type it.

    With ``commit`` (the default) the commit cell is switched on too, as a candidate who commits
    does (it is released commented out, so that Run All never commits): running the notebook then
    commits the card.
    """
    from livescreen.notebooks import COMMIT_NOW
    from livescreen.toolkit.card import card_to_python
    nb = nbformat.read(notebook, as_version=4)
    ids = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    if "first_experiment" not in ids:
        raise ValueError(f"{notebook} has no first_experiment cell")
    ids["first_experiment"].source = card_to_python(card)
    if commit:
        cell = next((c for c in nb.cells if "commit" in c.metadata.get("tags", [])), None)
        if cell is None:
            raise ValueError(f"{notebook} has no commit cell (tagged 'commit')")
        cell.source = COMMIT_NOW
    nbformat.write(nb, notebook)


def run(*, scenario: str, out: Path) -> int:
    from grading.answers import reference_card
    from grading.grader import grade
    from grading.scorecard import write_scorecard
    from livescreen.notebooks import candidate_folder, execute
    candidate = out / "candidate"
    truth_path = out / "interviewer" / "truth.json"
    candidate_folder(scenario, seed=DEMO_SEED, out=candidate, truth=truth_path)
    truth = json.loads(truth_path.read_text())
    meta = json.loads((candidate / "schema.json").read_text())
    nb = candidate / f"{scenario}.ipynb"
    print(f"scenario      {scenario}: {meta['brief']['title']}")
    print(f"candidate     {candidate}/  ({nb.name}, offline.csv, production.csv, recomputed.csv, schema.json)")
    print(f"interviewer   {truth_path}  (the truth: grading side only)")
    fill_card(nb, reference_card(truth, brief=meta["brief"]))
    # The interviewer gives the second hint of the ladder before the candidate commits the card.
    hints = [{"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "level": DEMO_HINT_LEVEL}]
    hint_log = out / "interviewer" / "hints.json"
    hint_log.write_text(json.dumps(hints, indent=2) + "\n")
    print(f"hint logged   level {DEMO_HINT_LEVEL} of the ladder, before the card  ({hint_log})")
    execute(nb)
    print(f"executed      {nb}  (sample answer on the card, committed, experiment run)")
    result = grade(candidate, truth)
    html, js = write_scorecard(result, out / "interviewer", hints=hints, truth=truth)
    total = json.loads(js.read_text())["total"]
    print(f"graded        status {result.status}, {result.total:g} of {result.max:g} autograded points, "
          f"flags: {', '.join(result.flags) or 'none'}")
    print(f"total         {total['total']:g} / {total['max']:g} by the rubric's formula "
          f"(prompted by the hint: {', '.join(total['prompted']) or 'nothing'})")
    print(f"scorecard     {html}")
    print(f"              {js}")
    return 0 if result.status == "graded" else 1
