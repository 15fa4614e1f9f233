"""``make demo``: a whole interview session for a demo candidate, through the session commands.

``livescreen session new`` (a secret seed, the candidate folder), the session service started as
``livescreen console`` would, a hint logged before the card, the candidate's notebook run headless
in a kernel that reports its cells, card commit and experiment to the service, a rating, ``close``
and ``grade`` (nbgrader), then where the console and the scorecard are.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

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
    """A whole session through the session commands: new, candidate activity, a hint, the card, a
    rating, close, grade; prints where the console and the scorecard are."""
    import os
    import subprocess
    import sys

    from grading.answers import reference_card
    from livescreen.cli import main as cli
    from livescreen.notebooks import execute
    from livescreen.sessions import session as S
    from livescreen.sessions.service import console_token

    home = (out / "interviewer").resolve()
    candidate = (out / "candidate").resolve()
    os.environ["LIVESCREEN_HOME"] = str(home)  # the demo's own interviewer store
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    # The session service, as `livescreen console` runs it, for the candidate's kernel to report to.
    service = subprocess.Popen([sys.executable, "-m", "livescreen.sessions.service", "--port", str(port),
                                "--home", str(home)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if "listening" not in (service.stdout.readline() or ""):
            print("the session service did not start", file=sys.stderr)
            return 1
        print(f"$ livescreen session new --scenario {scenario} --candidate DEMO-0001 --interviewer demo-interviewer --start")
        if cli(["session", "new", "--scenario", scenario, "--candidate", "DEMO-0001", "--interviewer", "demo-interviewer",
                "--out", str(candidate), "--service-url", url, "--start"]) != 0:
            return 1
        sid = S.list_sessions()[0]["id"]
        row = S.get(sid)
        meta = json.loads((candidate / "schema.json").read_text())
        nb = candidate / f"{scenario}.ipynb"
        # The interviewer gives the second hint of the ladder before the candidate commits the card.
        print(f"$ livescreen session hint {sid} {DEMO_HINT_LEVEL}")
        cli(["session", "hint", sid, str(DEMO_HINT_LEVEL), "--by", "demo-interviewer"])
        # The candidate: a sample answer on the card, then Run All in a kernel that reports to the service.
        fill_card(nb, reference_card(row["truth"], brief=meta["brief"]))
        token = json.loads((candidate / S.SERVICE_FILE).read_text())["token"]
        execute(nb, env={"LIVESCREEN_SERVICE_URL": url, "LIVESCREEN_SERVICE_TOKEN": token})
        events = S.timeline(sid)
        kinds = [e["kind"] for e in events]
        print(f"candidate     ran {nb.name}: {kinds.count('cell')} cells, {kinds.count('card')} card commit, "
              f"{kinds.count('experiment')} experiment, recorded by the session service")
        print(f"$ livescreen session rate {sid} --rater demo-interviewer 4 4 3 4 3")
        cli(["session", "rate", sid, "--rater", "demo-interviewer", "4", "4", "3", "4", "3"])
        print(f"$ livescreen session close {sid}")
        cli(["session", "close", sid, "--by", "demo-interviewer"])
        print(f"$ livescreen session grade {sid}   # nbgrader autograde of the collected notebook")
        if cli(["session", "grade", sid]) != 0:
            return 1
    finally:
        service.terminate()
        service.wait(10)
    card = json.loads((home / "sessions" / sid / "scorecard.json").read_text())
    print(f"total         {card['total']['total']:g} / 100 by the rubric's formula (prompted by hint "
          f"{card['hint_level_before_card']}: {', '.join(card['total']['prompted']) or 'nothing'}; "
          f"time to first card {card['seconds_to_card']:g} s)")
    print(f"scorecard     {home / 'sessions' / sid / 'scorecard.html'}  (and .json, .csv)")
    print(f"console       livescreen console --home {home}   then open "
          f"http://127.0.0.1:8765/sessions/{sid}?token={console_token(home)}")
    return 0 if card["status"] == "graded" else 1


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
