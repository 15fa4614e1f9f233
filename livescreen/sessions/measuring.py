"""A session's measured outcomes, completed after the candidate folder is delivered.

Grading scores a first experiment by the rival hypotheses it separates, from outcomes measured in
the candidate's world and in every rival's (``grading.measured``): up to 8 worlds of 20,000 rows
and about 24 experiments each, about a minute of CPU. ``session new`` does not make the interviewer
wait for them: it writes the candidate folder and records the session (its truth without
outcomes), then starts this module in a detached process on the interviewer side, which
rebuilds the candidate's variant from the truth (scenario, seed, family, sizes), measures it and
stores the outcomes in the session's truth in the store. The candidate needs minutes before a card
exists; grading (``ready``) waits for the process when it is still running (its pid is in the
session's folder) and measures in its own process when it is gone without storing them (a crash, a
reboot). The candidate's variant is deterministic from the truth, so either way the outcomes are
the same.

Nothing here runs on the candidate side: the process runs as the interviewer, reads and writes the
interviewer's store only, and writes nothing into the candidate folder.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import store
from .store import sessions

# How long grading waits for a running measurement before measuring in its own process.
WAIT_SECONDS = 300.0


def done(truth: dict) -> bool:
    """Does ``truth`` carry measured outcomes (a look-up for the grader)?"""
    return bool(((truth or {}).get("outcomes") or {}).get("worlds"))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished
    except (OSError, IndexError):
        return False


def _variant(truth: dict):
    """The candidate's variant and its scenario, rebuilt from the truth (``scenario_of``: its
    recorded file, else its name)."""
    import data_generators as dg
    from grading.measured import scenario_of
    rows = (truth.get("outcomes") or {}).get("candidate_rows")
    n_off, n_prod = rows if rows else (None, None)
    sc = scenario_of(truth)
    return dg.build_variant(sc, truth["seed"], family=truth["family"], n_offline=n_off, n_production=n_prod), sc


def _store(session_id: str, truth: dict, *, home) -> None:
    eng = store.engine(store.home(home))
    with eng.begin() as conn:
        conn.execute(sessions.update().where(sessions.c.id == session_id).values(truth=truth))


def _truth(session_id: str, *, home) -> dict:
    import sqlalchemy as sa
    eng = store.engine(store.home(home))
    with eng.connect() as conn:
        return conn.execute(sa.select(sessions.c.truth).where(sessions.c.id == session_id)).scalar_one()


def measure_now(session_id: str, *, home=None, workers: int | None = None) -> dict:
    """Measure the session's outcomes in this process and store them in its truth; returns the truth."""
    from grading.measured import measure
    truth = _truth(session_id, home=home)
    if done(truth):
        return truth
    variant, sc = _variant(truth)
    truth = {**truth, "outcomes": measure(variant, scenario=sc, workers=workers or min(2, os.cpu_count() or 1))}
    _store(session_id, truth, home=home)
    return truth


def _pidfile(session_id: str, *, home) -> Path:
    folder = store.home(home) / "sessions" / session_id
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder / "measuring.pid"


def start(session_id: str, *, home=None) -> int:
    """Start measuring the recorded session ``session_id`` in a detached process; returns its pid.

    Its pid and log go into the session's interviewer-side folder (``measuring.pid``, ``.log``)."""
    pidfile = _pidfile(session_id, home=home)
    folder = store.home(home)
    with open(pidfile.with_suffix(".log"), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "livescreen.sessions.measuring", session_id,
                                 "--home", str(folder)], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, cwd=str(folder))
    pidfile.write_text(str(proc.pid))
    # reap it when it ends (a long-lived caller, the service, would otherwise keep a zombie)
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc.pid


def ready(row: dict, *, home=None, wait: float = WAIT_SECONDS) -> dict:
    """``row`` with its truth's outcomes measured: read from the store when the background process
    stored them, waited for while it runs (at most ``wait`` seconds), else measured here."""
    if done(row["truth"]):
        return row
    try:
        pid = int(_pidfile(row["id"], home=home).read_text())
    except (OSError, ValueError):
        pid = None
    deadline = time.monotonic() + wait
    while pid and _alive(pid) and time.monotonic() < deadline:
        truth = _truth(row["id"], home=home)
        if done(truth):
            return {**row, "truth": truth}
        time.sleep(0.5)
    return {**row, "truth": measure_now(row["id"], home=home)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m livescreen.sessions.measuring",
                                description="measure a session's outcomes into its truth (started by `session new`)")
    p.add_argument("session_id")
    p.add_argument("--home", required=True, type=Path)
    a = p.parse_args(argv)
    measure_now(a.session_id, home=a.home)
    return 0


if __name__ == "__main__":  # pragma: no cover - the detached process
    sys.exit(main())
