"""Where the hub's pieces live. No work at import: every path is computed when asked for.

- the hub's state (database, cookie secret, proxy token, logins, service tokens): an
  interviewer-only folder, mode 0700, default ``<repo>/.hub/state`` (``LIVESCREEN_HUB_STATE``);
- the grader-only store (collected submissions, the truth): mode 0700, default
  ``<repo>/.hub/store`` (``LIVESCREEN_STORE``);
- the candidate environment: ``<repo>/.venv-candidate`` (``LIVESCREEN_CANDIDATE_ENV``), built by
  ``make candidate-env`` from a Python every user can execute; world-readable, holds the toolkit
  and its libraries only;
- configurable-http-proxy: installed by ``make hub`` into ``<repo>/.hub/proxy`` (npm, never global).
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Unix and hub names of candidates start with this, so they are recognisable (``ps``, ``/home``).
CANDIDATE_PREFIX = "lsc-"
# The group whose members the grader may run candidate cells as (and nothing else).
CANDIDATE_GROUP = "livescreen-candidates"
# Candidates' servers and kernels compute on one thread each (BLAS, OpenMP, numexpr): twenty kernels
# each starting a thread per core on a 2-core machine fight over the cores (and OpenBLAS threads
# spin while they wait) instead of sharing them; the hub's config sets these for every server.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


def hub_root() -> Path:
    return Path(os.environ.get("LIVESCREEN_HUB_ROOT") or REPO / ".hub")


def state_dir() -> Path:
    """The hub's own state: database, cookie secret, proxy token, logins (0700)."""
    return Path(os.environ.get("LIVESCREEN_HUB_STATE") or hub_root() / "state")


def store_dir() -> Path:
    """The grader-only store: collected submissions and the truth (0700)."""
    return Path(os.environ.get("LIVESCREEN_STORE") or hub_root() / "store")


def candidate_env() -> Path:
    return Path(os.environ.get("LIVESCREEN_CANDIDATE_ENV") or REPO / ".venv-candidate")


def proxy_command() -> Path:
    """configurable-http-proxy as ``make hub`` installs it (``LIVESCREEN_PROXY`` overrides)."""
    return Path(os.environ.get("LIVESCREEN_PROXY")
                or REPO / ".hub" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")


def hub_config() -> Path:
    """The hub's configuration file, in the repository."""
    return Path(__file__).with_name("jupyterhub_config.py")


def private_dir(path: Path) -> Path:
    """``path`` created if needed and set to mode 0700 (owner only)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
