"""The candidate toolkit's client of the session service: it reports activity, and nothing else.

It sends, in order, what the candidate does in the notebook: each cell executed (its first line as
a label, when, whether it raised), each explorer change, each card commit (the service keeps the
FIRST one, stamped with its own clock) and each experiment run. It never receives anything about
the variant: the service only answers "recorded" (and, for a card, when and whether it was first).

Configuration (all optional; without it every function here does nothing):

- ``LIVESCREEN_SERVICE_URL``: the service's base URL (the hub sets it for candidate servers, e.g.
  ``http://127.0.0.1:8081/services/livescreen/``);
- ``JUPYTERHUB_API_TOKEN`` (on the hub: the candidate's own token) or ``LIVESCREEN_SERVICE_TOKEN``
  (locally: the session's token);
- locally, when the variables are absent, ``.livescreen/service.json`` in the notebook's folder
  (written by ``livescreen session new``) gives ``{"url", "token", "folder"}``; it counts only in
  that folder, so a copy of the folder (a grader's scratch copy) reports nothing.

Events go through one background thread so a slow or restarting service never blocks a cell; they
are retried until delivered (up to ``MAX_QUEUE`` kept in memory), so a service restart loses none.
This module imports nothing from the rest of the kit.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

URL_ENV = "LIVESCREEN_SERVICE_URL"
TOKEN_ENV = "LIVESCREEN_SERVICE_TOKEN"
HUB_TOKEN_ENV = "JUPYTERHUB_API_TOKEN"
LOCAL_FILE = Path(".livescreen") / "service.json"
MAX_QUEUE = 5000
TIMEOUT = 3.0
CARD_TIMEOUT = 30.0

_queue: "queue.Queue[tuple[str, dict]]" = queue.Queue(MAX_QUEUE)
_worker: list[threading.Thread] = []
_installed: list[object] = []
_lock = threading.Lock()
_pending = [0]


def config() -> tuple[str, str] | None:
    """``(url, token)`` when the service is configured, else None (local file mode: do nothing)."""
    url = os.environ.get(URL_ENV)
    token = os.environ.get(TOKEN_ENV) or os.environ.get(HUB_TOKEN_ENV)
    if url and token:
        return url.rstrip("/") + "/", token
    try:
        data = json.loads(LOCAL_FILE.read_text())
        # only in the folder the token was issued for: a copy (a grader's scratch copy) reports nothing
        if data.get("url") and data.get("token") and Path(data.get("folder") or ".").resolve() == Path.cwd().resolve():
            return str(data["url"]).rstrip("/") + "/", str(data["token"])
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _post(cfg: tuple[str, str], path: str, payload: dict, *, timeout: float = TIMEOUT) -> dict:
    url, token = cfg
    req = urllib.request.Request(url + path, data=json.dumps(payload, default=str).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a configured http(s) URL
        return json.loads(resp.read() or b"{}")


def _run() -> None:
    delay = 0.2
    while True:
        path, payload = _queue.get()
        while True:
            cfg = config()
            if cfg is None:
                break
            try:
                _post(cfg, path, payload)
                delay = 0.2
                break
            except urllib.error.HTTPError as exc:
                if exc.code < 500:  # refused (closed session, bad event): retrying cannot help
                    break
            except (OSError, ValueError):
                pass
            time.sleep(delay)  # the service is restarting: keep the event and try again
            delay = min(delay * 2, 2.0)
        with _lock:
            _pending[0] -= 1
        _queue.task_done()


def record_event(kind: str, **data) -> bool:
    """Queue one activity event (``cell``, ``explorer``, ``experiment``); False when not configured."""
    if config() is None:
        return False
    if not _worker:
        with _lock:
            if not _worker:
                t = threading.Thread(target=_run, name="livescreen-service", daemon=True)
                t.start()
                _worker.append(t)
    try:
        with _lock:
            _pending[0] += 1
        _queue.put_nowait(("api/events", {"kind": kind, "at": _now(), "uid": uuid.uuid4().hex, **data}))
    except queue.Full:
        with _lock:
            _pending[0] -= 1
        return False
    return True


def flush(timeout: float = 5.0) -> bool:
    """Wait until every queued event is delivered (or ``timeout`` seconds); True when none is left."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with _lock:
            if _pending[0] <= 0:
                return True
        time.sleep(0.02)
    return False


def record_card(card: dict) -> dict | None:
    """Send a card commit and return the service's answer ``{"committed_at", "first"}``.

    The events queued before it are delivered first, so the timeline keeps its order. None when
    the service is not configured or cannot be reached (the folder's own commit still stands).
    """
    cfg = config()
    if cfg is None:
        return None
    flush(TIMEOUT)
    payload = {"card": card, "at": _now(), "uid": uuid.uuid4().hex}  # a retry is recorded once
    for attempt in range(3):
        try:
            # a deliberate act: wait longer than for an event on a busy server (a retry is recorded once)
            return _post(cfg, "api/card", payload, timeout=CARD_TIMEOUT)
        except urllib.error.HTTPError:
            return None
        except (OSError, ValueError):
            time.sleep(0.5 * (attempt + 1))
    return None


def explorer_changed(explorer: str, value) -> None:
    """An explorer's control moved (``threshold``, ``column``, ``feature``, ``window``)."""
    if isinstance(value, (tuple, list)):
        value = " to ".join(str(getattr(v, "date", lambda v=v: v)()) for v in value)
    record_event("explorer", explorer=str(explorer), value=str(value)[:200])


def experiment_run(etype: str, params: dict | None = None) -> None:
    """A catalogue experiment ran (the service marks it when no card was committed yet)."""
    record_event("experiment", type=str(etype), params={k: str(v)[:200] for k, v in (params or {}).items()})


def _label(raw: str) -> str:
    for line in (raw or "").splitlines():
        if line.strip():
            return line.strip()[:120]
    return "(empty cell)"


def _post_run_cell(result) -> None:
    info = getattr(result, "info", None)
    raw = getattr(info, "raw_cell", "") if info is not None else ""
    error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    record_event("cell", label=_label(raw), cell_id=getattr(info, "cell_id", None),
                 error=type(error).__name__ if error else None)


def install(shell=None) -> bool:
    """Report every cell the IPython shell runs (once per shell); False when not configured."""
    if config() is None:
        return False
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with the candidate environment
            return False
        shell = get_ipython()
    if shell is None or any(s is shell for s in _installed):
        return False
    shell.events.register("post_run_cell", _post_run_cell)
    _installed.append(shell)
    return True


atexit.register(flush, 2.0)
