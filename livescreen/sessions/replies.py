"""What the session steps say back, as lines of text: the same for ``livescreen session ...`` and ``make demo``.

Each function takes what a ``livescreen.sessions.session`` function returned and gives the lines
an interviewer reads; printing them is the caller's (the command line prints them, so does the
demo, which calls the session functions directly).
"""
from __future__ import annotations

DEFAULT_SERVICE_URL = "http://127.0.0.1:8765/"


def new(out: dict, *, service_url: str | None = None, started: bool = False) -> list[str]:
    """After ``new_session``: the session, the candidate folder, the phases, where the kernel reports, what next."""
    lines = [f"session     {out['id']}  (candidate {out['candidate']}, scenario {out['scenario']})",
             f"candidate   {out['folder']}/" + (f"  (delivered into {out['hub_user']}'s hub home)"
                                                 if out["hub_user"] else ""),
             "phases      " + " / ".join(f"{p} {m:g}" for p, m in out["phases"]) + " minutes"]
    if out["token"]:
        lines.append(f"service     the candidate's kernel reports to {service_url or DEFAULT_SERVICE_URL} "
                     f"(token in {out['folder']}/.livescreen/service.json)")
    lines.append(f"next        livescreen console   # then open the session {out['id']}"
                 + ("" if started else " and press Start when the candidate joins"))
    return lines


def hint(out: dict) -> str:
    """After ``add_hint``."""
    return f"hint {out['data']['level']} logged at {out['at']}: {out['data']['text']}"


def rated(session_id: str, out: dict) -> str:
    """After ``rate``."""
    return (f"{out['rater']} rated {session_id}: "
            + ", ".join(f"{k}={v if v is not None else 'none'}" for k, v in out["levels"].items()))


def closed(session_id: str, out: dict) -> list[str]:
    """After ``close``: the total and the scorecard files."""
    return [f"{session_id} closed: total {out['total']:g} / 100", *scorecards(out)]


def graded(session_id: str, out: dict) -> list[str]:
    """After ``grade``: status, total, the autograded points after hints, flags and the scorecard files."""
    c = out["card"]
    return [f"{session_id}: {c['status']} {out['total']:g}/100 (autograded {c['autograded_after_hints']:g}/"
            f"{c['autograded_max']:g} after hints) flags={','.join(c['flags']) or '-'}", *scorecards(out)]


def scorecards(out: dict) -> list[str]:
    return [f"scorecard   {p}" for p in out["paths"].values()]
