"""The candidate environment's own server settings (``candidate_env.configure_servers``)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from livescreen.hub import candidate_env, paths

CHECK = r'''
import asyncio, json, sys
from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
app = ServerApp()
app.load_config_file()   # what every server started from the environment reads (the hub's singleuser too)
cls = app.kernel_websocket_connection_class
calls = []
class Handler:
    def set_nodelay(self, value):
        calls.append(value)
async def base_connect(self):
    calls.append("connected")
ZMQChannelsWebsocketConnection.connect = base_connect
conn = cls.__new__(cls)
conn.__dict__["_trait_values"] = {"websocket_handler": Handler()}
asyncio.run(cls.connect(conn))
print(json.dumps({"class": cls.__name__, "subclass": issubclass(cls, ZMQChannelsWebsocketConnection), "calls": calls,
                  "extension_manager": app.config.LabApp.extension_manager}))
'''


def test_candidates_servers_send_kernel_messages_without_delay():
    """Does every server of the candidate environment use the kernel connection with TCP_NODELAY (no 40 ms
    wait for a delayed ACK per cell or widget update), set before the connection opens?"""
    env = paths.candidate_env()
    if not (env / "etc" / "jupyter" / candidate_env.SERVER_CONFIG).is_file():
        pytest.skip(f"no candidate environment at {env}: run `make candidate-env`")
    res = subprocess.run([str(env / "bin" / "python"), "-c", CHECK], capture_output=True, text=True, cwd="/",
                         env={"PATH": f"{env / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent"})
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got == {"class": "NoDelayKernelConnection", "subclass": True, "calls": [True, "connected"],
                   "extension_manager": "readonly"}


def test_rebuild_refused_while_processes_run_from_the_environment(tmp_path):
    """Does `make install` refuse (one line, exit 2) to rebuild the candidate environment while a process
    runs from it (a file of it on the command line, or mapped into memory), and allow it once they stop?"""
    env = tmp_path / "env"
    (env / "lib").mkdir(parents=True)
    lib = env / "lib" / "mapped.bin"
    lib.write_bytes(b"x" * 4096)
    assert candidate_env.in_use(env) == [] and candidate_env.main(["--check-unused", str(env)]) == 0
    named = subprocess.Popen(["python3", "-c", "import sys, time; time.sleep(60)", str(env / "bin" / "python")])
    mapped = subprocess.Popen(["python3", "-c", "import mmap, os, sys, time\n"
                               "f = open(os.environ['LIB'], 'rb'); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
                               "print('ready', flush=True); time.sleep(60)"],
                              env={"LIB": str(lib), "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, text=True)
    try:
        assert mapped.stdout.readline().strip() == "ready"
        assert [pid for pid, _ in candidate_env.in_use(env)] == sorted([named.pid, mapped.pid])
        res = subprocess.run([sys.executable, "-m", "livescreen.hub.candidate_env", "--check-unused", str(env)],
                             capture_output=True, text=True)
        assert res.returncode == 2 and res.stdout == ""
        assert len(res.stderr.strip().splitlines()) == 1 and "in use by 2 running process(es)" in res.stderr
        assert "Traceback" not in res.stderr and "Stop the hub" in res.stderr
    finally:
        for p in (named, mapped):
            p.kill()
            p.wait()
    assert candidate_env.in_use(env) == []
