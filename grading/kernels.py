"""Talking to Jupyter kernels reliably on a loaded machine: one place for both workarounds.

1. ``kernel_manager(folder)``: kernels on Unix sockets in a private folder. Over TCP, kernels
   started at the same moment by parallel processes can pick the same free port (jupyter_client
   chooses ports before the kernel binds them) and a client then waits on a kernel not its own.
2. ``install_sliced_wait()``: nbclient waits for a kernel's messages on zmq.asyncio sockets whose
   edge-triggered wake-ups are now and then missed here (cells that open many widget comms, on a
   loaded 2-core machine): the kernel has replied and is idle, and the client sleeps until the
   cell's timeout, whose final check finds the reply. Measured by ``benchmarks/bench_notebook.py``
   before this: up to one Run All in three stalled for the whole 300 s. Waiting in 0.25 s slices makes
   that check every 0.25 s; nothing else about a message or its order changes.

Both are used by ``grading.grader`` (nbgrader's autograde runs in the grader's process) and
``livescreen.notebooks.execute`` (headless runs). The module lives in grading, the lower of the two
floors, so neither imports upwards.
"""
from __future__ import annotations

import time
from pathlib import Path
from queue import Empty

SLICE = 0.25
# messages found only after a slice had slept through them (a rough count of missed wake-ups)
MISSED_WAKEUPS = [0]


def kernel_manager(folder: Path):
    """A python3 kernel manager on Unix sockets in ``folder`` (private; the caller removes it)."""
    from jupyter_client import KernelManager
    return KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(folder) / "kernel"),
                         connection_file=str(Path(folder) / "kernel.json"))


def install_sliced_wait() -> None:
    """Make jupyter_client's asyncio channels wait for a message in short slices (idempotent)."""
    from jupyter_client.channels import AsyncZMQSocketChannel
    if getattr(AsyncZMQSocketChannel.get_msg, "_livescreen_sliced", False):
        return
    original = AsyncZMQSocketChannel.get_msg

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        last_empty = None  # wall time when a slice last ended with nothing
        while True:
            step = SLICE if deadline is None else max(0.0, min(SLICE, deadline - time.monotonic()))
            started, t = time.time(), time.monotonic()
            try:
                msg = await original(self, timeout=step)
            except Empty:
                last_empty = time.time()
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                continue
            try:
                sent = msg["header"]["date"].timestamp()
            except (KeyError, AttributeError, TypeError):
                return msg
            if (last_empty is not None and sent + SLICE < last_empty) or (
                    step > 0 and time.monotonic() - t >= 0.95 * step and sent + SLICE < started):
                MISSED_WAKEUPS[0] += 1
            return msg

    get_msg._livescreen_sliced = True
    AsyncZMQSocketChannel.get_msg = get_msg
