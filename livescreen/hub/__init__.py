"""The shared JupyterHub: one Unix user per candidate, the answer kept on the interviewer side.

Modules: ``paths`` (where the hub's state, the candidate environment and the proxy live),
``users`` (candidate and interviewer accounts, their logins), ``server`` (start and stop the hub),
``exchange`` (deliver a candidate folder into a home, collect it into the grader-only store),
``auth`` (the per-candidate password authenticator the hub loads), ``cli`` (``livescreen hub``).
"""

from .exchange import deliver_folder  # noqa: E402,F401 - the session service delivers through it (#9)
