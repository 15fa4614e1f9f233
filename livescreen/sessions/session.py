"""A session: one candidate, one scenario variant, one interview, from ``new`` to ``purge``.

Every function here is plain Python over the store (``livescreen.sessions.store``); the command line
(``livescreen session ...``), the session service and the console call them, so they behave the same
whichever process runs them, and everything survives a restart of any of them.

What a session plants and keeps where
-------------------------------------
``new_session`` draws a secret seed (63 random bits from ``secrets``: never printed to the
candidate, never derived from the candidate id), builds that variant and writes the candidate
folder (the released notebook, the data and ``schema.json``; never the truth). The truth, the seed
and the session record stay in the interviewer's store. Locally the candidate folder is a folder on
this machine and the candidate's kernel reaches the service with a per-session token kept in the
folder's ``.livescreen/service.json`` (only its hash is stored); on the hub the folder goes into the
candidate's home (``livescreen.hub``) and the candidate is identified by their own hub token.

Phases
------
brief, explore, card, discussion (default 3 / 12 / 5 / 5 minutes; a scenario YAML may set its own
under ``session: {phases: {explore: 10, ...}}``), then closed. The interviewer moves on; the timer
shows the minutes left in the current phase and when it overran.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from . import store
from .store import audit, events, ratings, sessions

PHASES = ("brief", "explore", "card", "discussion")
DEFAULT_MINUTES = {"brief": 3, "explore": 12, "card": 5, "discussion": 5}
CANDIDATE_KINDS = ("cell", "explorer", "card", "experiment")
INTERVIEWER_KINDS = ("hint", "note", "phase", "start", "close")
SERVICE_FILE = Path(".livescreen") / "service.json"
DEFAULT_SERVICE_URL = "http://127.0.0.1:8765/"
MAX_TEXT = 20_000
CARD_FILE = "first_experiment.json"


class SessionError(ValueError):
    """Something a user asked that cannot be done; the message says what was wrong and how to fix it."""


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    if t.tzinfo is None:  # SQLite hands back naive datetimes: they were stored in UTC
        t = t.replace(tzinfo=timezone.utc)
    return t.isoformat(timespec="milliseconds")


def _aware(t: datetime | None) -> datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=timezone.utc))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------------------ phases
def phase_plan(scenario: str) -> list[list]:
    """``[[phase, minutes], ...]``: the defaults, with the scenario YAML's ``session.phases`` over them."""
    from data_generators import load_scenario
    spec = load_scenario(scenario).spec
    custom = ((spec.get("session") or {}).get("phases") or {}) if isinstance(spec.get("session"), dict) else {}
    plan = []
    for name in PHASES:
        minutes = custom.get(name, DEFAULT_MINUTES[name])
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 120:
            raise SessionError(f"scenario {scenario}: session.phases.{name} must be minutes from 1 to 120, got {minutes!r}")
        plan.append([name, minutes])
    return plan


def timer(row, *, at: datetime | None = None) -> dict:
    """The phase timer: the phase, minutes left in it (negative once it overran) and a nudge."""
    at = at or now()
    plan = dict((p, m) for p, m in row["phases"])
    order = [p for p, _ in row["phases"]]
    if row["status"] != "open":
        return {"phase": "closed", "minutes_left": None, "overrun": False, "nudge": None, "elapsed_minutes": None,
                "plan": row["phases"]}
    if row["started_at"] is None:
        return {"phase": "not started", "minutes_left": None, "overrun": False, "plan": row["phases"],
                "elapsed_minutes": None, "nudge": "Start the session when the candidate has joined."}
    phase = row["phase"]
    in_phase = (at - _aware(row["phase_started_at"])).total_seconds() / 60
    left = plan[phase] - in_phase
    overrun = left < 0
    nxt = order[order.index(phase) + 1] if order.index(phase) + 1 < len(order) else "close"
    nudge = (f"{phase} overran by {-left:.0f} min: move on to {nxt}" if overrun
             else f"{left:.0f} min left in {phase}" if left >= 1 else f"under a minute left in {phase}")
    return {"phase": phase, "minutes_left": round(left, 1), "overrun": overrun, "nudge": nudge,
            "elapsed_minutes": round((at - _aware(row["started_at"])).total_seconds() / 60, 1),
            "plan": row["phases"], "next": nxt}


# ------------------------------------------------------------------------------ the store
def _db(home=None):
    folder = store.home(home)
    return folder, store.engine(folder)


def _get(conn, session_id: str):
    row = conn.execute(sa.select(sessions).where(sessions.c.id == session_id)).mappings().first()
    if row is None:
        raise SessionError(f"no session {session_id!r}: `livescreen session list` shows the sessions")
    return row


def get(session_id: str, *, home=None) -> dict:
    """The session record (with the truth: interviewer side only)."""
    _, eng = _db(home)
    with eng.connect() as conn:
        return dict(_get(conn, session_id))


def session_folder(session_id: str, *, home=None) -> Path:
    """The interviewer-side folder of one session: collected copy, scorecards."""
    folder = store.home(home) / "sessions" / session_id
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


# ------------------------------------------------------------------------------ new
def _secret_seed() -> int:
    return secrets.randbits(63)


def new_session(*, scenario: str, candidate: str, interviewers=(), out: str | Path | None = None,
                hub: bool = False, hub_user: str | None = None, service_url: str | None = None, home=None,
                n_offline: int | None = None, n_production: int | None = None, start: bool = False,
                measure: str | bool = "background") -> dict:
    """Create a session: a secret seed, the variant, the candidate folder, the record.

    At the scenario's live size (``n_offline`` and ``n_production`` left out) the seed is one whose
    variant passes validation (``data_generators.variant.verified_seed``): the pool draws the family,
    and a seed of that family whose failure would not be findable, or whose decoy would resolve it,
    is replaced by another of the same family.

    Parameters
    ----------
    scenario : a shipped scenario name.
    candidate : the candidate's id in your applicant tracking system (kept interviewer-side only).
    interviewers : the names of the interviewers who will rate.
    out : the local candidate folder (default ``./candidates/<session id>``). Replaced whole.
    hub : deliver into the candidate's hub home instead (``livescreen.hub.exchange.deliver``; the
        candidate was added with ``livescreen hub add-candidate ID``, and ID is ``candidate``).
    hub_user : a hub user (``lsc-<id>``, added with ``livescreen hub add-candidate``) whose own hub
        token reports to this session; the folder is built as for a local session (``out``) and a
        copy is delivered into that user's home (``livescreen.hub.exchange.deliver_folder``, as
        root). Unlike ``hub``, ``candidate`` stays the applicant tracking system's id.
    service_url : where the candidate's kernel reaches the session service (local mode).
    start : start the phase clock now (else the interviewer starts it from the console or CLI).
    measure : when to measure every catalogue experiment's outcome in the candidate's world and its
        rivals' into the truth (``grading.measured``), so grading is a look-up: ``"background"``
        (default: after the folder is delivered and the session recorded, in a detached process on
        the interviewer side, ``livescreen.sessions.measuring``), ``"now"`` (before returning), or
        False (at the first grading).

    Returns
    -------
    dict
        ``id``, ``candidate``, ``scenario``, ``folder``, ``phases`` and, in local mode, ``token``
        (also written to the folder's ``.livescreen/service.json`` for the candidate's kernel).
        Never the seed or the truth.
    """
    from livescreen.notebooks import candidate_folder
    if not str(candidate or "").strip():
        raise SessionError("--candidate is empty: give the candidate's id from your applicant tracking system")
    if len(candidate) > 200:
        raise SessionError("--candidate is longer than 200 characters: use the applicant tracking system's id")
    names = [str(n).strip() for n in interviewers if str(n).strip()]
    plan = phase_plan(scenario)
    folder, eng = _db(home)
    session_id = "s-" + secrets.token_hex(5)
    # the secret: from the OS's generator, unrelated to the candidate id; at the live size, a seed
    # whose variant passes validation (its family drawn as any seed draws it: verified_seed)
    if n_offline is None and n_production is None:
        from data_generators.errors import ScenarioError
        from data_generators.variant import verified_seed
        try:
            seed = verified_seed(scenario, draw=_secret_seed)
        except ScenarioError as exc:
            raise SessionError(str(exc)) from None
    else:  # a size of the interviewer's choosing: the validator's figures hold at the live size only
        seed = _secret_seed()
    if hub and hub_user:
        raise SessionError("give --hub (the candidate id is the hub login) or --hub-user USER, not both")
    if hub_user and os.geteuid() != 0:
        raise SessionError("--hub-user delivers into the candidate's hub home, which needs root: run it with sudo")
    token = None
    if measure not in ("background", "now", True, False):
        raise SessionError(f"measure must be 'background', 'now' or False, got {measure!r}")
    now_ = measure in ("now", True)
    if hub:
        out, truth, hub_user = _deliver_to_hub(candidate.strip(), scenario=scenario, seed=seed, measure=now_,
                                               n_offline=n_offline, n_production=n_production)
    else:
        out = Path(out) if out else Path("candidates") / session_id
        out = out.resolve()
        if out == folder or folder in out.parents:
            raise SessionError(f"--out {out} is inside the interviewer's store {folder}: put the candidate folder elsewhere")
        truth_file = session_folder(session_id, home=folder) / "truth.json"
        try:
            candidate_folder(scenario, seed=seed, out=out, truth=truth_file, n_offline=n_offline,
                             n_production=n_production, measure=now_)
            truth = json.loads(truth_file.read_text())
        finally:
            truth_file.unlink(missing_ok=True)  # the truth lives in the database, not in a loose file
        token = secrets.token_urlsafe(24)
        (out / SERVICE_FILE).parent.mkdir(exist_ok=True)
        (out / SERVICE_FILE).write_text(json.dumps({"url": service_url or DEFAULT_SERVICE_URL, "token": token,
                                                    "folder": str(out)}))
        os.chmod(out / SERVICE_FILE, 0o600)
        if hub_user:
            try:
                out, hub_user = _deliver_folder_to_hub(out, user=hub_user)
            except SessionError:
                shutil.rmtree(out, ignore_errors=True)  # nothing half-made: no session, no stray folder
                raise
            token = None  # the hub user's own token identifies them
    t = now()
    row = {"id": session_id, "candidate": candidate.strip(), "scenario": scenario, "seed": seed, "truth": truth,
           "interviewers": names, "phases": plan, "status": "open", "phase": PHASES[0],
           "created_at": t, "folder": str(out), "hub_user": hub_user,
           "token_hash": token_hash(token) if token else None}
    with eng.begin() as conn:
        conn.execute(sessions.insert().values(**row))
    if measure == "background":
        from .measuring import start as start_measuring
        start_measuring(session_id, home=folder)
    if start:
        start_session(session_id, home=folder)
    return {"id": session_id, "candidate": row["candidate"], "scenario": scenario, "folder": str(out),
            "phases": plan, "token": token, "hub_user": hub_user, "interviewers": names}


def _hub_error():
    try:
        from livescreen.hub.users import HubError
        return HubError
    except ImportError:  # pragma: no cover - the hub part ships with the kit
        return ()


def _deliver_to_hub(candidate: str, *, scenario: str, seed: int, measure: bool = True,
                    n_offline: int | None = None, n_production: int | None = None) -> tuple[Path, dict, str]:
    """Deliver the variant into the candidate's hub home (``livescreen.hub.exchange``, as root).

    Returns the delivered folder, the truth (read from the hub's grader-only store) and the hub user.
    """
    try:
        from livescreen.hub.exchange import deliver, truth_file
        from livescreen.hub.users import candidate_name
    except ImportError:
        raise SessionError("delivery into a hub home needs livescreen.hub, which this install lacks: "
                           "leave out --hub to make a local folder") from None
    try:
        user = candidate_name(candidate)
        dest = deliver(candidate, scenario=scenario, seed=seed, measure=measure, n_offline=n_offline,
                       n_production=n_production)
        truth = json.loads(truth_file(candidate).read_text())
    except _hub_error() as exc:
        raise SessionError(str(exc)) from None
    except PermissionError:
        raise SessionError("delivering into a hub home needs root (the folder is chowned to the candidate)") from None
    return dest, truth, user


def _deliver_folder_to_hub(folder: Path, *, user: str) -> tuple[Path, str]:
    """Copy a built candidate folder into hub user ``user``'s home (as root).

    Returns the delivered folder and the hub user's name as the hub knows it (``lsc-<id>``).
    """
    try:
        from livescreen.hub.exchange import deliver_folder
    except ImportError:
        raise SessionError("--hub-user needs livescreen.hub, which this install lacks: leave it out") from None
    try:
        dest = deliver_folder(folder, user=user)
        return dest, pwd.getpwuid(dest.stat().st_uid).pw_name
    except _hub_error() as exc:
        raise SessionError(str(exc)) from None
    except (PermissionError, KeyError):
        raise SessionError(f"delivering into {user}'s hub home needs root and the user "
                           "(`livescreen hub add-candidate`)") from None


# ------------------------------------------------------------------------------ lookups
def list_sessions(*, status: str | None = None, home=None) -> list[dict]:
    """Every session, newest first, without the truth."""
    _, eng = _db(home)
    q = sa.select(sessions.c.id, sessions.c.candidate, sessions.c.scenario, sessions.c.status,
                  sessions.c.phase, sessions.c.created_at, sessions.c.started_at, sessions.c.closed_at,
                  sessions.c.card_at, sessions.c.interviewers).order_by(sessions.c.created_at.desc())
    if status:
        q = q.where(sessions.c.status == status)
    with eng.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def session_for_token(token: str, *, home=None) -> str | None:
    """The open session a local candidate token belongs to."""
    _, eng = _db(home)
    with eng.connect() as conn:
        return conn.execute(sa.select(sessions.c.id).where(sessions.c.token_hash == token_hash(token))
                            .where(sessions.c.status == "open")).scalar()


def session_for_hub_user(user: str, *, home=None) -> str | None:
    """The newest open session of a hub user."""
    _, eng = _db(home)
    with eng.connect() as conn:
        return conn.execute(sa.select(sessions.c.id).where(sessions.c.hub_user == user)
                            .where(sessions.c.status == "open").order_by(sessions.c.created_at.desc())).scalar()


def timeline(session_id: str, *, after: int = 0, home=None, include_private: bool = True) -> list[dict]:
    """Events in arrival order (``id`` > ``after``); notes only when ``include_private``."""
    _, eng = _db(home)
    q = sa.select(events).where(events.c.session_id == session_id).where(events.c.id > after).order_by(events.c.id)
    if not include_private:
        q = q.where(events.c.kind != "note")
    with eng.connect() as conn:
        return [{"id": r["id"], "kind": r["kind"], "at": iso(r["at"]), "client_at": r["client_at"],
                 "source": r["source"], "author": r["author"], **{"data": r["data"]}}
                for r in conn.execute(q).mappings()]


# ------------------------------------------------------------------------------ events
def _check_open(row) -> None:
    if row["status"] != "open":
        raise SessionError(f"session {row['id']} is {row['status']}: nothing more can be recorded")


def _clean(data) -> dict:
    if not isinstance(data, dict):
        raise SessionError("an event's data must be a JSON object")
    text = json.dumps(data, default=str)
    if len(text) > MAX_TEXT:
        raise SessionError(f"an event is {len(text)} characters; at most {MAX_TEXT}")
    return json.loads(text)


def _uid(uid) -> str | None:
    return str(uid)[:64] if uid else None


def _existing(conn, session_id: str, uid: str):
    return conn.execute(sa.select(events).where(events.c.session_id == session_id)
                        .where(events.c.uid == uid)).mappings().first()


def _add_event(conn, session_id: str, kind: str, t, data: dict, *, source: str = "candidate",
               author: str | None = None, uid: str | None = None, client_at: str | None = None) -> int:
    """Insert one event row stamped ``t``; returns its id (a repeated ``uid`` raises IntegrityError)."""
    return conn.execute(events.insert().values(session_id=session_id, kind=kind, at=t, source=source, author=author,
                                               uid=uid, data=data,
                                               client_at=str(client_at)[:40] if client_at else None)
                        ).inserted_primary_key[0]


def _once(home, session_id: str, uid: str | None, write, *, again):
    """Record something sent by a client once, even when the send is retried.

    ``write(conn, row, t)`` runs in one transaction on the open session ``row`` at the server's time
    ``t`` and returns the reply. When the event's ``uid`` is already recorded (the first reply was
    lost), the insert fails, the transaction rolls back, and ``again(conn, old_event)`` gives the
    reply for the event recorded the first time.
    """
    _, eng = _db(home)
    try:
        with eng.begin() as conn:
            row = _get(conn, session_id)
            _check_open(row)
            return write(conn, row, now())
    except sa.exc.IntegrityError:
        if uid is None:
            raise
        with eng.connect() as conn:
            return again(conn, _existing(conn, session_id, uid))


def record_event(session_id: str, kind: str, data: dict | None = None, *, source: str = "candidate",
                 author: str | None = None, client_at: str | None = None, uid: str | None = None,
                 home=None) -> dict:
    """Append one event to the timeline, stamped with the server's clock.

    Candidate kinds: ``cell`` (label, error), ``explorer`` (which, value), ``experiment`` (type; marked
    ``before_card`` when no card was committed yet), ``card`` (use :func:`record_card`). Interviewer
    kinds: ``hint``, ``note``, ``phase``, ``start``, ``close``. ``uid`` (the sender's id for this
    event) makes a retried send idempotent: the event is recorded once.
    """
    allowed = CANDIDATE_KINDS if source == "candidate" else INTERVIEWER_KINDS
    if kind not in allowed:
        raise SessionError(f"unknown event kind {kind!r} from the {source}; allowed: {', '.join(allowed)}")
    data = _clean(data or {})
    uid = _uid(uid)

    def write(conn, row, t):
        if kind == "experiment":
            data["before_card"] = row["card"] is None
        eid = _add_event(conn, session_id, kind, t, data, source=source, author=author, uid=uid,
                         client_at=client_at)
        return {"id": eid, "kind": kind, "at": iso(t), "data": data}

    def again(conn, old):
        return {"id": old["id"], "kind": old["kind"], "at": iso(old["at"]), "data": old["data"], "repeated": True}
    return _once(home, session_id, uid, write, again=again)


def record_card(session_id: str, card, *, client_at: str | None = None, uid: str | None = None,
                home=None) -> dict:
    """Record a card commit. The FIRST one is the session's card; a later commit never replaces it.

    Returns ``{"committed_at", "first", "first_committed_at"}``: the server's time of this commit,
    whether it became the first card, and when the first card was committed. A commit sent again
    with the same ``uid`` (its reply was lost) gets the same answer and is recorded once.
    """
    from livescreen.toolkit.card import CardError, check_card
    try:
        card = check_card(card)
    except CardError as exc:
        raise SessionError(f"the card is not complete: {exc}") from None
    uid = _uid(uid)

    def write(conn, row, t):
        # the event first: a repeated uid fails here and rolls the whole commit back
        eid = _add_event(conn, session_id, "card", t, {"first": False, "card": card}, uid=uid, client_at=client_at)
        # One UPDATE guarded by "card IS NULL": two commits racing cannot both become first.
        first = conn.execute(sessions.update().where(sessions.c.id == session_id)
                             .where(sessions.c.card.is_(None)).values(card=card, card_at=t)).rowcount == 1
        if first:
            conn.execute(events.update().where(events.c.id == eid).values(data={"first": True, "card": card}))
        first_at = t if first else _aware(row["card_at"])
        return {"committed_at": iso(t), "first": first, "first_committed_at": iso(first_at)}

    def again(conn, old):
        row = _get(conn, session_id)
        return {"committed_at": iso(old["at"]), "first": bool(old["data"].get("first")),
                "first_committed_at": iso(row["card_at"])}
    return _once(home, session_id, uid, write, again=again)


def start_session(session_id: str, *, by: str | None = None, home=None) -> dict:
    """Start the phase clock (the time to the first card is measured from here)."""
    _, eng = _db(home)
    with eng.begin() as conn:
        row = _get(conn, session_id)
        _check_open(row)
        if row["started_at"] is not None:
            raise SessionError(f"session {session_id} started at {iso(row['started_at'])} already")
        t = now()
        first = row["phases"][0][0]
        conn.execute(sessions.update().where(sessions.c.id == session_id)
                     .values(started_at=t, phase=first, phase_started_at=t))
        conn.execute(events.insert().values(session_id=session_id, kind="start", at=t, source="interviewer",
                                            author=by, data={"phase": first}))
    return {"started_at": iso(t), "phase": first}


def next_phase(session_id: str, *, to: str | None = None, by: str | None = None, home=None) -> dict:
    """Move to the next phase (or to ``to``); after discussion, close the session."""
    _, eng = _db(home)
    with eng.begin() as conn:
        row = _get(conn, session_id)
        _check_open(row)
        if row["started_at"] is None:
            raise SessionError(f"session {session_id} has not started: `livescreen session start {session_id}`")
        order = [p for p, _ in row["phases"]]
        if to is None:
            i = order.index(row["phase"]) + 1
            if i >= len(order):
                raise SessionError(f"{row['phase']} is the last phase: close the session "
                                   f"(`livescreen session close {session_id}`)")
            to = order[i]
        if to not in order:
            raise SessionError(f"unknown phase {to!r}; phases: {', '.join(order)}")
        t = now()
        conn.execute(sessions.update().where(sessions.c.id == session_id).values(phase=to, phase_started_at=t))
        conn.execute(events.insert().values(session_id=session_id, kind="phase", at=t, source="interviewer",
                                            author=by, data={"phase": to, "from": row["phase"]}))
    return {"phase": to, "at": iso(t)}


def add_hint(session_id: str, level: int, *, by: str | None = None, home=None) -> dict:
    """Log a hint of the session's ladder (1-3: the scenario's first hint, then the drawn family's),
    with the server's time and the text to say."""
    from grading.rubric import load_rubric
    row = get(session_id, home=home)
    ladder = load_rubric(row["scenario"]).ladder((row.get("truth") or {}).get("family"))
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(ladder):
        raise SessionError(f"hint level must be a whole number from 1 to {len(ladder)}, got {level!r}")
    h = ladder[level - 1]
    return record_event(session_id, "hint", {"level": level, "text": h.text, "prompts": list(h.prompts),
                                             "before_card": row["card"] is None},
                        source="interviewer", author=by, home=home)


def add_note(session_id: str, text: str, *, by: str | None = None, home=None) -> dict:
    """A private note, time-stamped against the candidate's activity (interviewers only)."""
    if not str(text or "").strip():
        raise SessionError("the note is empty")
    return record_event(session_id, "note", {"text": str(text).strip()}, source="interviewer", author=by, home=home)


# ------------------------------------------------------------------------------ ratings
def rate(session_id: str, *, rater: str, levels: dict, comment: str | None = None, home=None) -> dict:
    """Record one interviewer's manual ratings (every dimension of ``manual.yaml``, 1-5 or None).

    An interviewer may revise their own rating until the session is closed; nobody sees the other
    interviewers' ratings until they have submitted their own (:func:`ratings_for`).
    """
    from grading.rubric import LEVELS, load_rubric
    rater = str(rater or "").strip()
    if not rater:
        raise SessionError("a rating needs the interviewer's name (--rater NAME)")
    row = get(session_id, home=home)
    if row["status"] == "purged":
        raise SessionError(f"session {session_id} was purged")
    dims = load_rubric(row["scenario"]).dimension_ids
    if not isinstance(levels, dict):
        raise SessionError("ratings are {dimension: level}")
    unknown = sorted(set(levels) - set(dims))
    if unknown:
        raise SessionError(f"unknown dimension {unknown[0]!r}; dimensions: {', '.join(dims)}")
    missing = [d for d in dims if d not in levels]
    if missing:
        raise SessionError(f"rate every dimension: {missing[0]} is missing (a level 1-5, or 'none' for not evaluated)")
    clean = {}
    for d in dims:
        v = levels[d]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v not in LEVELS):
            raise SessionError(f"{d}: {v!r} is not a level; use 1, 2, 3, 4, 5 or none")
        clean[d] = v
    _, eng = _db(home)
    with eng.begin() as conn:
        conn.execute(ratings.delete().where(ratings.c.session_id == session_id).where(ratings.c.rater == rater))
        conn.execute(ratings.insert().values(session_id=session_id, rater=rater, levels=clean,
                                             comment=(comment or None), submitted_at=now()))
    return {"rater": rater, "levels": clean}


def ratings_for(session_id: str, *, viewer: str | None = None, home=None) -> dict:
    """What ``viewer`` may see: every rating once they have submitted theirs (or None: all), else only who rated."""
    _, eng = _db(home)
    with eng.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(ratings).where(ratings.c.session_id == session_id)
                                              .order_by(ratings.c.submitted_at)).mappings()]
    raters = [r["rater"] for r in rows]
    visible = viewer is None or viewer in raters
    return {"raters": raters, "visible": visible,
            "ratings": [{"rater": r["rater"], "levels": r["levels"], "comment": r["comment"],
                         "submitted_at": iso(r["submitted_at"])} for r in rows] if visible else
                       [{"rater": r["rater"], "levels": r["levels"], "comment": r["comment"],
                         "submitted_at": iso(r["submitted_at"])} for r in rows if r["rater"] == viewer]}


# ------------------------------------------------------------------------------ close, collect, grade
def collect(session_id: str, *, home=None) -> Path:
    """Copy the candidate's folder into the store, with the service's first card as the committed card.

    The candidate could rewrite their own ``first_experiment.json``; the copy carries the card as the
    service recorded it (the candidate's file, when it differs, is kept beside it as
    ``first_experiment.candidate.json``).
    """
    row = get(session_id, home=home)
    src = Path(row["folder"])
    if row["hub_user"]:
        # on the hub, the home is copied by the hub's collector (regular files only, no symlink followed)
        from livescreen.hub.exchange import collect as hub_collect
        try:
            src = hub_collect(row["candidate"], scenario=row["scenario"])
        except _hub_error() as exc:
            raise SessionError(str(exc)) from None
    if not src.is_dir():
        raise SessionError(f"the candidate folder {src} is gone: nothing to collect")
    dest = session_folder(session_id, home=home) / "submission"
    tmp = dest.with_name(".submission.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns(".ipynb_checkpoints", SERVICE_FILE.name))
    own = tmp / CARD_FILE
    if row["card"] is not None:
        record = {"committed_at": iso(row["card_at"]), "card": row["card"]}
        if own.is_file():
            try:
                theirs = json.loads(own.read_text())
            except ValueError:
                theirs = None
            if not isinstance(theirs, dict) or theirs.get("card") != row["card"]:
                own.rename(tmp / "first_experiment.candidate.json")
        own.write_text(json.dumps(record, indent=2) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def _card_result(row, *, home=None) -> "object":
    """The scorecard's items scored from the service's first card (pure; no notebook run)."""
    from dataclasses import asdict

    from grading.grader import GradeResult
    from grading.rubric_points import item_points
    from grading.score import score_card
    truth = row["truth"]
    meta = {}
    try:
        meta = json.loads((Path(row["folder"]) / "schema.json").read_text())
    except (OSError, ValueError):
        pass
    card = row["card"]
    if card is not None:  # scored by the outcomes measured for this truth (waits for a running measurement)
        from .measuring import ready
        truth = ready(row, home=home)["truth"]
    sc = score_card(card, truth, brief=meta.get("brief"), known_columns=(meta.get("schema") or {}).get("features", []),
                    points=item_points(row["scenario"]))
    flags = set(sc.flags)
    status = "card_scored" if card is not None else "no_card"
    info = {"source": "service", "committed_at": iso(row["card_at"])} if card is not None else {"source": "none"}
    return GradeResult(row["folder"], row["scenario"], status, sc.total, sc.max, [asdict(i) for i in sc.items],
                       sorted(flags), "scored from the service's first card (run `livescreen session grade` "
                       "to autograde the notebook with nbgrader)", card, info, sc.discrimination)


def grade(session_id: str, *, home=None) -> dict:
    """Collect the candidate's folder and autograde it with nbgrader against the truth; rebuild the scorecard."""
    from grading.grader import grade as grade_submission
    import inspect
    from .measuring import ready
    row = ready(get(session_id, home=home), home=home)  # the outcomes graded by (waits for a running measurement)
    sub = collect(session_id, home=home)  # the copy carries the service's first card as the committed one
    extra = {}
    if row["card"] is not None and "first_card" in inspect.signature(grade_submission).parameters:
        # contract 4: the grader takes the service's first card when it can (issue #12)
        extra["first_card"] = {"committed_at": iso(row["card_at"]), "card": row["card"]}
    result = grade_submission(sub, row["truth"], **extra)
    result.submission = row["folder"]
    _, eng = _db(home)
    with eng.begin() as conn:
        conn.execute(sessions.update().where(sessions.c.id == session_id).values(result=result.to_dict()))
    return write_scorecard(session_id, home=home)


def close(session_id: str, *, by: str | None = None, home=None) -> dict:
    """Close the session: nothing more is recorded; the scorecard is written (JSON, HTML, CSV)."""
    _, eng = _db(home)
    with eng.begin() as conn:
        row = _get(conn, session_id)
        _check_open(row)
        t = now()
        conn.execute(sessions.update().where(sessions.c.id == session_id)
                     .values(status="closed", phase="closed", closed_at=t))
        conn.execute(events.insert().values(session_id=session_id, kind="close", at=t, source="interviewer",
                                            author=by, data={}))
    if Path(row["folder"]).is_dir():
        collect(session_id, home=home)
    return write_scorecard(session_id, home=home)


def hint_log(session_id: str, *, home=None) -> list[dict]:
    """The hints as the scorecard reads them: ``[{"at", "level", "text"}]``."""
    return [{"at": e["at"], "level": e["data"]["level"], "text": e["data"].get("text"), "by": e["author"]}
            for e in timeline(session_id, home=home) if e["kind"] == "hint"]


def scorecard(session_id: str, *, home=None) -> dict:
    """The session's scorecard as data (see ``grading.scorecard.session_card``)."""
    from grading.grader import GradeResult
    from grading.scorecard import session_card
    row = get(session_id, home=home)
    if not row["result"] and row["card"] is not None:
        from .measuring import ready
        row = ready(row, home=home)  # the card and the scorecard read the measured outcomes
    result = GradeResult(**row["result"]) if row["result"] else _card_result(row, home=home)
    tl = timeline(session_id, home=home)
    rated = ratings_for(session_id, home=home)["ratings"]
    return session_card(result, session={"id": row["id"], "candidate": row["candidate"], "scenario": row["scenario"],
                                         "started_at": iso(row["started_at"]), "closed_at": iso(row["closed_at"]),
                                         "interviewers": row["interviewers"], "status": row["status"]},
                        timeline=tl, ratings=rated, truth=row["truth"])


def write_scorecard(session_id: str, *, home=None) -> dict:
    """Write ``scorecard.json``, ``.html`` and ``.csv`` into the session's folder; return their paths and the total."""
    from grading.scorecard import render_html, to_csv
    card = scorecard(session_id, home=home)
    folder = session_folder(session_id, home=home)
    paths = {}
    for name, text in (("scorecard.json", json.dumps(card, indent=2, default=str)),
                       ("scorecard.html", render_html(card)), ("scorecard.csv", to_csv([card]))):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, folder / name)
        paths[name.split(".")[1]] = str(folder / name)
    _, eng = _db(home)
    with eng.begin() as conn:
        conn.execute(sessions.update().where(sessions.c.id == session_id).values(scorecard=card))
    return {"total": card["total"]["total"], "paths": paths, "card": card}


# ------------------------------------------------------------------------------ retention
def purge(*, older_than_days: float, session_id: str | None = None, home=None) -> dict:
    """Delete closed sessions older than ``older_than_days``: candidate folder, events, ratings, copies, scorecards.

    An open session is never purged (named explicitly, it is refused). Each purge leaves one audit
    line with the session id, scenario and dates only: no candidate id, name, answer or note.
    """
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, (int, float)) or older_than_days < 0:
        raise SessionError(f"--older-than must be a number of days >= 0, got {older_than_days!r}")
    folder, eng = _db(home)
    cutoff = now() - timedelta(days=older_than_days)
    with eng.connect() as conn:
        q = sa.select(sessions.c.id, sessions.c.status, sessions.c.created_at, sessions.c.closed_at,
                      sessions.c.folder, sessions.c.scenario, sessions.c.hub_user)
        if session_id:
            q = q.where(sessions.c.id == session_id)
        rows = [dict(r) for r in conn.execute(q).mappings()]
    if session_id and not rows:
        raise SessionError(f"no session {session_id!r}")
    if session_id and rows[0]["status"] == "open":
        raise SessionError(f"session {session_id} is open: close it first (`livescreen session close {session_id}`)")
    purged, kept_open = [], []
    for r in rows:
        if r["status"] == "open":
            if _aware(r["created_at"]) < cutoff:
                kept_open.append(r["id"])
            continue
        if _aware(r["closed_at"] or r["created_at"]) >= cutoff:
            continue
        shutil.rmtree(r["folder"], ignore_errors=True)
        shutil.rmtree(folder / "sessions" / r["id"], ignore_errors=True)
        if r["hub_user"]:  # the hub's copies: the delivered truth and collected submission
            try:
                from livescreen.hub import paths as hub_paths
                shutil.rmtree(Path(hub_paths.store_dir()) / r["hub_user"], ignore_errors=True)
            except ImportError:  # pragma: no cover
                pass
        with eng.begin() as conn:
            conn.execute(events.delete().where(events.c.session_id == r["id"]))
            conn.execute(ratings.delete().where(ratings.c.session_id == r["id"]))
            conn.execute(sessions.delete().where(sessions.c.id == r["id"]))
            conn.execute(audit.insert().values(
                at=now(), action="purge",
                detail=f"session {r['id']} ({r['scenario']}), created {iso(r['created_at'])[:10]}, "
                       f"closed {(iso(r['closed_at']) or '-')[:10]}: folder, events, ratings, card copies "
                       f"and scorecards deleted"))
        purged.append(r["id"])
    return {"purged": purged, "open_not_purged": kept_open}


def audit_log(*, home=None) -> list[dict]:
    _, eng = _db(home)
    with eng.connect() as conn:
        return [{"at": iso(r["at"]), "action": r["action"], "detail": r["detail"]}
                for r in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]


def export_csv(cards: list[dict]) -> str:
    """Scorecards as CSV (stable columns; see ``grading.scorecard.CSV_COLUMNS``)."""
    from grading.scorecard import to_csv
    return to_csv(cards)


__all__ = ["SessionError", "new_session", "list_sessions", "get", "start_session", "next_phase", "record_event",
           "record_card", "add_hint", "add_note", "rate", "ratings_for", "collect", "grade", "close", "scorecard",
           "write_scorecard", "purge", "timeline", "timer", "phase_plan", "audit_log", "hint_log"]
