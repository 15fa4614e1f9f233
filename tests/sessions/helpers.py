"""Start and stop the real session service as a separate process (so a test can kill it)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """``python -m livescreen.sessions.service`` on a free port, with its own store."""

    def __init__(self, home, *, port: int | None = None, env: dict | None = None, hub: bool = False):
        self.home, self.port, self.hub = home, port or free_port(), hub
        self.env = {**os.environ, "LIVESCREEN_HOME": str(home), **(env or {})}
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "Service":
        cmd = [sys.executable, "-m", "livescreen.sessions.service", "--port", str(self.port), "--home", str(self.home)]
        self.proc = subprocess.Popen(cmd + (["--hub"] if self.hub else []), env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError(f"the service did not start: {line}{self.proc.stdout.read()}")
        return self

    @property
    def token(self) -> str:
        return json.loads((self.home / "console.json").read_text())["token"]

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def call(url: str, *, token: str | None = None, body: dict | None = None, method: str | None = None):
    """``(status, json or text)`` of one request."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), headers=headers,
                                 method=method or ("GET" if body is None else "POST"))
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_until(pred, timeout: float = 10.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()
