"""The hub's authenticator: each person's own random password (``livescreen hub add-candidate``).

Never one shared password and never "accept anyone": a login must match the scrypt hash stored for
that name in the hub's state folder. Interviewers come out as admins in the ``interviewers`` group;
candidates as plain users in no group.

A candidate can also log in once through their login link (``/hub/login-link?name=..&code=..``,
printed by ``add-candidate``): ``LinkLoginHandler`` hands the code to ``authenticate``, which
accepts it only if it is that candidate's live link and spends it.
"""
from __future__ import annotations

from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from tornado import web
from traitlets import Unicode

from . import users


class LinkLoginHandler(BaseHandler):
    """``GET /hub/login-link?name=..&code=..``: log the candidate in with their one-time link."""

    async def get(self):
        name = self.get_argument("name", "").strip()
        user = await self.login_user({"username": name, "link": self.get_argument("code", "")})
        if user is None:
            raise web.HTTPError(403, "this login link is not valid any more: ask your interviewer for a new one")
        self.redirect(self.get_next_url(user))


class LivescreenAuthenticator(Authenticator):
    state_dir = Unicode(help="the hub's state folder holding logins.json").tag(config=True)

    # groups and admin rights come from the login's role
    manage_groups = True

    async def authenticate(self, handler, data):
        name = (data or {}).get("username", "").strip()
        state = self.state_dir or None
        if "link" in (data or {}):
            rec = users.redeem_link(name, data["link"], state=state)
            if rec is not None and rec["role"] != "candidate":
                rec = None
        else:
            rec = users.check_login(name, (data or {}).get("password", ""), state=state)
        if rec is None:
            self.log.warning("failed login for %r", name[:40])
            return None
        interviewer = rec["role"] == "interviewer"
        return {"name": name, "admin": interviewer,
                "groups": [users.INTERVIEWER_GROUP] if interviewer else []}

    def get_handlers(self, app):
        return super().get_handlers(app) + [(r"/login-link", LinkLoginHandler)]

    def check_allowed(self, username, authentication=None):
        return users.login_role(username, state=self.state_dir or None) is not None
