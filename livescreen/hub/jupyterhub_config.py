"""The hub's configuration (loaded by ``livescreen hub start`` / ``make hub``; see livescreen/hub/server.py).

Loopback only; LocalProcessSpawner starts each candidate's server as that candidate's Unix user,
from the candidate environment (the toolkit and its libraries only), with nothing of the hub's
environment but a locale. The database, cookie secret, proxy token and logins live in the 0700
state folder named by ``$LIVESCREEN_HUB_STATE``.
"""
import json
import os
from pathlib import Path

from livescreen.hub import paths

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

state = Path(os.environ["LIVESCREEN_HUB_STATE"])
settings = json.loads((state / "settings.json").read_text())
env = Path(settings["candidate_env"])

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(settings["port"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(settings["hub_port"])
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.auth_token = (state / "proxy-token").read_text().strip()
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(settings['proxy_api_port'])}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "livescreen.hub.auth.LivescreenAuthenticator"
c.LivescreenAuthenticator.state_dir = str(state)
c.Authenticator.admin_users = set(settings.get("interviewers", []))

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.args = list(settings.get("spawner_args", []))
# nothing of the hub's own environment reaches a candidate's server (no PYTHONPATH, no LIVESCREEN_*)
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {"PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                         "JUPYTER_PREFER_ENV_PATH": "1",
                         **paths.ONE_THREAD,
                         **settings.get("candidate_environment", {})}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.concurrent_spawn_limit = 50

# scripting (delivery, tests, the benchmark): an admin service whose token stays in the state folder
c.JupyterHub.services = [{"name": "livescreen-admin",
                          "api_token": (state / "service-token").read_text().strip()}]
c.JupyterHub.load_roles = [{"name": "livescreen-admin", "services": ["livescreen-admin"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "list:users",
                                       "read:users", "admin:groups", "read:hub", "access:servers"]}]
c.JupyterHub.services += settings.get("services", [])
c.JupyterHub.load_roles += settings.get("roles", [])


# interviewers have no server of their own (no Unix user): after login they land on the session
# console (the hub service ``livescreen``) instead of a failing spawn; candidates on their own server
if any(svc.get("name") == "livescreen" for svc in settings.get("services", [])):
    def _landing(handler):
        user = handler.current_user
        if user is not None and (user.admin or any(g.name == "interviewers" for g in user.groups)):
            return "/services/livescreen/"
        return ""  # the hub's default: the candidate's own server

    c.JupyterHub.default_url = _landing
