"""The candidate environment's own server settings (``candidate_env.configure_servers``)."""
from __future__ import annotations

import json
import subprocess

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
