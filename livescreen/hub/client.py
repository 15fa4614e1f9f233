"""Drive the hub as a candidate would, over HTTP and the kernel's websocket (tests, the benchmark).

``Session(hub_url, name, password)`` logs in through the login form, asks for an API token of its
own (as JupyterLab does), starts the user's server, opens a kernel and runs code in it over the
kernel's websocket, exactly the path a browser's JupyterLab takes.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class HubClientError(RuntimeError):
    pass


class Session:
    def __init__(self, hub_url: str, name: str, password: str):
        self.url, self.name, self.password = hub_url.rstrip("/"), name, password
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token: str | None = None

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, path: str, body=None, *, token: bool = True, timeout: float = 60,
                form: dict | None = None, headers: dict | None = None):
        url = path if path.startswith("http") else self.url + path
        hdrs = dict(headers or {})
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if token and self.token:
            hdrs["Authorization"] = f"token {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _xsrf(self) -> str:
        for c in self.jar:
            if c.name == "_xsrf":
                return c.value
        return ""

    def login(self) -> bool:
        """Log in through the login form; True when the hub accepted the password."""
        status, page = self.request("GET", "/hub/login", token=False)
        m = re.search(rb'name="_xsrf" value="([^"]+)"', page)
        xsrf = m.group(1).decode() if m else self._xsrf()
        status, _ = self.request("POST", "/hub/login?next=", token=False,
                                 form={"username": self.name, "password": self.password, "_xsrf": xsrf})
        return any(c.name.startswith("jupyterhub-hub-login") for c in self.jar)

    def login_with_link(self, path: str) -> bool:
        """Open a one-time login link (``users.link_path``) without following where it leads; True
        when the hub logged this session in."""

        class _Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _Stay)
        try:
            with opener.open(self.url + path, timeout=60):
                pass
        except urllib.error.HTTPError:
            pass  # the redirect after a login, or the refusal
        return any(c.name.startswith("jupyterhub-hub-login") for c in self.jar)

    def get_token(self) -> str:
        """An API token of the user's own, requested with the login cookie (as the hub's pages do)."""
        self.request("GET", "/hub/home", token=False)
        status, body = self.request("POST", f"/hub/api/users/{self.name}/tokens", {"note": "livescreen client"},
                                    token=False, headers={"X-XSRFToken": self._xsrf()})
        if status != 201:
            raise HubClientError(f"token request for {self.name} failed: {status} {body[:200]!r}")
        self.token = json.loads(body)["token"]
        return self.token

    def start_server(self, *, wait: float = 120) -> float:
        """Start the user's server and wait until it answers; returns seconds to ready."""
        t0 = time.perf_counter()
        status, body = self.request("POST", f"/hub/api/users/{self.name}/server")
        if status not in (201, 202, 400):  # 400: already running
            raise HubClientError(f"spawn for {self.name} failed: {status} {body[:200]!r}")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            status, body = self.request("GET", f"/hub/api/users/{self.name}")
            if status == 200:
                srv = json.loads(body).get("servers", {}).get("", {})
                if srv.get("ready"):
                    st, _ = self.request("GET", f"/user/{self.name}/api/status")
                    if st == 200:
                        return time.perf_counter() - t0
            time.sleep(0.25)
        raise HubClientError(f"{self.name}'s server was not ready within {wait:.0f} s")

    def stop_server(self) -> None:
        self.request("DELETE", f"/hub/api/users/{self.name}/server")

    # ------------------------------------------------------------------ kernels
    def kernel(self, *, path: str = "") -> "Kernel":
        status, body = self.request("POST", f"/user/{self.name}/api/kernels", {"name": "python3", "path": path})
        if status != 201:
            raise HubClientError(f"kernel start for {self.name} failed: {status} {body[:200]!r}")
        return Kernel(self, json.loads(body)["id"])

    def contents(self, path: str):
        status, body = self.request("GET", f"/user/{self.name}/api/contents/{urllib.parse.quote(path)}")
        return status, (json.loads(body) if status == 200 else None)


class Kernel:
    """A kernel on the user's server, talked to over its websocket (Jupyter's v1 JSON protocol)."""

    # The server pings the websocket every 30 s and closes it when no pong came back for 90 s; this client
    # answers pings only while it reads, so after a quiet spell it opens a fresh websocket (the kernel and
    # its state stay), as JupyterLab reconnects a closed one.
    QUIET = 20.0

    def __init__(self, session: Session, kernel_id: str):
        self.session, self.id = session, kernel_id
        self.session_id = uuid.uuid4().hex
        self.ws = None
        self.connect()

    def connect(self, *, attempts: int = 3) -> None:
        """Open (or reopen) the kernel's websocket; a busy server may drop the handshake: try again."""
        import websocket
        if self.ws is not None:
            try:
                self.ws.close()
            except (OSError, websocket.WebSocketException):
                pass
        url = self.session.url.replace("http", "ws", 1) + f"/user/{self.session.name}/api/kernels/{self.id}/channels"
        for attempt in range(attempts):
            try:
                self.ws = websocket.create_connection(url, header=[f"Authorization: token {self.session.token}"],
                                                      timeout=120)
                break
            except (OSError, websocket.WebSocketException):
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
        self.used = time.monotonic()

    def wake(self) -> None:
        """Reopen the websocket if it sat quiet long enough for the server to have closed it."""
        if time.monotonic() - self.used > self.QUIET or not self.ws.connected:
            self.connect()

    def _send(self, msg_type: str, content: dict) -> str:
        self.wake()
        self.used = time.monotonic()
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.session.name, "session": self.session_id,
                       "msg_type": msg_type, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "content": content}))
        return msg_id

    def _execute_request(self, code: str) -> str:
        return self._send("execute_request", {"code": code, "silent": False, "store_history": False,
                                              "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})

    def _collect(self, msg_ids: list[str], timeout: float) -> dict[str, dict]:
        """Read the websocket until every request in ``msg_ids`` has its reply and its idle status."""
        outs = {m: {"status": None, "stdout": "", "stderr": "", "result": None, "ename": None, "evalue": None,
                    "_idle": False} for m in msg_ids}
        deadline = time.monotonic() + timeout
        waiting = set(msg_ids)
        while waiting:
            if time.monotonic() > deadline:
                raise HubClientError(f"no reply from the kernel within {timeout:.0f} s")
            msg = self._recv()
            out = outs.get(msg.get("parent_header", {}).get("msg_id"))
            if out is None:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind == "execute_result":
                out["result"] = content["data"].get("text/plain")
            elif kind == "error":
                out["ename"], out["evalue"] = content["ename"], content["evalue"]
            elif kind.endswith("_reply"):
                out["status"] = content.get("status", "ok")
            elif kind == "status" and content.get("execution_state") == "idle":
                out["_idle"] = True
            if out["status"] is not None and out["_idle"]:
                waiting.discard(msg["parent_header"]["msg_id"])
        return {m: {k: v for k, v in o.items() if k != "_idle"} for m, o in outs.items()}

    def _recv(self) -> dict:
        text = self.ws.recv()
        self.used = time.monotonic()
        if not text:
            raise HubClientError("the kernel's websocket was closed by the server")
        return json.loads(text)

    def execute(self, code: str, *, timeout: float = 120) -> dict:
        """Run ``code``; returns ``{"status", "stdout", "stderr", "result", "ename", "evalue"}``."""
        msg_id = self._execute_request(code)
        return self._collect([msg_id], timeout)[msg_id]

    def run_all(self, cells: list[str], *, timeout: float = 900) -> list[dict]:
        """Run the cells as JupyterLab's Run All does: every request sent at once, the kernel runs them in
        order (and aborts the rest after an error); returns each cell's outcome as ``execute`` does."""
        ids = [self._execute_request(code) for code in cells]
        outs = self._collect(ids, timeout)
        return [outs[m] for m in ids]

    def comm_update(self, comm_id: str, state: dict, *, timeout: float = 120) -> None:
        """Set a widget's state as the browser does when a control moves (a ``comm_msg`` update), and
        wait until the kernel has run the widget's callbacks (its idle status for that message)."""
        msg_id = self._send("comm_msg", {"comm_id": comm_id,
                                         "data": {"method": "update", "state": state, "buffer_paths": []}})
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise HubClientError(f"no idle status from the kernel within {timeout:.0f} s")
            msg = self._recv()
            if (msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.session.request("DELETE", f"/user/{self.session.name}/api/kernels/{self.id}")
