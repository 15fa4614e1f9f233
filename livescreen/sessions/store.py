"""The interviewer-side session store: one database (SQLAlchemy) in a private folder.

Where it lives
--------------
``LIVESCREEN_HOME`` (default ``~/.livescreen``) is the interviewer's folder, created mode 0700:
it holds the database (SQLite ``sessions.db`` by default), the session records with the truth,
copies of collected submissions and the scorecards. ``LIVESCREEN_DB`` may name any SQLAlchemy URL
instead (``postgresql://...``); the folder still holds the files. Nothing here is ever copied to a
candidate's folder or home.

Tables (one row per thing, every time stamped by the server in UTC):

- ``sessions``: the candidate id, scenario, the secret seed and the truth, phases, the first card
  (written once: a second commit never replaces it), where the candidate folder is, the
  candidate's token hash (local mode) or hub user, status ``open``/``closed``/``purged``;
- ``events``: the timeline: candidate activity (``cell``, ``explorer``, ``card``, ``experiment``)
  and interviewer actions (``hint``, ``note``, ``phase``), in arrival order;
- ``ratings``: one row per interviewer and session (the five manual dimensions), hidden from the
  other interviewers until they have submitted their own;
- ``audit``: what was purged and when, without personal data.
"""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

HOME_ENV = "LIVESCREEN_HOME"
DB_ENV = "LIVESCREEN_DB"
DEFAULT_HOME = Path("~/.livescreen")

metadata = sa.MetaData()

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("candidate", sa.String(200), nullable=False, index=True),
    sa.Column("scenario", sa.String(100), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),  # 63 bits: fits a signed 64-bit integer
    sa.Column("truth", sa.JSON, nullable=False),
    sa.Column("interviewers", sa.JSON, nullable=False),
    sa.Column("phases", sa.JSON, nullable=False),  # [[name, minutes], ...] in order
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("phase", sa.String(16), nullable=False, default="brief"),
    sa.Column("phase_started_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("folder", sa.Text, nullable=False),  # the candidate folder (local) or its path in the home
    sa.Column("hub_user", sa.String(200), index=True),
    sa.Column("token_hash", sa.String(64), index=True),  # sha256 of the local candidate token
    sa.Column("card", sa.JSON),  # the FIRST card, as the service recorded it
    sa.Column("card_at", sa.DateTime(timezone=True)),
    sa.Column("result", sa.JSON),  # the last grading result (GradeResult.to_dict())
    sa.Column("scorecard", sa.JSON),  # the last scorecard built at close or grade
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(32), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),  # the server's clock
    sa.Column("client_at", sa.String(40)),  # what the sender said, for the record only
    sa.Column("source", sa.String(16), nullable=False),  # candidate | interviewer
    sa.Column("author", sa.String(200)),  # the interviewer's name for hints and notes
    sa.Column("data", sa.JSON, nullable=False),
    # the sender's id for the event: a retried POST (the reply was lost) is recorded once
    sa.Column("uid", sa.String(64)),
    sa.UniqueConstraint("session_id", "uid", name="uq_events_session_uid"),
)

ratings = sa.Table(
    "ratings", metadata,
    sa.Column("session_id", sa.String(32), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("rater", sa.String(200), primary_key=True),
    sa.Column("levels", sa.JSON, nullable=False),  # {dimension id: 1-5 or None}
    sa.Column("comment", sa.Text),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # never a candidate id, name or answer
)


def home(path: str | os.PathLike | None = None) -> Path:
    """The interviewer's folder (``path``, else ``$LIVESCREEN_HOME``, else ``~/.livescreen``), made 0700."""
    p = Path(path or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().resolve()
    p.mkdir(parents=True, exist_ok=True)
    os.chmod(p, 0o700)
    return p


def url(folder: Path) -> str:
    """The database URL: ``$LIVESCREEN_DB`` when set, else SQLite in ``folder``."""
    return os.environ.get(DB_ENV) or f"sqlite:///{folder / 'sessions.db'}"


_ENGINES: dict[str, sa.Engine] = {}


def engine(folder: Path) -> sa.Engine:
    """One engine per database URL and process; the tables are created on first use."""
    u = url(folder)
    if u not in _ENGINES:
        if u.startswith("sqlite"):
            eng = sa.create_engine(u, connect_args={"timeout": 30})

            @sa.event.listens_for(eng, "connect")
            def _pragmas(dbapi_conn, _record):  # WAL: the service and the command line write at once
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        else:
            eng = sa.create_engine(u, pool_pre_ping=True)
        metadata.create_all(eng)
        if u.startswith("sqlite:///"):
            db = Path(u.removeprefix("sqlite:///"))
            for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                if f.exists():
                    os.chmod(f, 0o600)
        _ENGINES[u] = eng
    return _ENGINES[u]


def dispose() -> None:
    """Close every engine of this process (tests, and before a fork)."""
    for eng in _ENGINES.values():
        eng.dispose()
    _ENGINES.clear()
