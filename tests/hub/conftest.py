"""Shared fixtures for the hub tests: candidates (real Unix users) and one running hub per module.

Everything a test creates lives under a scratch hub root (state, store) and is removed afterwards,
the Unix users included. Tests that need root skip with a reason when not root.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from livescreen.hub import paths

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the hub and candidate Unix users need root (CI runs as root)")


def hub_prerequisites() -> str | None:
    """Why a hub cannot start here, or None."""
    if os.geteuid() != 0:
        return "the hub runs as root to start candidates' servers as their own Unix users"
    if not os.access(paths.proxy_command(), os.X_OK):
        return f"no configurable-http-proxy at {paths.proxy_command()}: run `make install`"
    if not (paths.candidate_env() / "bin" / "jupyterhub-singleuser").is_file():
        return f"no candidate environment at {paths.candidate_env()}: run `make candidate-env`"
    return None


needs_hub = pytest.mark.skipif(hub_prerequisites() is not None, reason=str(hub_prerequisites()))


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory, request):
    """A scratch hub root (state + store) for this module; its candidates are removed afterwards."""
    root = tmp_path_factory.mktemp("hub")
    os.chmod(root, 0o755)
    old = os.environ.get("LIVESCREEN_HUB_ROOT")
    os.environ["LIVESCREEN_HUB_ROOT"] = str(root)
    made: list[str] = []
    yield root, made
    from livescreen.hub.users import remove_candidate
    for name in made:
        try:
            remove_candidate(name, state=root / "state")
        except Exception:  # noqa: BLE001 - best effort cleanup
            subprocess.run(["userdel", "-r", name], capture_output=True)
    if old is None:
        os.environ.pop("LIVESCREEN_HUB_ROOT", None)
    else:
        os.environ["LIVESCREEN_HUB_ROOT"] = old
    shutil.rmtree(root, ignore_errors=True)


def unique_id(stem: str) -> str:
    return f"{stem}{uuid.uuid4().hex[:6]}"


def add_candidates(hub_root, *stems: str) -> list[tuple[str, str]]:
    """Create one candidate (a real Unix user) per stem in this module's hub root; removed afterwards.

    Returns each candidate's (login name, password).
    """
    from livescreen.hub import users
    root, made = hub_root
    out = []
    for stem in stems:
        name, password = users.add_candidate(unique_id(stem), state=root / "state")
        made.append(name)
        out.append((name, password))
    return out
