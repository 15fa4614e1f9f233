"""``livescreen hub ...``: a thin command line over livescreen.hub's functions.

Each handler calls one function and returns the lines to print (``livescreen.cli_common``); a
``HubError`` prints one line and exits with code 2 (``livescreen.cli.main``).
"""
from __future__ import annotations

import json
import signal
from pathlib import Path

from livescreen.cli_common import command, group, parse_seed


def _start(args) -> str | list[str] | None:
    from .server import start_hub
    from .users import logins
    interviewers = [n for n, r in logins().items() if r == "interviewer"]
    hub = start_hub(port=args.port, interviewers=interviewers)
    print(f"JupyterHub is up at {hub.url}/hub/login (state in {hub.state}, log {hub.log}); Ctrl-C stops it")
    if not interviewers:
        print("no interviewer login yet: `livescreen hub add-interviewer NAME` (hub admin)")
    try:
        signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        hub.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return None


def _add_candidate(args) -> str | list[str] | None:
    from .users import add_candidate, link_path, set_link
    name, password = add_candidate(args.id)
    link = link_path(name, set_link(name))
    return [f"candidate {name}: Unix user with a private home; hub login {name} / {password}",
            f"one-time login link (valid 24 h, opens once): <hub address, e.g. http://127.0.0.1:8000>{link}",
            "hand them to the candidate only (neither is stored; `add-candidate` again gives new ones)"]


def _add_interviewer(args) -> str | list[str] | None:
    from .users import add_interviewer
    password = add_interviewer(args.name)
    return [f"interviewer {args.name} (hub admin, group interviewers): password {password}",
            "restart the hub for a new interviewer to become admin"]


def _remove(args) -> str | list[str] | None:
    from .users import remove_candidate
    return f"removed {remove_candidate(args.id)} (login, Unix user, home)"


def _list(args) -> str | list[str] | None:
    from .users import logins
    return [f"{name}\t{role}" for name, role in logins().items()]


def _deliver(args) -> str | list[str] | None:
    from .exchange import deliver
    dest = deliver(args.id, scenario=args.scenario, seed=parse_seed(args.seed))
    return f"delivered {args.scenario} to {dest} (owned by the candidate; the truth stays in the store)"


def _collect(args) -> str | list[str] | None:
    from .exchange import collect
    return f"collected into {collect(args.id, scenario=args.scenario)}"


def _grade(args) -> str | list[str] | None:
    from grading.grader import grade
    from .exchange import collect, truth_file
    from .users import candidate_name
    sub = collect(args.id, scenario=args.scenario)
    card = json.loads(Path(args.first_card).read_text()) if args.first_card else None
    res = grade(sub, truth_file(args.id), run_as=candidate_name(args.id), first_card=card)
    return json.dumps({k: res.to_dict()[k] for k in ("status", "total", "max", "flags", "detail")}, indent=1)


def add_parser(subparsers) -> None:
    """The ``hub`` command group."""
    sub = group(subparsers, "hub", dest="hub_command",
                help="the shared JupyterHub: start it, add candidates, deliver and collect")
    s = command(sub, "start", _start, help="run the hub on 127.0.0.1 (as root; what `make hub` runs)")
    s.add_argument("--port", type=int, default=8000)
    command(sub, "add-candidate", _add_candidate, help="a Unix user lsc-ID with a private home and a hub password"
            ).add_argument("id")
    command(sub, "add-interviewer", _add_interviewer, help="a hub admin login (group interviewers)").add_argument("name")
    command(sub, "remove-candidate", _remove, help="remove the candidate's login, Unix user and home").add_argument("id")
    command(sub, "list", _list, help="every login and its role")
    d = command(sub, "deliver", _deliver, help="build a variant for the candidate and put it in their home")
    d.add_argument("id")
    d.add_argument("scenario")
    d.add_argument("--seed", required=True, help="the variant's seed (keep it secret)")
    c = command(sub, "collect", _collect, help="copy the candidate's folder into the grader-only store")
    c.add_argument("id")
    c.add_argument("--scenario")
    g = command(sub, "grade", _grade, help="collect, then grade with candidate cells run as the candidate")
    g.add_argument("id")
    g.add_argument("--scenario")
    g.add_argument("--first-card", help="the session service's first card (JSON)")
