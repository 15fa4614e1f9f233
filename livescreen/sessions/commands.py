"""``livescreen session ...``, ``livescreen console`` and ``livescreen calibrate``: thin commands.

Each command calls one function of ``livescreen.sessions.session`` (or ``grading.calibration``); an
error a user can cause prints one line and exits with code 2.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _usage(exc) -> Exception:
    from livescreen.cli import UsageError
    return UsageError(str(exc))


def _call(fn, *args, **kwargs):
    from grading.rubric import RubricError

    from .session import SessionError
    try:
        return fn(*args, **kwargs)
    except (SessionError, RubricError) as exc:
        raise _usage(exc) from None


def _ts(v) -> str:
    from .session import iso
    return (iso(v) or "-")[:16].replace("T", " ")


# ------------------------------------------------------------------------------ handlers
def cmd_new(args) -> int:
    from .session import new_session
    out = _call(new_session, scenario=args.scenario, candidate=args.candidate, interviewers=args.interviewer or (),
                out=args.out, hub=args.hub, hub_user=args.hub_user, service_url=args.service_url, home=args.home,
                start=args.start, n_offline=args.n_offline, n_production=args.n_production)
    print(f"session     {out['id']}  (candidate {out['candidate']}, scenario {out['scenario']})")
    print(f"candidate   {out['folder']}/" + (f"  (delivered into {out['hub_user']}'s hub home)" if out["hub_user"] else ""))
    print("phases      " + " / ".join(f"{p} {m:g}" for p, m in out["phases"]) + " minutes")
    if out["token"]:
        print(f"service     the candidate's kernel reports to {args.service_url or 'http://127.0.0.1:8765/'} "
              f"(token in {out['folder']}/.livescreen/service.json)")
    print(f"next        livescreen console   # then open the session {out['id']}"
          + ("" if args.start else " and press Start when the candidate joins"))
    return 0


def cmd_list(args) -> int:
    from .session import list_sessions
    rows = _call(list_sessions, status=args.status, home=args.home)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    print(f"{'session':14s} {'status':7s} {'phase':11s} {'scenario':26s} {'created':17s} {'card':17s} candidate")
    for r in rows:
        print(f"{r['id']:14s} {r['status']:7s} {r['phase']:11s} {r['scenario']:26s} {_ts(r['created_at']):17s} "
              f"{_ts(r['card_at']):17s} {r['candidate']}")
    return 0


def cmd_show(args) -> int:
    from .session import get, iso, ratings_for, timeline, timer
    row = _call(get, args.id, home=args.home)
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
        print(json.dumps(out, indent=2, default=str))
        return 0
    for k, v in out.items():
        print(f"{k:18s} {v}")
    for e in tl[-args.last:] if args.last else []:
        print(f"  {e['at'][11:19]}  {e['kind']:10s} {json.dumps(e['data'])[:100]}")
    return 0


def cmd_start(args) -> int:
    from .session import start_session
    out = _call(start_session, args.id, by=args.by, home=args.home)
    print(f"{args.id} started at {out['started_at']}, phase {out['phase']}")
    return 0


def cmd_phase(args) -> int:
    from .session import next_phase
    out = _call(next_phase, args.id, to=args.to, by=args.by, home=args.home)
    print(f"{args.id} phase {out['phase']} from {out['at']}")
    return 0


def cmd_hint(args) -> int:
    from .session import add_hint
    out = _call(add_hint, args.id, _int(args.level, "hint level"), by=args.by, home=args.home)
    print(f"hint {out['data']['level']} logged at {out['at']}: {out['data']['text']}")
    return 0


def cmd_note(args) -> int:
    from .session import add_note
    out = _call(add_note, args.id, " ".join(args.text), by=args.by, home=args.home)
    print(f"note logged at {out['at']}")
    return 0


def _int(text, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise _usage(f"bad {what} {text!r}: a whole number") from None


def parse_levels(values: list[str], dimensions: tuple[str, ...]) -> dict:
    """``["4", "3", ...]`` in the dimensions' order, or ``["use_of_evidence=3", ...]``; ``none`` = not evaluated."""
    def level(v: str, d: str):
        v = v.strip().lower()
        if v in ("none", "-", "na", "n/a"):
            return None
        if not v.isdigit():
            raise _usage(f"{d}: {v!r} is not a level; use 1-5 or none")
        return int(v)
    if all("=" in v for v in values):
        return {k.strip(): level(v, k.strip()) for k, v in (x.split("=", 1) for x in values)}
    if any("=" in v for v in values):
        raise _usage("give either every level as DIMENSION=LEVEL or all five levels in order, not a mix")
    if len(values) != len(dimensions):
        raise _usage(f"give {len(dimensions)} levels in this order: {', '.join(dimensions)} (or DIMENSION=LEVEL)")
    return {d: level(v, d) for d, v in zip(dimensions, values)}


def cmd_rate(args) -> int:
    from grading.rubric import load_rubric

    from .session import get, rate
    row = _call(get, args.id, home=args.home)
    levels = parse_levels(args.levels, load_rubric(row["scenario"]).dimension_ids)
    out = _call(rate, args.id, rater=args.rater, levels=levels, comment=args.comment, home=args.home)
    print(f"{out['rater']} rated {args.id}: " + ", ".join(f"{k}={v if v is not None else 'none'}" for k, v in out["levels"].items()))
    return 0


def cmd_close(args) -> int:
    from .session import close
    out = _call(close, args.id, by=args.by, home=args.home)
    print(f"{args.id} closed: total {out['total']:g} / 100")
    for k, p in out["paths"].items():
        print(f"scorecard   {p}")
    return 0


def cmd_collect(args) -> int:
    from .session import collect
    print(f"collected into {_call(collect, args.id, home=args.home)}")
    return 0


def cmd_grade(args) -> int:
    from .session import grade
    out = _call(grade, args.id, home=args.home)
    c = out["card"]
    print(f"{args.id}: {c['status']} {out['total']:g}/100 (autograded {c['autograded_after_hints']:g}/"
          f"{c['autograded_max']:g} after hints) flags={','.join(c['flags']) or '-'}")
    for k, p in out["paths"].items():
        print(f"scorecard   {p}")
    return 0


def cmd_scorecard(args) -> int:
    from grading.scorecard import to_csv

    from .session import get, scorecard
    cards = []
    for sid in args.ids:
        row = _call(get, sid, home=args.home)
        cards.append(row["scorecard"] if row["status"] != "open" and row["scorecard"] else _call(scorecard, sid, home=args.home))
    text = to_csv(cards) if args.format == "csv" else json.dumps(cards if len(cards) > 1 else cards[0], indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_purge(args) -> int:
    from .session import purge
    try:
        days = float(args.older_than)
    except ValueError:
        raise _usage(f"--older-than {args.older_than!r}: a number of days") from None
    out = _call(purge, older_than_days=days, session_id=args.id, home=args.home)
    print(f"purged {len(out['purged'])} session(s)" + (": " + ", ".join(out["purged"]) if out["purged"] else ""))
    if out["open_not_purged"]:
        print(f"kept {len(out['open_not_purged'])} open session(s) older than that: close them first "
              f"({', '.join(out['open_not_purged'])})")
    return 0


def cmd_console(args) -> int:
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
        raise _usage(f"cannot listen on {args.ip}:{args.port} ({exc.strerror}): pick another --port") from None
    except KeyboardInterrupt:
        pass
    return 0


def cmd_calibrate(args) -> int:
    from grading.calibration import CalibrationError, calibrate, format_report
    try:
        report = calibrate(args.ratings, boot=args.boot, seed=args.seed)
    except CalibrationError as exc:
        raise _usage(exc) from None
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_guide(args) -> int:
    from .guide import write_guides
    try:
        paths = write_guides(args.scenarios or None, out=Path(args.out))
    except ValueError as exc:
        raise _usage(exc) from None
    for p in paths:
        print(f"wrote {p}")
    return 0


# ------------------------------------------------------------------------------ parsers
def add_parser(sub) -> None:
    """Add ``session``, ``console``, ``calibrate`` and ``guide`` to the ``livescreen`` subparsers."""
    home = {"help": "the interviewer's store (default $LIVESCREEN_HOME or ~/.livescreen)"}
    s = sub.add_parser("session", help="run an interview session: new, list, show, start, hint, rate, close, grade, purge")
    ss = s.add_subparsers(dest="session_command", required=True, parser_class=type(s))

    def cmd(name, fn, help_):
        p = ss.add_parser(name, help=help_)
        p.add_argument("--home", **home)
        p.set_defaults(func=fn)
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

    c = sub.add_parser("console", help="the interviewers' console and session service on 127.0.0.1")
    c.add_argument("--port", type=int, default=8765)
    c.add_argument("--ip", default="127.0.0.1")
    c.add_argument("--home", **home)
    c.add_argument("--new-token", action="store_true", help="rotate the console token")
    c.set_defaults(func=cmd_console)

    k = sub.add_parser("calibrate", help="inter-rater agreement: Krippendorff's alpha per dimension, rater leniency")
    k.add_argument("ratings", nargs="+", help="rating files (JSON or CSV: session, rater, one column per dimension)")
    k.add_argument("--boot", type=int, default=1000, help="bootstrap resamples for the 95%% interval (default 1000)")
    k.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_calibrate)

    g = sub.add_parser("guide", help="write the interviewer guides docs/interviewer/<scenario>.md")
    g.add_argument("scenarios", nargs="*")
    g.add_argument("--out", default="docs/interviewer")
    g.set_defaults(func=cmd_guide)


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS
