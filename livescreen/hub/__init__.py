"""The shared JupyterHub: one Unix user per candidate, the answer kept on the interviewer side.

Modules: ``paths`` (where the hub's state, the candidate environment and the proxy live),
``users`` (candidate and interviewer accounts, their logins), ``server`` (start and stop the hub),
``exchange`` (deliver a candidate folder into a home, collect it into the grader-only store),
``auth`` (the per-candidate password authenticator the hub loads), ``cli`` (``livescreen hub``).

Importing the package loads none of them: the candidate image's build stage (deploy/z2jh/Dockerfile)
copies only ``paths`` and ``candidate_env`` beside this file and imports ``candidate_env`` there.
"""
