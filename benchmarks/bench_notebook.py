"""The candidate notebook's speed and memory, at the default variant size, against import-only peers.

Every figure comes from a real Jupyter kernel run by nbclient (``livescreen.notebooks.execute``,
kernel start and shutdown included), on candidate folders written as ``livescreen notebook
SCENARIO --seed N --out DIR`` writes them (no row-count overrides).

1. Run All of the released notebook vs the import-only peer: a notebook that runs the released
   notebook's setup cell as it is (the toolkit's imports and ``case = ls.start(".")``, which reads
   the candidate folder: any notebook on this data starts so) and imports what the toolkit imports
   lazily while the notebook runs (ipywidgets, IPython.display, the team's model recipe); same
   kernel, same nbclient settings, interleaved. Target: Run All at most 1.5x the peer (median).
   A second peer, the imports alone (the setup cell without reading the folder), is timed in the
   same rotation and its ratio printed beside, as context. The candidate folder carries the team's
   report (``team_report.json``, made with the folder: the importance, the report's figures and the
   monitoring chart), so Run All loads them instead of refitting, permuting and drawing.
2. Widget updates: in a kernel with the Agg backend, each explorer is built as its notebook cell
   builds it, then its control's value is set (what ipywidgets does on a change: the observer runs
   the callback, which computes, draws, renders the PNG and displays it in the Output widget).
   Targets: median at most 100 ms and 95th percentile at most 150 ms per update, absolute (the
   issue states them so). The explorers keep each value's picture, so going back to a value is a
   lookup: that cache is switched off here, and every timed update draws. The ratio against a bare
   matplotlib redraw of a 2x2 confusion-matrix heatmap, timed interleaved, is printed beside.
3. Kernel memory: a last cell run in the same kernel after Run All reads its current RSS
   (/proc/self/status VmRSS) and peak (getrusage ru_maxrss). Target: at most 400 MB (10^6 bytes)
   for both; printed beside the import-only kernel's.

nbclient's waits for kernel messages are cut into 0.25 s slices in this process (see the transport
workaround below): a missed zmq wake-up otherwise stalled a run until the 300 s cell timeout.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_notebook.py [--quick] [--repeats K]`).
`--quick`: one repeat, one scenario, fewer widget updates (a smoke run). Exit code 0 unless
`--strict` is given and a target fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from data_generators import load_scenario
from grading.kernels import MISSED_WAKEUPS, install_sliced_wait
from livescreen.notebooks import KERNEL, candidate_folder, execute, released_notebook

SCENARIOS = ("saas_churn", "telecom_churn", "card_chargebacks")  # gradient boosting, then two logistic
RUN_ALL_RATIO = 1.5
UPDATE_MS = 100.0
UPDATE_P95_MS = 150.0
MEMORY_MB = 400.0
MARK = "BENCH_JSON "

# What the toolkit imports lazily while the released notebook runs (explorers, card form, the
# offline report's refit of the team's model): the import-only peer imports these too.
LAZY_IMPORTS = """
import ipywidgets
from IPython.display import HTML, Image, display
from livescreen.toolkit import model as team_model
"""

PROBE = f"""
import json as _json, resource as _resource, sys as _sys
def _vmrss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
print({MARK!r} + _json.dumps({{
    "rss_mb": _vmrss_kb() * 1024 / 1e6,
    "peak_mb": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
    "modules": sorted({{m.split(".")[0] for m in _sys.modules}}),
}}))
"""

WIDGET_SETUP = """
import matplotlib
matplotlib.use("Agg")
from livescreen.toolkit import notebook as ls
case = ls.start(".")
"""

# Runs in the kernel: builds the four explorers as the notebook does, then sets each control's
# value in turn (a round: peer redraw, threshold, slice, drift, window), timing each assignment.
WIDGET_TIMING = """
import io, json, time
import numpy as np
from matplotlib.figure import Figure
from livescreen.toolkit import explorers as _ex

N = {n}
boxes = {{"threshold slider": ls.threshold_explorer(case), "slice column": ls.slice_explorer(case),
         "drift feature": ls.drift_explorer(case), "time window": ls.time_window_explorer(case)}}
ctrl = {{k: b.children[0].children[0] for k, b in boxes.items()}}

def _values(c):
    return [o[1] if isinstance(o, tuple) else o for o in c.options]

def _plan():
    out = {{}}
    v, seq = ctrl["threshold slider"].value, []
    for x in np.linspace(0.05, 0.95, N):
        x = round(float(x), 2)
        x = x if x != v else round(x + 0.01, 2)
        seq.append(x)
        v = x
    out["threshold slider"] = seq
    for k in ("slice column", "drift feature"):
        vals = _values(ctrl[k])
        start = vals.index(ctrl[k].value)
        out[k] = [vals[(start + 1 + i) % len(vals)] for i in range(N)]
    wk = _values(ctrl["time window"])
    L = len(wk)
    # the explorer opens on (first day, last day): start one day in, so every step is a change
    out["time window"] = [(wk[(i + 1) % max(L - 2, 1)], wk[L - 1 - (i % 2)]) for i in range(N)]
    return out

_ex.View.cache = 0  # every update draws: a value seen before would be a lookup, and is not what is timed
_renders = [0]
_render = _ex.render
def _counting_render(view):
    _renders[0] += 1
    return _render(view)
_ex.render = _counting_render

_rng = np.random.default_rng(0)
def _peer():
    grid = _rng.dirichlet(np.ones(4)).reshape(2, 2)
    fig = Figure(figsize=(5.6, 4.6))
    ax = fig.subplots()
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"cell\\n{{grid[i, j]:.1%}}", ha="center", va="center", fontsize=12)
    ax.set_title("peer: 2x2 heatmap")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

plan = _plan()
times = {{k: [] for k in ["peer"] + list(ctrl)}}
for i in range(N):
    t = time.perf_counter(); _peer(); times["peer"].append(time.perf_counter() - t)
    for k, c in ctrl.items():
        before = _renders[0]
        t = time.perf_counter()
        c.value = plan[k][i]
        times[k].append(time.perf_counter() - t)
        assert _renders[0] == before + 1, f"{{k}}: setting the value did not redraw"
_ex.render = _render
print({mark!r} + json.dumps(times))
"""


# nbclient's waits in this process are sliced (grading.kernels; execute() installs it too):
# the count of wake-ups it picked up is printed at the end.
install_sliced_wait()


def _bench_json(nb) -> dict:
    """The payload the last cell printed after ``MARK``."""
    for out in nb.cells[-1].get("outputs", []):
        if out.get("output_type") == "stream":
            for line in out["text"].splitlines():
                if line.startswith(MARK):
                    return json.loads(line[len(MARK):])
    raise RuntimeError(f"the benchmark cell printed nothing: {nb.cells[-1].get('outputs')}")


def _import_lines(source: str) -> str:
    """The magics and import statements of a cell (what it loads), nothing that does work."""
    keep = [ln for ln in source.splitlines() if ln.lstrip().startswith(("%", "import ", "from "))]
    return "\n".join(keep)


def notebooks_for(scenario: str) -> dict:
    """The released notebook, the import-only peer (setup cell as released + lazy imports) and the
    imports alone, each with the probe cell last: ``{"real": ..., "peer": ..., "imports": ...}``."""
    real = nbformat.read(released_notebook(scenario), as_version=4)
    setup = next(c for c in real.cells if c.cell_type == "code")
    real.cells.append(new_code_cell(PROBE.strip()))

    def peer(first: str):
        return new_notebook(cells=[new_code_cell(first), new_code_cell(LAZY_IMPORTS.strip()),
                                   new_code_cell(PROBE.strip())],
                            metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    return {"real": real, "peer": peer(setup.source), "imports": peer(_import_lines(setup.source))}


def run_notebook(nb, folder: Path, name: str) -> tuple[float, dict]:
    """Write ``nb`` fresh into ``folder`` and run it with ``execute``: (seconds, probe payload)."""
    path = folder / name
    nbformat.write(nb, path)
    t = time.perf_counter()
    done = execute(path)
    return time.perf_counter() - t, _bench_json(done)


def widget_updates(folder: Path, n: int) -> dict:
    nb = new_notebook(cells=[new_code_cell(WIDGET_SETUP.strip()),
                             new_code_cell(WIDGET_TIMING.format(n=n, mark=MARK).strip())],
                      metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    path = folder / "bench_widgets.ipynb"
    nbformat.write(nb, path)
    return _bench_json(execute(path))


def p95(xs):
    xs = sorted(xs)
    k = 0.95 * (len(xs) - 1)
    lo = int(k)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (k - lo)


def verdict(ok: bool, results: list) -> str:
    results.append(ok)
    return "PASS" if ok else "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="Run All repeats per notebook (interleaved)")
    ap.add_argument("--updates", type=int, default=15, help="widget updates per explorer")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, 1 scenario, 6 updates")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args()
    if args.quick:
        args.repeats, args.scenarios, args.updates = 1, args.scenarios[:1], 6
    t_start = time.perf_counter()
    results: list[bool] = []
    work = Path(tempfile.mkdtemp(prefix="livescreen-bench-nb-"))
    try:
        folders, nbs, kinds = {}, {}, {}
        for sc in args.scenarios:
            print(f"[setup] livescreen notebook {sc} --seed {args.seed} (default size) ...", file=sys.stderr, flush=True)
            folders[sc] = candidate_folder(sc, seed=args.seed, out=work / sc)
            nbs[sc] = notebooks_for(sc)
            kinds[sc] = load_scenario(sc).spec["model"]["kind"]

        # 1 + 3: Run All vs import-only, interleaved; the probe cell gives the memory
        kinds_run = ("peer", "real", "imports")
        runs = {sc: {k: [] for k in kinds_run} for sc in args.scenarios}
        for r in range(args.repeats):
            for sc in args.scenarios:
                print(f"[run all] repeat {r + 1}/{args.repeats} {sc} ...", file=sys.stderr, flush=True)
                order = kinds_run[r % 3:] + kinds_run[:r % 3]  # each kind goes first once in three repeats
                for which in order:
                    runs[sc][which].append(run_notebook(nbs[sc][which], folders[sc], f"bench_{which}.ipynb"))

        # 2: widget updates, one kernel per scenario
        widgets = {}
        for sc in args.scenarios:
            print(f"[widgets] {sc} ...", file=sys.stderr, flush=True)
            widgets[sc] = widget_updates(folders[sc], args.updates)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    omp = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"notebook benchmark: default variant size, seed {args.seed}, {os.cpu_count()} cpus, "
          f"OMP_NUM_THREADS {omp}, peers timed interleaved in the same run")
    print(f"1. Run All in a fresh kernel (start + shutdown included) vs the import-only peer (the setup cell: "
          f"imports and reading the folder; median of {args.repeats}), and vs the imports alone (context)")
    print(f"  {'scenario':18} {'model':20} {'import-only':>11} {'Run All':>9} {'ratio':>7}  {'target':13} "
          f"{'imports alone':>13} {'ratio':>7}")
    for sc in args.scenarios:
        peer, real, bare = (statistics.median(t for t, _ in runs[sc][k]) for k in ("peer", "real", "imports"))
        ok = real / peer <= RUN_ALL_RATIO
        print(f"  {sc:18} {kinds[sc]:20} {peer:9.1f} s {real:7.1f} s {real / peer:6.2f}x  "
              f"<= {RUN_ALL_RATIO}x {verdict(ok, results)}  {bare:11.1f} s {real / bare:6.2f}x")
    extra = set()
    for sc in args.scenarios:
        extra |= set(runs[sc]["real"][0][1]["modules"]) - set(runs[sc]["peer"][0][1]["modules"])
    print(f"  top-level modules Run All loaded beyond the peer's: {', '.join(sorted(extra)) or 'none'}")

    print(f"2. Widget update latency in a kernel (Agg): control value set -> callback -> figure, PNG, "
          f"Output ({args.updates} updates each, cold first picks included)")
    print(f"   targets are absolute: median <= {UPDATE_MS:.0f} ms and p95 <= {UPDATE_P95_MS:.0f} ms per update; "
          "the ratio to the bare redraw is context")
    print(f"  {'scenario':18} {'explorer':18} {'median':>8} {'p95':>8} {'bare redraw':>12} {'ratio':>7}  target")
    for sc in args.scenarios:
        w = widgets[sc]
        peer_ms = 1000 * statistics.median(w["peer"])
        for k, xs in w.items():
            if k == "peer":
                continue
            med, hi = 1000 * statistics.median(xs), 1000 * p95(xs)
            ok = med <= UPDATE_MS and hi <= UPDATE_P95_MS
            print(f"  {sc:18} {k:18} {med:5.0f} ms {hi:5.0f} ms {peer_ms:9.0f} ms {med / peer_ms:6.2f}x  "
                  f"<= {UPDATE_MS:.0f}/{UPDATE_P95_MS:.0f} ms  {verdict(ok, results)}")

    print(f"3. Kernel memory after Run All, read by a last cell in the same kernel (median of {args.repeats}; "
          "MB = 10^6 bytes)")
    print(f"  {'scenario':18} {'measure':14} {'import-only':>11} {'Run All':>9} {'ratio':>7}  target")
    for sc in args.scenarios:
        for key, label in (("rss_mb", "current VmRSS"), ("peak_mb", "peak maxrss")):
            peer = statistics.median(p[key] for _, p in runs[sc]["peer"])
            real = statistics.median(p[key] for _, p in runs[sc]["real"])
            print(f"  {sc:18} {label:14} {peer:8.0f} MB {real:6.0f} MB {real / peer:6.2f}x  "
                  f"<= {MEMORY_MB:.0f} MB  {verdict(real <= MEMORY_MB, results)}")
    print(f"{sum(results)}/{len(results)} targets pass; nbclient missed wake-ups picked up by the sliced wait: "
          f"{MISSED_WAKEUPS[0]}; benchmark took {time.perf_counter() - t_start:.0f} s")
    return 1 if args.strict and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main())
