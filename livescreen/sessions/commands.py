"""``livescreen session ...``, ``livescreen console``, ``livescreen calibrate`` and ``guide``: thin commands.

Each command calls one function of ``livescreen.sessions.session`` (or ``grading.calibration``) and
returns the lines to print (``livescreen.sessions.replies`` words the ones ``make demo`` prints too);
an error a user can cause prints one line and exits with code 2 (``livescreen.cli_common``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from livescreen.cli_common import UsageError, command, group

from . import replies


def errors() -> tuple:
    """What a session command's user can cause (one line, exit 2); imported when a command runs."""
    from grading.rubric import RubricError

    from .session import SessionError
    return SessionError, RubricError


def _ts(v) -> str:
    from .session import iso
    return (iso(v) or "-")[:16].replace("T", " ")


# ------------------------------------------------------------------------------ handlers
def cmd_new(args) -> str | list[str] | None:
    from .session import new_session
    out = new_session(scenario=args.scenario, candidate=args.candidate, interviewers=args.interviewer or (),
                      out=args.out, hub=args.hub, hub_user=args.hub_user, service_url=args.service_url, home=args.home,
                      start=args.start, n_offline=args.n_offline, n_production=args.n_production)
    return replies.new(out, service_url=args.service_url, started=args.start)


def cmd_list(args) -> str | list[str] | None:
    from .session import list_sessions
    rows = list_sessions(status=args.status, home=args.home)
    if args.json:
        return json.dumps(rows, indent=2, default=str)
    return [f"{'session':14s} {'status':7s} {'phase':11s} {'scenario':26s} {'created':17s} {'card':17s} candidate",
            *(f"{r['id']:14s} {r['status']:7s} {r['phase']:11s} {r['scenario']:26s} {_ts(r['created_at']):17s} "
              f"{_ts(r['card_at']):17s} {r['candidate']}" for r in rows)]


def cmd_show(args) -> str | list[str] | None:
    from .session import get, iso, ratings_for, timeline, timer
    row = get(args.id, home=args.home)
    t = timer(row)
    tl = timeline(args.id, home=args.home)
    out = {"id": row["id"], "candidate": row["candidate"], "scenario": row["scenario"], "status": row["status"],
           "interviewers": row["interviewers"], "folder": row["folder"], "hub_user": row["hub_user"],
           "created_at": iso(row["created_at"]), "started_at": iso(row["started_at"]),
           "closed_at": iso(row["closed_at"]), "timer": t, "card_committed_at": iso(row["card_at"]),
           "events": len(tl), "raters": ratings_for(args.id, home=args.home)["raters"],
           "planted": row["truth"].get("family") if row["card"] is not None or row["status"] != "open" else
           "(shown once the card is committed)"}
    if args.json:
        return json.dumps(out, indent=2, default=str)
    return [*(f"{k:18s} {v}" for k, v in out.items()),
            *(f"  {e['at'][11:19]}  {e['kind']:10s} {json.dumps(e['data'])[:100]}" for e in (tl[-args.last:] if args.last else []))]


def cmd_start(args) -> str | list[str] | None:
    from .session import start_session
    out = start_session(args.id, by=args.by, home=args.home)
    return f"{args.id} started at {out['started_at']}, phase {out['phase']}"


def cmd_phase(args) -> str | list[str] | None:
    from .session import next_phase
    out = next_phase(args.id, to=args.to, by=args.by, home=args.home)
    return f"{args.id} phase {out['phase']} from {out['at']}"


def cmd_hint(args) -> str | list[str] | None:
    from .session import add_hint
    return replies.hint(add_hint(args.id, _int(args.level, "hint level"), by=args.by, home=args.home))


def cmd_note(args) -> str | list[str] | None:
    from .session import add_note
    out = add_note(args.id, " ".join(args.text), by=args.by, home=args.home)
    return f"note logged at {out['at']}"


def _int(text, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise UsageError(f"bad {what} {text!r}: a whole number") from None


def parse_levels(values: list[str], dimensions: tuple[str, ...]) -> dict:
    """``["4", "3", ...]`` in the dimensions' order, or ``["use_of_evidence=3", ...]``; ``none`` = not evaluated."""
    def level(v: str, d: str):
        v = v.strip().lower()
        if v in ("none", "-", "na", "n/a"):
            return None
        if not v.isdigit():
            raise UsageError(f"{d}: {v!r} is not a level; use 1-5 or none")
        return int(v)
    if all("=" in v for v in values):
        return {k.strip(): level(v, k.strip()) for k, v in (x.split("=", 1) for x in values)}
    if any("=" in v for v in values):
        raise UsageError("give either every level as DIMENSION=LEVEL or all five levels in order, not a mix")
    if len(values) != len(dimensions):
        raise UsageError(f"give {len(dimensions)} levels in this order: {', '.join(dimensions)} (or DIMENSION=LEVEL)")
    return {d: level(v, d) for d, v in zip(dimensions, values)}


def cmd_rate(args) -> str | list[str] | None:
    from grading.rubric import load_rubric

    from .session import get, rate
    row = get(args.id, home=args.home)
    levels = parse_levels(args.levels, load_rubric(row["scenario"]).dimension_ids)
    return replies.rated(args.id, rate(args.id, rater=args.rater, levels=levels, comment=args.comment, home=args.home))


def cmd_close(args) -> str | list[str] | None:
    from .session import close
    return replies.closed(args.id, close(args.id, by=args.by, home=args.home))


def cmd_collect(args) -> str | list[str] | None:
    from .session import collect
    return f"collected into {collect(args.id, home=args.home)}"


def cmd_grade(args) -> str | list[str] | None:
    from .session import grade
    return replies.graded(args.id, grade(args.id, home=args.home))


def cmd_scorecard(args) -> str | list[str] | None:
    from grading.scorecard import to_csv

    from .session import get, scorecard
    cards = []
    for sid in args.ids:
        row = get(sid, home=args.home)
        cards.append(row["scorecard"] if row["status"] != "open" and row["scorecard"] else scorecard(sid, home=args.home))
    text = to_csv(cards) if args.format == "csv" else json.dumps(cards if len(cards) > 1 else cards[0], indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
        return f"wrote {args.out}"
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return None


def cmd_purge(args) -> str | list[str] | None:
    from .session import purge
    try:
        days = float(args.older_than)
    except ValueError:
        raise UsageError(f"--older-than {args.older_than!r}: a number of days") from None
    out = purge(older_than_days=days, session_id=args.id, home=args.home)
    kept = out["open_not_purged"]
    return [f"purged {len(out['purged'])} session(s)" + (": " + ", ".join(out["purged"]) if out["purged"] else ""),
            *([f"kept {len(kept)} open session(s) older than that: close them first ({', '.join(kept)})"] if kept else [])]


def cmd_console(args) -> str | list[str] | None:
    from . import service, store
    home = store.home(args.home)
    token = service.console_token(home, rotate=args.new_token)

    def ready(url):
        print(f"console     {url}?token={token}", flush=True)
        print("            (interviewers only; the token is kept in "
              f"{home / service.CONSOLE_FILE}, 0600; Ctrl-C stops the console)", flush=True)
    try:
        service.serve(home=home, ip=args.ip, port=args.port, token=token, ready=ready)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.ip}:{args.port} ({exc.strerror}): pick another --port") from None
    except KeyboardInterrupt:
        pass
    return None


def cmd_calibrate(args) -> str | list[str] | None:
    from grading.calibration import calibrate, format_report
    report = calibrate(args.ratings, boot=args.boot, seed=args.seed)
    return json.dumps(report, indent=2) if args.json else format_report(report)


def _calibration_errors() -> tuple:
    from grading.calibration import CalibrationError
    return (CalibrationError,)


def cmd_guide(args) -> str | list[str] | None:
    from .guide import write_guides
    return [f"wrote {p}" for p in write_guides(args.scenarios or None, out=Path(args.out))]


# ------------------------------------------------------------------------------ parsers
def add_parser(sub) -> None:
    """Add ``session``, ``console``, ``calibrate`` and ``guide`` to the ``livescreen`` subparsers."""
    home = {"help": "the interviewer's store (default $LIVESCREEN_HOME or ~/.livescreen)"}
    ss = group(sub, "session", dest="session_command",
               help="run an interview session: new, list, show, start, hint, rate, close, grade, purge")

    def cmd(name, fn, help_):
        p = command(ss, name, fn, help=help_, errors=errors)
        p.add_argument("--home", **home)
        return p

    p = cmd("new", cmd_new, "a session: secret seed, the variant, the candidate folder, the record")
    p.add_argument("--scenario", required=True)
    p.add_argument("--candidate", required=True, help="the candidate's id in your applicant tracking system")
    p.add_argument("--interviewer", action="append", help="an interviewer who will rate (repeat for a panel)")
    p.add_argument("--out", help="the local candidate folder (default ./candidates/<session id>)")
    p.add_argument("--hub", action="store_true", help="deliver into the candidate's hub home (as root; "
                   "`livescreen hub add-candidate ID` first) instead of a local folder")
    p.add_argument("--hub-user", help="a hub user (`livescreen hub add-candidate`) who reports to this session with their "
                   "own hub token: the folder is built locally and a copy delivered into their home (as root)")
    p.add_argument("--service-url", help="where the candidate's kernel reaches the service (default http://127.0.0.1:8765/)")
    p.add_argument("--start", action="store_true", help="start the phase clock now")
    p.add_argument("--n-offline", type=int, help=argparse_suppress())
    p.add_argument("--n-production", type=int, help=argparse_suppress())

    p = cmd("list", cmd_list, "the sessions, newest first")
    p.add_argument("--status", choices=["open", "closed"])
    p.add_argument("--json", action="store_true")

    p = cmd("show", cmd_show, "one session: phase timer, events, raters")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.add_argument("--last", type=int, default=10, help="print the last N events (default 10)")

    for name, fn, help_ in (("start", cmd_start, "start the phase clock"),
                            ("phase", cmd_phase, "move to the next phase (or --to PHASE)")):
        p = cmd(name, fn, help_)
        p.add_argument("id")
        p.add_argument("--by", help="your name")
        if name == "phase":
            p.add_argument("--to", choices=["brief", "explore", "card", "discussion"])

    p = cmd("hint", cmd_hint, "log a hint of the scenario's ladder (1-3) now")
    p.add_argument("id")
    p.add_argument("level")
    p.add_argument("--by", help="your name")

    p = cmd("note", cmd_note, "add a private note")
    p.add_argument("id")
    p.add_argument("text", nargs="+")
    p.add_argument("--by", help="your name")

    p = cmd("rate", cmd_rate, "your manual ratings: five levels in order, or DIMENSION=LEVEL (none = not evaluated)")
    p.add_argument("id")
    p.add_argument("levels", nargs="+")
    p.add_argument("--rater", required=True, help="your name")
    p.add_argument("--comment")

    p = cmd("close", cmd_close, "close the session and write its scorecard (JSON, HTML, CSV)")
    p.add_argument("id")
    p.add_argument("--by", help="your name")

    p = cmd("collect", cmd_collect, "copy the candidate folder into the store (with the service's first card)")
    p.add_argument("id")

    p = cmd("grade", cmd_grade, "collect, autograde with nbgrader, rewrite the scorecard")
    p.add_argument("id")

    p = cmd("scorecard", cmd_scorecard, "export scorecards as JSON or CSV (stable columns, candidate id)")
    p.add_argument("ids", nargs="+")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--out", help="write to this file instead of stdout")

    p = cmd("purge", cmd_purge, "delete closed sessions older than DAYS (folder, events, card copies, scorecards)")
    p.add_argument("--older-than", required=True, metavar="DAYS")
    p.add_argument("--id", help="only this session")

    c = command(sub, "console", cmd_console, help="the interviewers' console and session service on 127.0.0.1")
    c.add_argument("--port", type=int, default=8765)
    c.add_argument("--ip", default="127.0.0.1")
    c.add_argument("--home", **home)
    c.add_argument("--new-token", action="store_true", help="rotate the console token")

    k = command(sub, "calibrate", cmd_calibrate, errors=_calibration_errors, help="inter-rater agreement: Krippendorff's alpha per dimension, rater leniency")
    k.add_argument("ratings", nargs="+", help="rating files (JSON or CSV: session, rater, one column per dimension)")
    k.add_argument("--boot", type=int, default=1000, help="bootstrap resamples for the 95%% interval (default 1000)")
    k.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    k.add_argument("--json", action="store_true")

    g = command(sub, "guide", cmd_guide, errors=(ValueError,), help="write the interviewer guides docs/interviewer/<scenario>.md")
    g.add_argument("scenarios", nargs="*")
    g.add_argument("--out", default="docs/interviewer")


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS
