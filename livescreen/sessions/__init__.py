"""Interview sessions on the interviewer's side: the store, the session lifecycle, the session
service and the console.

- ``store``: the database (SQLAlchemy; SQLite in ``$LIVESCREEN_HOME`` by default, 0700);
- ``session``: plain functions for a session's life (new, start, phases, events, the first card,
  hints, notes, ratings, close, collect, grade, purge);
- ``service``: the HTTP service the candidate's toolkit reports to and the console reads from
  (``python -m livescreen.sessions.service``);
- ``console``: the interviewer's page;
- ``commands``: the ``livescreen session ...``, ``console`` and ``calibrate`` commands.

Nothing here is importable on the candidate side: the candidate environment holds the toolkit only.
"""
