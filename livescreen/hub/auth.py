"""The hub's authenticator: each person's own random password (``livescreen hub add-candidate``).

Never one shared password and never "accept anyone": a login must match the scrypt hash stored for
that name in the hub's state folder. Interviewers come out as admins in the ``interviewers`` group;
candidates as plain users in no group.
"""
from __future__ import annotations

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from . import users


class LivescreenAuthenticator(Authenticator):
    state_dir = Unicode(help="the hub's state folder holding logins.json").tag(config=True)

    # groups and admin rights come from the login's role
    manage_groups = True

    async def authenticate(self, handler, data):
        name = (data or {}).get("username", "").strip()
        rec = users.check_login(name, (data or {}).get("password", ""), state=self.state_dir or None)
        if rec is None:
            self.log.warning("failed login for %r", name[:40])
            return None
        interviewer = rec["role"] == "interviewer"
        return {"name": name, "admin": interviewer,
                "groups": [users.INTERVIEWER_GROUP] if interviewer else []}

    def check_allowed(self, username, authentication=None):
        return users.login_role(username, state=self.state_dir or None) is not None
