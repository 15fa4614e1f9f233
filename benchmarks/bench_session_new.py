"""How long the interviewer waits for ``livescreen session new``, with the measured outcomes.

``new_session`` (what ``livescreen session new`` runs) at the scenario's live size, three ways,
interleaved, same scenario, fresh store each time:

- **peer** ``measure=False``: the folder and the session record only, what ``session new`` did before
  outcomes were measured (main);
- **background** (the default): the same, then the measurement started in a detached process
  (``livescreen.sessions.measuring``); timed until ``new_session`` returns, then, separately, until the
  outcomes are in the store (``measuring.ready``), before the next run starts;
- **now** ``measure="now"``: the outcomes measured before returning (what this branch did first).

Target: the interviewer's wait with measurement (background) at most 1.2x the peer; the outcomes in
the store well within the interview's first phase (3 minutes).

Run: `.venv/bin/python benchmarks/bench_session_new.py
[--repeats K] [--scenario S]`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RATIO = 1.2


def one(mode, scenario: str, root: Path, i: int) -> tuple[float, float | None, str]:
    """Seconds until new_session returns, seconds until the outcomes are stored (background), family."""
    from livescreen.sessions import measuring, session as S, store
    home = root / f"{mode}-{i}" / "store"
    os.environ["LIVESCREEN_HOME"] = str(home)
    store.dispose()
    t = time.perf_counter()
    made = S.new_session(scenario=scenario, candidate=f"BENCH-{i}", out=root / f"{mode}-{i}" / "cand", home=home,
                         measure=mode)
    wait = time.perf_counter() - t
    ready = None
    row = S.get(made["id"], home=home)
    if mode == "background":
        row = measuring.ready(row, home=home)
        ready = time.perf_counter() - t
        assert measuring.done(row["truth"])
    return wait, ready, row["truth"]["family"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenario", default="saas_churn")
    args = ap.parse_args(argv)
    modes = (False, "background", "now")
    times = {m: [] for m in modes}
    ready, fams = [], []
    with tempfile.TemporaryDirectory(prefix="livescreen-bench-session-") as tmp:
        one(False, args.scenario, Path(tmp), -1)  # warm-up: imports, the released notebook read
        for i in range(args.repeats):
            for m in modes:
                w, r, fam = one(m, args.scenario, Path(tmp), i)
                times[m].append(w)
                fams.append(fam)
                if r is not None:
                    ready.append(r)
                print(f"  run {i + 1} {str(m):10s} {w:6.1f} s" + (f" (outcomes stored after {r:.1f} s)" if r else "")
                      + f"  [{fam}]", file=sys.stderr, flush=True)
    med = {m: statistics.median(v) for m, v in times.items()}
    print(f"session new, {args.scenario} at its live size, {args.repeats} interleaved repeats, {os.cpu_count()} cpus "
          f"(families drawn: {', '.join(sorted(set(fams)))})")
    print(f"  peer: no measurement (main)          median {med[False]:6.1f} s  (min {min(times[False]):.1f}, max {max(times[False]):.1f})")
    print(f"  background measurement (default)     median {med['background']:6.1f} s  ratio {med['background'] / med[False]:.2f}x "
          f"(target <= {RATIO}x) {'PASS' if med['background'] <= RATIO * med[False] else 'FAIL'}")
    print(f"    outcomes in the store after        median {statistics.median(ready):6.1f} s  (max {max(ready):.1f})")
    print(f"  measured before returning (now)      median {med['now']:6.1f} s  ratio {med['now'] / med[False]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
