"""``livescreen hub ...``: a thin command line over livescreen.hub's functions."""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path


def _start(args) -> int:
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
    return 0


def _add_candidate(args) -> int:
    from .users import add_candidate
    name, password = add_candidate(args.id)
    print(f"candidate {name}: Unix user with a private home; hub login {name} / {password}")
    print("hand the password to the candidate only (it is not stored; `add-candidate` again gives a new one)")
    return 0


def _add_interviewer(args) -> int:
    from .users import add_interviewer
    password = add_interviewer(args.name)
    print(f"interviewer {args.name} (hub admin, group interviewers): password {password}")
    print("restart the hub for a new interviewer to become admin")
    return 0


def _remove(args) -> int:
    from .users import remove_candidate
    print(f"removed {remove_candidate(args.id)} (login, Unix user, home)")
    return 0


def _list(args) -> int:
    from .users import logins
    for name, role in logins().items():
        print(f"{name}\t{role}")
    return 0


def _deliver(args) -> int:
    from livescreen.cli import parse_seed
    from .exchange import deliver
    dest = deliver(args.id, scenario=args.scenario, seed=parse_seed(args.seed))
    print(f"delivered {args.scenario} to {dest} (owned by the candidate; the truth stays in the store)")
    return 0


def _collect(args) -> int:
    from .exchange import collect
    print(f"collected into {collect(args.id, scenario=args.scenario)}")
    return 0


def _grade(args) -> int:
    from grading.grader import grade
    from .exchange import collect, truth_file
    from .users import candidate_name
    sub = collect(args.id, scenario=args.scenario)
    card = json.loads(Path(args.first_card).read_text()) if args.first_card else None
    res = grade(sub, truth_file(args.id), run_as=candidate_name(args.id), first_card=card)
    print(json.dumps({k: res.to_dict()[k] for k in ("status", "total", "max", "flags", "detail")}, indent=1))
    return 0


def add_parser(subparsers) -> None:
    """The ``hub`` command group."""
    h = subparsers.add_parser("hub", help="the shared JupyterHub: start it, add candidates, deliver and collect")
    sub = h.add_subparsers(dest="hub_command", required=True, parser_class=type(h))
    s = sub.add_parser("start", help="run the hub on 127.0.0.1 (as root; what `make hub` runs)")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=_start)
    a = sub.add_parser("add-candidate", help="a Unix user lsc-ID with a private home and a hub password")
    a.add_argument("id")
    a.set_defaults(func=_add_candidate)
    i = sub.add_parser("add-interviewer", help="a hub admin login (group interviewers)")
    i.add_argument("name")
    i.set_defaults(func=_add_interviewer)
    r = sub.add_parser("remove-candidate", help="remove the candidate's login, Unix user and home")
    r.add_argument("id")
    r.set_defaults(func=_remove)
    ls = sub.add_parser("list", help="every login and its role")
    ls.set_defaults(func=_list)
    d = sub.add_parser("deliver", help="build a variant for the candidate and put it in their home")
    d.add_argument("id")
    d.add_argument("scenario")
    d.add_argument("--seed", required=True, help="the variant's seed (keep it secret)")
    d.set_defaults(func=_deliver)
    c = sub.add_parser("collect", help="copy the candidate's folder into the grader-only store")
    c.add_argument("id")
    c.add_argument("--scenario")
    c.set_defaults(func=_collect)
    g = sub.add_parser("grade", help="collect, then grade with candidate cells run as the candidate")
    g.add_argument("id")
    g.add_argument("--scenario")
    g.add_argument("--first-card", help="the session service's first card (JSON)")
    g.set_defaults(func=_grade)
