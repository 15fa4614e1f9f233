"""The candidate environment: the toolkit and its libraries, nothing that knows the answer.

``build(env)`` (run by ``make candidate-env``) installs into an existing venv (made from a Python
every user can execute, e.g. Debian's ``/usr/bin/python3``): the libraries in ``REQUIREMENTS`` and
the candidate toolkit as a distribution of its own (``livescreen-toolkit``: ``livescreen/__init__.py``
and ``livescreen/toolkit/`` copied into a scratch project and installed non-editable, so nothing
points back into the repository). No ``data_generators``, ``grading``, scenario YAMLs, rubrics,
``solutions/`` or nbgrader. It then locks nbgrader's extensions off at the environment's system
level (in case a site installs nbgrader system-wide), writes the servers' settings (``configure_servers``:
TCP_NODELAY on the kernel's websocket, no PyPI queries from the lab), builds matplotlib's font list once
(``font_cache``) and makes the tree world-readable.

``make install`` rebuilds the environment in place when the toolkit changes; a hub running at the
time would break (its candidates' servers and kernels run from it, and new servers would spawn from
a half-built tree). ``in_use(env)`` finds such processes and the Makefile refuses to rebuild while
there are any (``python -m livescreen.hub.candidate_env --check-unused ENV``: one line, exit 2).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths

# What candidates' servers and kernels need (bounds as in pyproject.toml), and the hub's singleuser.
REQUIREMENTS = [
    "jupyterlab>=4.2,<5", "jupyterhub>=5.3,<6", "ipykernel>=6.29", "ipywidgets>=8.1,<9",
    "numpy>=2.0", "scipy>=1.11", "pandas>=2.2", "scikit-learn>=1.5", "matplotlib>=3.8",
]
# Distributions whose presence in the candidate environment would leak the answer or the grader.
FORBIDDEN = ("data_generators", "grading", "nbgrader", "livescreen")  # "livescreen": the whole kit
NBGRADER_LAB = ["@jupyter/nbgrader", "nbgrader"]
NBGRADER_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.assignment_list",
                   "nbgrader.server_extensions.course_list", "nbgrader.server_extensions.validate_assignment"]
SERVER_CONFIG = "jupyter_server_config.py"
# matplotlib's font list, built once with the environment and copied into each new candidate's home
FONT_CACHE = Path("share") / "livescreen" / "matplotlib"
# Candidates' servers (read by every jupyter server started from the environment, the hub's singleuser too).
# jupyter_server leaves Nagle's algorithm on for the kernel's websocket: a reply is several small frames
# (busy, outputs, idle, reply), and each after the first waited for the peer's delayed ACK, about 40 ms
# per executed cell or widget update (measured on the hub: 48 ms for `pass`, 7 ms with TCP_NODELAY).
# JupyterLab's extension manager would query PyPI from every candidate's lab: read-only, no update check.
_SERVER_CONFIG_TEXT = '''"""livescreen: candidates' servers (written by livescreen.hub.candidate_env; root-owned)."""
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class NoDelayKernelConnection(ZMQChannelsWebsocketConnection):
    """The kernel's websocket with TCP_NODELAY: each message leaves at once, not after a delayed ACK."""

    async def connect(self):
        self.websocket_handler.set_nodelay(True)
        return await super().connect()


c = get_config()  # noqa: F821 - given by the config loader
c.ServerApp.kernel_websocket_connection_class = NoDelayKernelConnection
c.LabApp.extension_manager = "readonly"
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
'''

_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "livescreen-toolkit"
version = "0.1.0"
description = "The livescreen candidate toolkit alone (report, gap, explorers, card)."
requires-python = ">=3.11"

[tool.setuptools.packages.find]
include = ["livescreen", "livescreen.toolkit"]
"""


def toolkit_project(dest: Path) -> Path:
    """A scratch project holding only ``livescreen/__init__.py`` and ``livescreen/toolkit/``."""
    dest = Path(dest)
    (dest / "livescreen").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.REPO / "livescreen" / "__init__.py", dest / "livescreen" / "__init__.py")
    shutil.copytree(paths.REPO / "livescreen" / "toolkit", dest / "livescreen" / "toolkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dest / "pyproject.toml").write_text(_PYPROJECT)
    return dest


def lock_nbgrader(env: Path) -> list[Path]:
    """Disable and lock nbgrader's lab and server extensions at ``env``'s system level (root-owned, 0644)."""
    env = Path(env)
    lab = env / "etc" / "jupyter" / "labconfig" / "page_config.json"
    server = env / "etc" / "jupyter" / "jupyter_server_config.d" / "livescreen-no-nbgrader.json"
    lab.parent.mkdir(parents=True, exist_ok=True)
    server.parent.mkdir(parents=True, exist_ok=True)
    page = json.loads(lab.read_text()) if lab.is_file() else {}
    page.setdefault("disabledExtensions", {}).update({x: True for x in NBGRADER_LAB})
    page.setdefault("lockedExtensions", {}).update({x: True for x in NBGRADER_LAB})
    lab.write_text(json.dumps(page, indent=1))
    server.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {x: False for x in NBGRADER_SERVER}}},
                                 indent=1))
    # no "Jupyter news" pop-up in candidates' labs
    news = env / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}))
    return [lab, server, news]


def configure_servers(env: Path) -> Path:
    """Write the servers' own settings (``SERVER_CONFIG``) at ``env``'s system level: see ``_SERVER_CONFIG_TEXT``."""
    path = Path(env) / "etc" / "jupyter" / SERVER_CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_SERVER_CONFIG_TEXT)
    return path


def font_cache(env: Path) -> Path:
    """Build matplotlib's font list once, with the environment (``FONT_CACHE`` under ``env``).

    matplotlib scans every font on the machine the first time a user draws, and writes the list
    into that user's cache folder: each new candidate's first Run All paid it (0.2-0.5 s of CPU,
    measured as a fresh user). ``users.add_candidate`` copies this list into the new home instead.
    Returns the list's file.
    """
    cache = Path(env) / FONT_CACHE
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    subprocess.run([str(Path(env) / "bin" / "python"), "-c", "import matplotlib.font_manager"], check=True,
                   env={"PATH": "/usr/bin:/bin", "MPLCONFIGDIR": str(cache), "HOME": str(cache)})
    found = sorted(cache.glob("fontlist-*.json"))
    if len(found) != 1:
        raise RuntimeError(f"matplotlib wrote no single font list into {cache}: {found}")
    return found[0]


def build(env: Path | None = None, *, quiet: bool = True) -> Path:
    """Install the candidate toolkit and its libraries into the venv at ``env``; lock nbgrader out."""
    env = Path(env or paths.candidate_env())
    pip = env / "bin" / "pip"
    if not pip.is_file():
        raise FileNotFoundError(f"no venv at {env}: create it with `/usr/bin/python3 -m venv {env}`")
    q = ["--quiet"] if quiet else []
    subprocess.run([str(pip), "install", *q, *REQUIREMENTS], check=True)
    with tempfile.TemporaryDirectory(prefix="livescreen-toolkit-") as tmp:
        project = toolkit_project(Path(tmp) / "src")
        subprocess.run([str(pip), "install", *q, "--no-deps", "--force-reinstall", str(project)], check=True)
    lock_nbgrader(env)
    configure_servers(env)
    font_cache(env)
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(env)], check=True)
    return env


def in_use(env: Path | None = None, *, proc: Path = Path("/proc")) -> list[tuple[int, str]]:
    """Running processes that rebuilding ``env`` would break, as ``(pid, command line)``.

    A process counts when a file of ``env`` is mapped into it or named on its command line (the
    candidates' servers and kernels), or when it is a hub started with this repository's config
    whose settings (in its working folder, the state folder) spawn servers from ``env``. Only
    processes this user may inspect are seen: root sees them all.
    """
    env = Path(env or paths.candidate_env()).resolve()
    mark, hub_mark = (str(env) + "/").encode(), str(paths.hub_config().resolve()).encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            hit = mark in cmd or (hub_mark in cmd and _hub_env(entry) in (None, env))
            if not hit:
                with open(entry / "maps", "rb") as fh:
                    hit = any(mark in line for line in fh)
        except OSError:  # gone, or not ours to read
            continue
        if hit:
            found.append((int(entry.name), cmd.replace(b"\0", b" ").decode(errors="replace").strip()[:120]))
    return sorted(found)


def _hub_env(entry: Path) -> Path | None:
    """The candidate environment a running hub spawns from (its ``settings.json``), None if unreadable."""
    try:
        return Path(json.loads((entry / "cwd" / "settings.json").read_text())["candidate_env"]).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_unused(env: Path | None = None) -> None:
    """Raise ``HubError`` (one line) when processes run from ``env`` or a hub uses it: see ``in_use``."""
    from .users import HubError
    env = Path(env or paths.candidate_env())
    busy = in_use(env)
    if busy:
        pids = ", ".join(str(pid) for pid, _ in busy[:8]) + (" ..." if len(busy) > 8 else "")
        raise HubError(f"{env} is in use by {len(busy)} running process(es) (the hub, candidates' servers or "
                       f"kernels: PID {pids}); rebuilding it now would break them. Stop the hub (Ctrl-C on "
                       "`make hub`) and any server started from it, then run `make install` again")


def installed(env: Path | None = None) -> list[str]:
    """The distributions installed in ``env`` (``pip list --format=freeze`` names, lowercase)."""
    env = Path(env or paths.candidate_env())
    out = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(line.split("==")[0].lower() for line in out.splitlines() if "==" in line)


def main(argv: list[str]) -> int:
    """``ENV``: build the environment; ``--check-unused ENV``: exit 2 with one line if it is in use."""
    if argv[:1] == ["--check-unused"]:
        from .users import HubError
        try:
            check_unused(Path(argv[1]) if len(argv) > 1 else None)
        except HubError as exc:
            print(f"candidate-env: {exc}", file=sys.stderr)
            return 2
        return 0
    build(Path(argv[0]) if argv else None)
    return 0


if __name__ == "__main__":  # pragma: no cover - `make candidate-env`
    sys.exit(main(sys.argv[1:]))
