"""Start and stop the hub: ``start_hub()`` (what ``make hub`` runs) and the ``Hub`` handle tests use.

The hub runs as root so that LocalProcessSpawner can start each candidate's server as that
candidate's Unix user. Its state folder (0700) gets the cookie secret, the proxy's token and the
admin service's token on first start; its database is created there too.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .users import HubError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secret(path: Path) -> str:
    if not path.is_file():
        path.write_text(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path.read_text().strip()


def check_ready(*, candidate_env: Path | None = None, proxy: Path | None = None) -> None:
    """Raise HubError (one line) when the hub cannot start: not root, no proxy, no candidate env."""
    env = Path(candidate_env or paths.candidate_env())
    proxy = Path(proxy or paths.proxy_command())
    if os.geteuid() != 0:
        raise HubError("the hub starts each candidate's server as their own Unix user, so it runs as root: "
                       "run `sudo make hub`")
    if not os.access(proxy, os.X_OK):
        raise HubError(f"no configurable-http-proxy at {proxy}: run `make hub` (it installs it with npm)")
    if not (env / "bin" / "jupyterhub-singleuser").is_file():
        raise HubError(f"no candidate environment at {env}: run `make candidate-env`")


def hide_processes() -> bool:
    """Remount /proc with ``hidepid=invisible``: a user sees only their own processes (root sees all).

    Without it any user can read every process's command line. Returns whether /proc is now so.
    """
    opts = _proc_options()
    if "hidepid=invisible" in opts or "hidepid=2" in opts:
        return True
    res = subprocess.run(["mount", "-o", "remount,hidepid=invisible", "/proc"], capture_output=True)
    return res.returncode == 0 and any(o in _proc_options() for o in ("hidepid=invisible", "hidepid=2"))


def _proc_options() -> str:
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[1] == "/proc":
            return parts[3]
    return ""


def lock_repository(repo: Path | None = None, *, keep=()) -> list[Path]:
    """Close the repository to other users: its folder 0711, everything at its top 0700/0600.

    The repository holds the engine, the scenarios, the rubrics and the solutions; a candidate's
    code could read them by path even though they cannot be imported from the candidate
    environment. Entries in ``keep`` (the candidate environment, when it lives inside) stay
    world-readable; the folder itself stays traversable so candidates' servers can reach it.
    Returns what was closed. Root only (a no-op otherwise).
    """
    repo = Path(repo or paths.REPO).resolve()
    if os.geteuid() != 0:
        return []
    keep = {Path(k).resolve() for k in keep}
    closed = []
    for entry in repo.iterdir():
        if entry.resolve() in keep or entry.is_symlink():
            continue
        mode = os.stat(entry).st_mode
        if mode & 0o077:
            os.chmod(entry, mode & ~0o077)
            closed.append(entry)
    os.chmod(repo, 0o711)
    return closed


def write_settings(*, state: Path, port: int, candidate_env: Path | None = None, proxy: Path | None = None,
                   interviewers=(), services=(), roles=(), candidate_environment=None, spawner_args=()) -> dict:
    state = paths.private_dir(state)
    settings = {
        "port": port, "hub_port": _free_port(), "proxy_api_port": _free_port(),
        "candidate_env": str(Path(candidate_env or paths.candidate_env()).resolve()),
        "proxy": str(Path(proxy or paths.proxy_command()).resolve()),
        "interviewers": sorted(interviewers),
        "services": list(services), "roles": list(roles),
        "candidate_environment": dict(candidate_environment or {}),
        "spawner_args": list(spawner_args),
    }
    (state / "settings.json").write_text(json.dumps(settings, indent=1))
    os.chmod(state / "settings.json", 0o600)
    for name in ("proxy-token", "service-token", "jupyterhub_cookie_secret"):
        _secret(state / name)
    return settings


@dataclass
class Hub:
    """A running hub: its URL, the admin service token, the process."""
    url: str
    state: Path
    process: subprocess.Popen
    token: str
    log: Path
    settings: dict = field(default_factory=dict)

    def api(self, method: str, path: str, body=None, *, token: str | None = None, timeout: float = 30):
        """Call the hub's REST API (``path`` under ``/hub/api/``); returns ``(status, json or None)``."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/hub/api/{path.lstrip('/')}", data=data, method=method,
                                     headers={"Authorization": f"token {token or self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the hub (it stops user servers and the proxy), then make sure the proxy is gone."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        pid_file = self.state / "proxy.pid"
        try:
            pid = int(pid_file.read_text().strip())
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"configurable-http-proxy" in cmd:
                os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            pass


def start_hub(*, state: Path | None = None, port: int | None = None, candidate_env: Path | None = None,
              interviewers=(), services=(), roles=(), candidate_environment=None, sessions: bool = True,
              spawner_args=(), wait: float = 60, log: Path | None = None) -> Hub:
    """Start the hub in the background and wait until its API answers 200.

    Parameters
    ----------
    state : the hub's state folder (0700); default ``paths.state_dir()``.
    port : the public port on 127.0.0.1; default a free one.
    interviewers : names of interviewer logins made hub admins.
    services, roles : extra hub services and roles (e.g. the session service).
    candidate_environment : extra environment variables for candidates' servers.
    spawner_args : extra arguments for candidates' servers (tests expose JupyterLab's app object).
    sessions : run the session service as a hub service (store ``<store>/sessions``) and point
        candidates' servers at it (``LIVESCREEN_SERVICE_URL``).
    """
    check_ready(candidate_env=candidate_env)
    state = paths.private_dir(Path(state or paths.state_dir()))
    port = port or _free_port()
    services, roles, candidate_environment = list(services), list(roles), dict(candidate_environment or {})
    if sessions:
        from livescreen.sessions.service import hub_service  # the sessions floor, below the hub
        paths.private_dir(paths.store_dir())
        svc, role, env = hub_service(home=paths.store_dir() / "sessions", hub_url=f"http://127.0.0.1:{port}")
        services.append(svc)
        roles.append(role)
        for key, value in env.items():
            candidate_environment.setdefault(key, value)
    settings = write_settings(state=state, port=port, candidate_env=candidate_env, interviewers=interviewers,
                              services=services, roles=roles, candidate_environment=candidate_environment,
                              spawner_args=spawner_args)
    hide_processes()
    lock_repository(keep=[settings["candidate_env"]])
    log = Path(log or state / "jupyterhub.log")
    env = {**os.environ, "LIVESCREEN_HUB_STATE": str(state),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "ab") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(paths.hub_config())],
                                cwd=state, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", state, proc, (state / "service-token").read_text().strip(), log,
              settings)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HubError(f"the hub exited with code {proc.returncode} while starting: see {log}")
        try:
            status, _ = hub.api("GET", "/", timeout=2)
            if status == 200:
                return hub
        except OSError:
            pass
        time.sleep(0.3)
    hub.stop()
    raise HubError(f"the hub did not answer within {wait:.0f} s: see {log}")
