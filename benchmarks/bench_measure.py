"""What measuring a variant's outcomes costs when its candidate folder is made (``grading.measured``).

For each case (scenario, seed, family) at the scenario's live size: the candidate folder written
without measurement (the peer: what making a folder cost before), then the outcome measurement of
every candidate experiment in the candidate's world and each rival's, in 1 and in 2 processes.
Prints seconds, the number of worlds and experiments, and the ratio to the peer. Target: a session
(folder + measurement, 2 processes) under 30 s on 2 idle cores.

Run: `.venv/bin/python benchmarks/bench_measure.py [--quick]`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

CASES = [("ride_cancellations", 909, "schema_change"), ("lead_conversion", 0, "calibration_mismatch"),
         ("saas_churn", 3, None)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one case only")
    args = ap.parse_args(argv)
    from grading.measured import measure
    from livescreen.candidate import write_candidate_folder
    rows = []
    for name, seed, family in CASES[:1] if args.quick else CASES:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            v = write_candidate_folder(name, seed=seed, family=family, out=Path(tmp) / "c", truth=Path(tmp) / "t.json",
                                       measure=False)
            folder = time.perf_counter() - t
        out = {}
        for workers in (1, 2):
            t = time.perf_counter()
            m = measure(v, workers=workers)
            out[workers] = time.perf_counter() - t
        rows.append((name, seed, v.truth.family, len(v.offline), len(m["worlds"]), len(m["experiments"]), folder, out[1], out[2]))
        print(f"{name} seed {seed} ({v.truth.family}, {len(v.offline):,} rows): folder {folder:.1f} s; "
              f"measuring {len(m['worlds'])} worlds x {len(m['experiments'])} experiments: 1 process {out[1]:.1f} s, "
              f"2 processes {out[2]:.1f} s; session = folder + 2-process measure = {folder + out[2]:.1f} s "
              f"({(folder + out[2]) / folder:.1f}x the folder alone)", flush=True)
    worst = max(r[6] + r[8] for r in rows)
    print(f"worst session creation (folder + 2-process measure): {worst:.1f} s (target < 30 s on 2 idle cores)")
    print(f"load average while it ran: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
