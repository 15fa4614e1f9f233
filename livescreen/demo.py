"""``make demo``: a whole interview session for a demo candidate, through the session functions.

What ``livescreen session new`` does (a secret seed, the candidate folder), the session service
started as ``livescreen console`` would, a hint logged before the card, the candidate's notebook run
headless in a kernel that reports its cells, card commit and experiment to the service, a rating,
``close`` and ``grade`` (nbgrader), then where the console and the scorecard are. Each step calls
the function behind its command (``livescreen.sessions.session``) and prints the command's
equivalent and its reply (``livescreen.sessions.replies``); nothing here imports the command line.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

DEMO_HINT_LEVEL = 2  # the demo interviewer gives hint 2 of the ladder before the card
DEMO_LEVELS = (4, 4, 3, 4, 3)  # the demo interviewer's manual ratings, in the rubric's dimension order


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
    """A whole session through the session functions: new, candidate activity, a hint, the card, a
    rating, close, grade; prints where the console and the scorecard are. Returns 0 when the
    session is graded, 1 otherwise (what ``livescreen demo`` exits with)."""
    import os
    import subprocess
    import sys

    from grading.answers import reference_card
    from grading.rubric import RubricError, load_rubric
    from livescreen.notebooks import execute
    from livescreen.sessions import replies
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
        new = S.new_session(scenario=scenario, candidate="DEMO-0001", interviewers=["demo-interviewer"],
                            out=candidate, service_url=url, start=True)
        _say(replies.new(new, service_url=url, started=True))
        sid = new["id"]
        row = S.get(sid)
        meta = json.loads((candidate / "schema.json").read_text())
        nb = candidate / f"{scenario}.ipynb"
        # The interviewer gives the second hint of the ladder before the candidate commits the card.
        print(f"$ livescreen session hint {sid} {DEMO_HINT_LEVEL}")
        _say(replies.hint(S.add_hint(sid, DEMO_HINT_LEVEL, by="demo-interviewer")))
        # The candidate: a sample answer on the card, then Run All in a kernel that reports to the service.
        fill_card(nb, reference_card(row["truth"], brief=meta["brief"]))
        token = json.loads((candidate / S.SERVICE_FILE).read_text())["token"]
        execute(nb, env={"LIVESCREEN_SERVICE_URL": url, "LIVESCREEN_SERVICE_TOKEN": token})
        events = S.timeline(sid)
        kinds = [e["kind"] for e in events]
        print(f"candidate     ran {nb.name}: {kinds.count('cell')} cells, {kinds.count('card')} card commit, "
              f"{kinds.count('experiment')} experiment, recorded by the session service")
        print(f"$ livescreen session rate {sid} --rater demo-interviewer {' '.join(map(str, DEMO_LEVELS))}")
        levels = dict(zip(load_rubric(scenario).dimension_ids, DEMO_LEVELS))
        _say(replies.rated(sid, S.rate(sid, rater="demo-interviewer", levels=levels)))
        print(f"$ livescreen session close {sid}")
        _say(replies.closed(sid, S.close(sid, by="demo-interviewer")))
        print(f"$ livescreen session grade {sid}   # nbgrader autograde of the collected notebook")
        _say(replies.graded(sid, S.grade(sid)))
    except (S.SessionError, RubricError) as exc:  # what the command line would print as its one error line
        print(f"livescreen demo: error: {exc}", file=sys.stderr)
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


def _say(lines) -> None:
    for line in [lines] if isinstance(lines, str) else lines:
        print(line, flush=True)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
