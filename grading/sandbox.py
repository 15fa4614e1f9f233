"""Run the candidate's cells as an unprivileged account, from the candidate environment.

nbgrader executes a submission in a kernel; that kernel runs the candidate's own code. Here the
kernel nbgrader starts is launched by ``SandboxKernelManager``:

- as ``run_as`` (the candidate's own Unix user, or the dedicated ``livescreen-sandbox`` user) through
  ``setpriv``, with no supplementary groups, when the grader runs as root; that account cannot read
  the grader-only store where the truth lives (0700);
- from the candidate environment's Python (``$LIVESCREEN_CANDIDATE_ENV`` or ``.venv-candidate``),
  where neither ``grading`` nor ``data_generators`` can be imported;
- with an environment built from nothing: PATH, HOME (the submission's scratch copy), a locale and
  nbgrader's ``NBGRADER_EXECUTION``. Nothing of the grader's environment reaches it;
- with a whole-notebook time limit: at ``notebook_timeout`` seconds after launch the kernel's process
  group is killed and ``<kernel dir>/notebook-timeout`` is written for the grader to find.

When the grader is not root no other account can be used: the kernel runs as the grader's own user
and ``sandboxed()`` says so (the result is flagged ``unsandboxed``).
"""
from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Float, Unicode

SANDBOX_USER = "livescreen-sandbox"
TIMEOUT_MARK = "notebook-timeout"


def candidate_python() -> Path | None:
    """The candidate environment's Python, or None when it is not built."""
    env = Path(os.environ.get("LIVESCREEN_CANDIDATE_ENV") or Path(__file__).resolve().parents[1] / ".venv-candidate")
    py = env / "bin" / "python"
    return py if py.is_file() else None


def sandboxed() -> bool:
    """Whether candidate cells can run as another account here (the grader is root)."""
    return os.geteuid() == 0


def ensure_sandbox_user() -> str:
    """The dedicated sandbox account (no home, no login shell), created when missing (root only)."""
    try:
        pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", SANDBOX_USER], check=True, capture_output=True)
    return SANDBOX_USER


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid, follow_symlinks=False)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), uid, gid, follow_symlinks=False)


class SandboxKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, launching the kernel as ``run_as`` from the candidate environment."""

    run_as = Unicode("", help="the Unix account candidate cells run as (root only; '' = the grader's own)").tag(config=True)
    python = Unicode("", help="the Python the kernel runs (default: the candidate environment's)").tag(config=True)
    notebook_timeout = Float(0.0, help="seconds the whole notebook may run; 0 = no limit").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        python = self.python or str(candidate_python() or sys.executable)
        cwd = Path(kw.get("cwd") or os.getcwd())
        conn = Path(self.connection_file)
        kernel_cmd = [python, "-m", "ipykernel_launcher", "-f", str(conn)]
        env = {"PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               "PYTHONNOUSERSITE": "1"}
        if "NBGRADER_EXECUTION" in os.environ:
            env["NBGRADER_EXECUTION"] = os.environ["NBGRADER_EXECUTION"]
        if self.run_as and os.geteuid() == 0:
            user = pwd.getpwnam(self.run_as)
            # the kernel writes its sockets beside its connection file and works in the submission's copy
            _chown_tree(conn.parent, user.pw_uid, user.pw_gid)
            _chown_tree(cwd, user.pw_uid, user.pw_gid)
            env.update(USER=user.pw_name, LOGNAME=user.pw_name)
            kernel_cmd = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                          "--inh-caps=-all", "--", *kernel_cmd]
        kw["env"] = env
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.notebook_timeout > 0:
            self._start_watchdog(conn.parent)

    def _start_watchdog(self, folder: Path) -> None:
        proc = getattr(self.provisioner, "process", None)
        pid = getattr(proc, "pid", None)
        if pid is None:
            return
        deadline = time.monotonic() + self.notebook_timeout

        def watch():
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    return
                time.sleep(0.5)
            if proc.poll() is None:
                (folder / TIMEOUT_MARK).write_text(f"{self.notebook_timeout:.0f}\n")
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass

        threading.Thread(target=watch, daemon=True, name="notebook-timeout").start()
