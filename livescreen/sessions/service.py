"""The session service: the one process that records what happens in an interview.

It records the candidate's activity events and the FIRST card (stamped with its own clock; a second
commit never replaces it), and serves the interviewer's console with the timeline, the phase timer,
hints, private notes and ratings. Everything is written to the store (``livescreen.sessions.store``)
before it is acknowledged, so killing and restarting the service loses nothing.

HTTP API (under a prefix: ``/`` locally, ``$JUPYTERHUB_SERVICE_PREFIX`` on the hub, e.g.
``/services/livescreen/``)

candidate routes (the session is the caller's own; there is no session id to pass)
    ``POST api/events``  ``{"kind": cell|explorer|experiment, "at": ..., ...}`` -> ``{"id", "at"}``
    ``POST api/card``    ``{"card": {...}}`` -> ``{"committed_at", "first", "first_committed_at"}``
interviewer routes (the console and its API; a candidate gets 403)
    ``GET  /`` and ``GET sessions/<id>``: the console pages
    ``GET  api/sessions``; ``GET api/sessions/<id>?after=N&wait=S&viewer=NAME`` (long poll)
    ``POST api/sessions/<id>/start|phase|hint|note|rate|close``
    ``GET  api/sessions/<id>/scorecard.json|.csv|.html``

Who is who
----------
Locally (``livescreen console``): the service listens on 127.0.0.1; a candidate's kernel sends its
session's token (``Authorization: token ...``, from ``.livescreen/service.json``); interviewers use
the console token (kept in ``$LIVESCREEN_HOME/console.json``, 0600), given once as ``?token=`` and
then held in an HTTP-only cookie.

On JupyterHub (``python -m livescreen.sessions.service`` as a hub service): a candidate sends their
own ``JUPYTERHUB_API_TOKEN``; the service asks the hub API who it belongs to and records into that
user's open session. Interviewers log in through the hub (OAuth, ``jupyterhub.services.auth``) and
must be hub admins or in the group ``$LIVESCREEN_INTERVIEWER_GROUP`` (default ``interviewers``).

Entry point for the hub: ``hub_service(home=..., port=..., hub_url=...)`` returns the service entry,
its role and the candidates' environment; ``livescreen.hub.server.start_hub`` registers it (the
one place the entry is built); written out, that is::

    c.JupyterHub.services = [{
        "name": "livescreen", "url": "http://127.0.0.1:8765", "oauth_no_confirm": True,
        "command": [sys.executable, "-m", "livescreen.sessions.service", "--hub"],
        "environment": {"LIVESCREEN_HOME": "/srv/livescreen"},   # the interviewer's 0700 store
    }]
    c.JupyterHub.load_roles = [{"name": "livescreen-sessions", "services": ["livescreen"],
                                "scopes": ["read:users", "read:users:groups", "read:groups"]}]
    # and every candidate server gets LIVESCREEN_SERVICE_URL=<hub URL>/services/livescreen/ (the proxy)

Environment: ``LIVESCREEN_HOME`` (the store), ``LIVESCREEN_DB`` (an SQLAlchemy URL instead of the
SQLite file), ``LIVESCREEN_INTERVIEWER_GROUP``; on the hub also the ``JUPYTERHUB_*`` variables the
hub gives its services (API URL and token, service prefix and URL). Arguments: ``--port``,
``--ip``, ``--hub``, ``--home``.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from pathlib import Path

import tornado.httpclient
import tornado.ioloop
import tornado.web

from . import console, session, store
from .session import SessionError

COOKIE = "livescreen-console"
GROUP_ENV = "LIVESCREEN_INTERVIEWER_GROUP"
CONSOLE_FILE = "console.json"
MAX_BODY = 256 * 1024


# ------------------------------------------------------------------------------ notification
class Bus:
    """Wakes the console's long polls when an event lands (same process); other writers are polled."""

    def __init__(self):
        self.versions: dict[str, int] = {}
        self.waiters: dict[str, list[asyncio.Future]] = {}

    def notify(self, session_id: str) -> None:
        self.versions[session_id] = self.versions.get(session_id, 0) + 1
        for fut in self.waiters.pop(session_id, []):
            if not fut.done():
                fut.set_result(True)

    async def wait(self, session_id: str, timeout: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(session_id, []).append(fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            lst = self.waiters.get(session_id, [])
            if fut in lst:
                lst.remove(fut)


# ------------------------------------------------------------------------------ who is calling
class Auth:
    """Local mode: session tokens for candidates, one console token for interviewers."""

    mode = "local"

    def __init__(self, *, home: Path, console_token: str):
        self.home = home
        self.console_token = console_token

    async def candidate_session(self, handler) -> str | None:
        token = handler.bearer()
        return session.session_for_token(token, home=self.home) if token else None

    async def interviewer(self, handler) -> str | None:
        """The interviewer's name (the console sends it; locally every console holder is an interviewer)."""
        for token in (handler.bearer(), handler.get_secure_cookie(COOKIE, max_age_days=1),
                      handler.get_query_argument("token", None)):
            token = token.decode() if isinstance(token, bytes) else token
            if token and hmac.compare_digest(token, self.console_token):
                return handler.get_argument("viewer", None) or "interviewer"
        return None


class HubAuth(Auth):
    """Hub mode: every token is checked with the hub API; interviewers are admins or in a group."""

    mode = "hub"

    def __init__(self, *, home: Path):
        super().__init__(home=home, console_token="")
        self.api = os.environ["JUPYTERHUB_API_URL"].rstrip("/")
        self.service_token = os.environ["JUPYTERHUB_API_TOKEN"]
        self.group = os.environ.get(GROUP_ENV, "interviewers")
        self.cache: dict[str, tuple[float, dict | None]] = {}
        self.oauth = None
        try:  # the hub's OAuth for the console pages (the jupyterhub package is on the interviewer side)
            from jupyterhub.services.auth import HubOAuth
            self.oauth = HubOAuth(api_token=self.service_token, cache_max_age=60)
        except ImportError:
            pass

    async def user_for(self, token: str) -> dict | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        hit = self.cache.get(key)
        if hit and time.monotonic() - hit[0] < 60:
            return hit[1]
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            resp = await client.fetch(f"{self.api}/user", headers={"Authorization": f"token {token}"},
                                      request_timeout=5)
            model = json.loads(resp.body)
        except (tornado.httpclient.HTTPClientError, OSError, ValueError):
            model = None
        if model is not None and "groups" not in model:  # a user token may not read its own groups
            try:
                resp = await client.fetch(f"{self.api}/users/{model['name']}",
                                          headers={"Authorization": f"token {self.service_token}"}, request_timeout=5)
                model = json.loads(resp.body)
            except (tornado.httpclient.HTTPClientError, OSError, ValueError, KeyError):
                pass
        self.cache[key] = (time.monotonic(), model)
        return model

    def is_interviewer(self, model: dict | None) -> bool:
        return bool(model) and (model.get("admin") or self.group in (model.get("groups") or []))

    async def candidate_session(self, handler) -> str | None:
        token = handler.bearer()
        model = await self.user_for(token) if token else None
        if not model or model.get("kind", "user") != "user":
            return None
        return session.session_for_hub_user(model["name"], home=self.home)

    async def interviewer(self, handler) -> str | None:
        token = handler.bearer()
        model = await self.user_for(token) if token else None
        if model is None and self.oauth is not None:
            # the hub's OAuth cookie (jupyterhub.services.auth); sync=False: the default blocks the loop
            model = await self.oauth.get_user(handler, sync=False)
            if model and ("groups" not in model or "admin" not in model):  # an OAuth token identifies only
                model = await self.user_for_name(model["name"])
        handler.hub_user = model  # who was identified at all (None: send a page visitor to the hub's login)
        return model["name"] if self.is_interviewer(model) else None

    async def user_for_name(self, name: str) -> dict | None:
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            resp = await client.fetch(f"{self.api}/users/{name}",
                                      headers={"Authorization": f"token {self.service_token}"}, request_timeout=5)
            return json.loads(resp.body)
        except (tornado.httpclient.HTTPClientError, OSError, ValueError):
            return None


# ------------------------------------------------------------------------------ handlers
class Base(tornado.web.RequestHandler):
    @property
    def auth(self) -> Auth:
        return self.settings["auth"]

    @property
    def home(self) -> Path:
        return self.settings["home"]

    def bearer(self) -> str | None:
        h = self.request.headers.get("Authorization", "")
        if h.lower().startswith(("token ", "bearer ")):
            return h.split(None, 1)[1].strip()
        return None

    def check_xsrf_cookie(self):  # token or SameSite=Strict cookie: no cross-site form can post
        return None

    def body(self) -> dict:
        if len(self.request.body) > MAX_BODY:
            raise tornado.web.HTTPError(413, reason="request too large")
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, reason="the body is not JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, reason="the body must be a JSON object")
        return data

    def reply(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": self._reason}))

    async def candidate_session(self) -> str:
        """The open session the request's candidate token reports to (403 when there is none)."""
        sid = await self.auth.candidate_session(self)
        if sid is None:
            raise tornado.web.HTTPError(403, reason="no open session for this token")
        return sid

    def refuse(self, err: SessionError) -> None:
        self.reply({"error": str(err)}, 409 if "closed" in str(err) or "purged" in str(err) else 400)


class CandidateEvents(Base):
    async def post(self):
        sid = await self.candidate_session()
        data = self.body()
        kind = data.pop("kind", None)
        client_at = data.pop("at", None)
        uid = data.pop("uid", None)
        try:
            ev = session.record_event(sid, kind, data, source="candidate", client_at=client_at, uid=uid,
                                      home=self.home)
        except SessionError as err:
            return self.refuse(err)
        self.settings["bus"].notify(sid)
        self.reply({"id": ev["id"], "at": ev["at"]}, 201)


class CandidateCard(Base):
    async def post(self):
        sid = await self.candidate_session()
        data = self.body()
        try:
            out = session.record_card(sid, data.get("card"), client_at=data.get("at"), uid=data.get("uid"),
                                      home=self.home)
        except SessionError as err:
            return self.refuse(err)
        self.settings["bus"].notify(sid)
        self.reply(out, 201)


class Interviewer(Base):
    async def prepare(self):
        self.who = await self.auth.interviewer(self)
        if self.who is None:
            oauth = getattr(self.auth, "oauth", None)
            if isinstance(self, Page) and self.auth.mode == "hub" and oauth is not None \
                    and self.bearer() is None and getattr(self, "hub_user", None) is None:
                # nobody identified (no cookie, or an expired one): the hub's OAuth, as HubOAuthenticated
                # does: a state cookie, then the hub's authorize URL; a known non-interviewer gets 403
                from tornado.httputil import url_concat
                state = oauth.set_state_cookie(self, next_url=self.request.uri)
                return self.redirect(url_concat(oauth.login_url, {"state": state}))
            raise tornado.web.HTTPError(403, reason="interviewers only")
        if isinstance(self, Page) and self.auth.mode == "local" and self.get_query_argument("token", None):
            # the token leaves the address bar: an HTTP-only, same-site cookie holds it from now on
            self.set_secure_cookie(COOKIE, self.get_query_argument("token"), expires_days=1, httponly=True,
                                   samesite="Strict")
            return self.redirect(self.request.path)

    def by(self) -> str:
        data = getattr(self, "_json", None) or {}
        return str(data.get("by") or self.who)[:200] if self.auth.mode == "local" else self.who


class Page(Interviewer):
    """A console page (HTML): on the hub an unknown visitor is sent to the hub's login."""


class ConsoleIndex(Page):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.finish(console.index_page(prefix=self.settings["prefix"]))


class ConsoleSession(Page):
    def get(self, sid):
        try:
            row = session.get(sid, home=self.home)
        except SessionError as err:
            raise tornado.web.HTTPError(404, reason=str(err)) from None
        self.set_header("Cache-Control", "no-store")
        self.finish(console.session_page(row, prefix=self.settings["prefix"], mode=self.auth.mode, who=self.who))


class ApiSessions(Interviewer):
    def get(self):
        rows = session.list_sessions(home=self.home)
        self.reply([{k: (session.iso(v) if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows])


class ApiSession(Interviewer):
    async def get(self, sid):
        after = int(self.get_argument("after", "0") or 0)
        wait = min(float(self.get_argument("wait", "0") or 0), 25.0)
        try:
            state = console.state(sid, after=after, viewer=self.get_argument("viewer", None) if self.auth.mode == "local"
                                  else self.who, home=self.home)
            bus = self.settings["bus"]
            seen = bus.versions.get(sid, 0)
            if wait and not state["events"]:
                end = time.monotonic() + wait
                # until an event, or any change made through this service (a rating, a phase)
                while time.monotonic() < end and not state["events"] and bus.versions.get(sid, 0) == seen:
                    # woken at once by this process's writes; other processes' (the CLI) within 0.5 s
                    await bus.wait(sid, min(0.5, end - time.monotonic()))
                    state = console.state(sid, after=after, viewer=self.get_argument("viewer", None)
                                          if self.auth.mode == "local" else self.who, home=self.home)
        except SessionError as err:
            raise tornado.web.HTTPError(404, reason=str(err)) from None
        self.reply(state)


class ApiAction(Interviewer):
    def post(self, sid, action):
        data = self._json = self.body()
        try:
            if action == "start":
                out = session.start_session(sid, by=self.by(), home=self.home)
            elif action == "phase":
                out = session.next_phase(sid, to=data.get("to"), by=self.by(), home=self.home)
            elif action == "hint":
                out = session.add_hint(sid, data.get("level"), by=self.by(), home=self.home)
            elif action == "note":
                out = session.add_note(sid, data.get("text"), by=self.by(), home=self.home)
            elif action == "rate":
                rater = data.get("rater") if self.auth.mode == "local" else self.who
                out = session.rate(sid, rater=rater, levels=data.get("levels"), comment=data.get("comment"),
                                   home=self.home)
            elif action == "close":
                out = session.close(sid, by=self.by(), home=self.home)
                out = {"total": out["total"], "paths": out["paths"]}
            else:
                raise tornado.web.HTTPError(404, reason=f"unknown action {action}")
        except SessionError as err:
            return self.refuse(err)
        self.settings["bus"].notify(sid)
        self.reply(out)


class ApiScorecard(Interviewer):
    def get(self, sid, fmt):
        try:
            row = session.get(sid, home=self.home)
            card = row["scorecard"] if row["status"] != "open" and row["scorecard"] else session.scorecard(sid, home=self.home)
        except SessionError as err:
            raise tornado.web.HTTPError(404, reason=str(err)) from None
        if row["status"] == "open" and row["card"] is None:
            card = dict(card, planted=None)  # never before the card is committed
        from grading.scorecard import render_html, to_csv
        name = f"scorecard-{sid}"
        if fmt == "json":
            self.set_header("Content-Disposition", f'attachment; filename="{name}.json"')
            return self.reply(card)
        if fmt == "csv":
            self.set_header("Content-Type", "text/csv")
            self.set_header("Content-Disposition", f'attachment; filename="{name}.csv"')
            return self.finish(to_csv([card]))
        self.finish(render_html(card))


# ------------------------------------------------------------------------------ on the hub
SERVICE_NAME = "livescreen"


def hub_service(*, home: str | os.PathLike, port: int | None = None,
                hub_url: str | None = None) -> tuple[dict, dict, dict]:
    """What the hub needs to run this service: ``(service, role, candidate_environment)``.

    The one place the session service's hub entry is built (``livescreen.hub.server.start_hub``
    uses it). The hub starts ``python -m livescreen.sessions.service --hub`` as its own account
    (the interviewer side) with the interviewer's store ``home`` (made 0700), grants it read access
    to users and groups (to check candidates' tokens and the interviewers group), skips the OAuth
    consent page for the console, and gives every candidate server ``LIVESCREEN_SERVICE_URL``.

    Parameters
    ----------
    home : the interviewer's store for the service (sessions, truth, events).
    port : the service's own port on 127.0.0.1; default a free one.
    hub_url : the hub's public URL (``http://127.0.0.1:8000``); candidates then reach the service
        through the hub's proxy at ``<hub_url>/services/livescreen/``, else at its own port.
    """
    if port is None:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    home = store.home(home)
    url = f"http://127.0.0.1:{port}"
    service = {"name": SERVICE_NAME, "url": url, "oauth_no_confirm": True,
               "command": [sys.executable, "-m", "livescreen.sessions.service", "--hub"],
               "environment": {store.HOME_ENV: str(home), GROUP_ENV: os.environ.get(GROUP_ENV, "interviewers"),
                               **({store.DB_ENV: os.environ[store.DB_ENV]} if os.environ.get(store.DB_ENV) else {})}}
    role = {"name": "livescreen-sessions", "services": [SERVICE_NAME],
            "scopes": ["read:users", "read:users:groups", "read:groups"]}
    env = {"LIVESCREEN_SERVICE_URL": f"{(hub_url or url).rstrip('/')}/services/{SERVICE_NAME}/"}
    return service, role, env


# ------------------------------------------------------------------------------ the app
def console_token(home: Path, *, rotate: bool = False) -> str:
    """The local console's token, kept 0600 in the store so a restart keeps the interviewer logged in."""
    path = home / CONSOLE_FILE
    if path.is_file() and not rotate:
        try:
            return json.loads(path.read_text())["token"]
        except (ValueError, KeyError):
            pass
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"token": token}, fh)
    return token


def cookie_secret(home: Path) -> bytes:
    path = home / "cookie_secret"
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def make_app(*, home: Path, prefix: str = "/", hub: bool = False, token: str | None = None) -> tornado.web.Application:
    """The service as a tornado application (``home`` is the store; ``prefix`` ends with ``/``)."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    auth = HubAuth(home=home) if hub else Auth(home=home, console_token=token or console_token(home))
    p = prefix
    sid = r"(s-[0-9a-f]+)"
    routes = [
        (p + "api/events", CandidateEvents),
        (p + "api/card", CandidateCard),
        (p + "api/sessions", ApiSessions),
        (p + f"api/sessions/{sid}", ApiSession),
        (p + f"api/sessions/{sid}/(start|phase|hint|note|rate|close)", ApiAction),
        (p + f"api/sessions/{sid}/scorecard\\.(json|csv|html)", ApiScorecard),
        (p + f"sessions/{sid}", ConsoleSession),
        (p, ConsoleIndex),
    ]
    if hub and auth.oauth is not None:
        from jupyterhub.services.auth import HubOAuthCallbackHandler
        routes.append((p + "oauth_callback", HubOAuthCallbackHandler))
    return tornado.web.Application(routes, auth=auth, home=home, prefix=p, bus=Bus(),
                                   cookie_secret=cookie_secret(home), xsrf_cookies=False,
                                   hub_auth=getattr(auth, "oauth", None))


def serve(*, home=None, ip: str = "127.0.0.1", port: int = 8765, hub: bool = False, prefix: str | None = None,
          token: str | None = None, ready=None) -> None:
    """Run the service until interrupted (``ready(url)`` is called once it listens)."""
    folder = store.home(home)
    store.engine(folder)  # create the tables before the first request
    if prefix is None:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/") if hub else "/"
    if hub and os.environ.get("JUPYTERHUB_SERVICE_URL"):
        from urllib.parse import urlparse
        u = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
        ip, port = u.hostname or ip, u.port or port
    app = make_app(home=folder, prefix=prefix, hub=hub, token=token)
    app.listen(port, address=ip, max_body_size=MAX_BODY)
    if ready:
        ready(f"http://{ip}:{port}{app.settings['prefix']}")
    tornado.ioloop.IOLoop.current().start()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m livescreen.sessions.service",
                                 description="The livescreen session service (hub service or local console).")
    ap.add_argument("--hub", action="store_true", help="run as a JupyterHub service (hub tokens, hub OAuth)")
    ap.add_argument("--ip", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("LIVESCREEN_PORT", 8765)))
    ap.add_argument("--home", help="the interviewer's store (default $LIVESCREEN_HOME or ~/.livescreen)")
    args = ap.parse_args(argv)
    if args.hub and not (os.environ.get("JUPYTERHUB_API_URL") and os.environ.get("JUPYTERHUB_API_TOKEN")):
        print("livescreen service: error: --hub needs JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN (the hub sets them "
              "for its services)", file=sys.stderr)
        return 2

    def ready(url):
        print(f"livescreen session service listening on {url}", flush=True)
    serve(home=args.home, ip=args.ip, port=args.port, hub=args.hub, ready=ready)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
