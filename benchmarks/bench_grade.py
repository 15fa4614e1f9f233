"""Grading speed: ``grading.grader.grade`` against bare ``nbgrader autograde``, and batch parallelism.

One submission, as a candidate leaves it: the released notebook beside a variant's data (default
size), the reference card filled in, committed and executed.

1. One submission: ``grade(submission, truth)`` (a fresh copy of the cached course, the submission
   copied in, nbgrader autograde through its Python API, the gradebook read back) vs the bare
   ``nbgrader autograde`` command line on a course directory set up once by hand with the same
   source, release, gradebook and configuration (``grading.grader.grading_config`` written out as
   ``nbgrader_config.py``), the submission copied in beforehand and only the subprocess timed.
   Both run the same notebook with the same truth. Interleaved, after one untimed warm-up of each.
   Target: median of grade() at most 1.3x the median of bare autograde. The min and max columns
   show stalls: the bare command line has no sliced message wait (``grading.kernels``), so a
   missed zmq wake-up there costs a whole cell timeout (120 s); grade() picks the reply up.
2. A batch of 30 submissions (copies of the same one, each its own candidate folder):
   ``grade_many(..., jobs=2)`` vs ``grade_many(..., jobs=1)``, same submissions, same cached course.
   Target: jobs=2 takes at most 0.7x the time of jobs=1.

Run: `.venv/bin/python benchmarks/bench_grade.py [--quick] [--repeats K] [--batch N]`.
`--quick`: 2 repeats and 6 submissions (a smoke run). Exit code 0 unless `--strict` is given and a
target fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from grading.answers import TRUTH_ENV, reference_card
from grading.config import REPO, SOURCE
from grading.grader import grade, grade_many, grading_config, prepare_course
from livescreen.demo import fill_card
from livescreen.notebooks import candidate_folder, execute, nbgrader_env

SCENARIO = "saas_churn"
SEED = 7
ONE_RATIO = 1.3
BATCH_RATIO = 0.7
STUDENT = "bench"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def verdict(ok: bool, results: list) -> str:
    results.append(ok)
    return "PASS" if ok else "FAIL"


def submission(root: Path) -> tuple[Path, Path]:
    """A candidate folder at the default size with the reference card committed and executed."""
    out, truth = root / "candidate", root / "truth.json"
    candidate_folder(SCENARIO, seed=SEED, out=out, truth=truth)
    meta = json.loads((out / "schema.json").read_text())
    fill_card(out / f"{SCENARIO}.ipynb", reference_card(json.loads(truth.read_text()), brief=meta["brief"]))
    execute(out / f"{SCENARIO}.ipynb")
    return out, truth


def config_file(cfg) -> str:
    """A traitlets Config written out as an ``nbgrader_config.py``."""
    lines = ["c = get_config()  # noqa: F821"]
    for section, values in cfg.items():
        for key, value in values.items():
            if isinstance(value, type):  # a class trait (the sandboxed kernel manager): by import path
                value = f"{value.__module__}.{value.__qualname__}"
            lines.append(f"c.{section}.{key} = {value!r}")
    return "\n".join(lines) + "\n"


class BareCourse:
    """An nbgrader course directory set up by hand, graded with the ``nbgrader`` command line."""

    def __init__(self, root: Path, truth: Path, cell_timeout: int):
        self.root = root
        (root / SOURCE).mkdir(parents=True)
        (root / "work").mkdir()  # the gradebook's folder
        # the sandboxed kernel's sockets and connection file (``grading_config``), as grade() makes per run
        (root / "kernel").mkdir(mode=0o700)
        shutil.copytree(Path(REPO) / SOURCE / SCENARIO, root / SOURCE / SCENARIO)
        (root / "nbgrader_config.py").write_text(config_file(grading_config(root, cell_timeout)))
        self.env = {**nbgrader_env(), TRUTH_ENV: str(truth)}
        self.nbgrader = str(Path(sys.executable).parent / "nbgrader")
        p = subprocess.run([self.nbgrader, "generate_assignment", SCENARIO, "--force"], cwd=root, env=self.env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed: {p.stderr[-1500:]}")

    def submit(self, folder: Path) -> None:
        dest = self.root / "work" / "submitted" / STUDENT / SCENARIO
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        (dest / "timestamp.txt").write_text(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))

    def autograde(self) -> float:
        """Seconds of one ``nbgrader autograde`` subprocess (the submission already in place)."""
        t = time.perf_counter()
        p = subprocess.run([self.nbgrader, "autograde", SCENARIO, "--student", STUDENT, "--force"],
                           cwd=self.root, env=self.env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            raise RuntimeError(f"nbgrader autograde failed: {p.stderr[-1500:]}")
        return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2 repeats, 6 submissions")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved repeats in part 1 (default 5)")
    ap.add_argument("--batch", type=int, default=None, help="submissions in part 2 (default 30)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    n_batch = args.batch or (6 if args.quick else 30)
    t_start = time.perf_counter()
    results: list[bool] = []
    with tempfile.TemporaryDirectory(prefix="livescreen-bench-grade-") as tmpd:
        tmp = Path(tmpd)
        say(f"[setup] candidate folder {SCENARIO} seed {SEED} (default size), card committed, executed ...")
        sub, truth_path = submission(tmp)
        truth = json.loads(truth_path.read_text())
        cache = tmp / "courses"
        prepare_course(SCENARIO, cache=cache)
        from grading.grader import _scenario_timeout
        cell_timeout = _scenario_timeout(SCENARIO)
        say("[setup] bare nbgrader course: nbgrader generate_assignment ...")
        bare = BareCourse(tmp / "bare", truth_path, cell_timeout)

        # 1. one submission, interleaved, after a warm-up of each
        ours, peer = [], []
        for i in range(repeats + 1):
            say(f"[one] {'warm-up' if i == 0 else f'repeat {i}/{repeats}'} ...")
            t = time.perf_counter()
            r = grade(sub, truth, cache=cache)
            dt = time.perf_counter() - t
            if r.status != "graded" or r.total != r.max:
                raise RuntimeError(f"grade() did not give the reference full marks: {r.status} {r.total}/{r.max}")
            bare.submit(sub)
            dp = bare.autograde()
            if i:
                ours.append(dt)
                peer.append(dp)

        # 2. a batch, one by one and two at a time
        folders = []
        for i in range(n_batch):
            folders.append(shutil.copytree(sub, tmp / "batch" / f"candidate_{i:02d}"))
        batch_times = {}
        for jobs in (1, 2):
            say(f"[batch] {n_batch} submissions, jobs={jobs} ...")
            t = time.perf_counter()
            res = grade_many(folders, truth, jobs=jobs, cache=cache)
            batch_times[jobs] = time.perf_counter() - t
            bad = [r for r in res if r.status != "graded" or r.total != r.max]
            if len(res) != n_batch or bad:
                raise RuntimeError(f"jobs={jobs}: {len(bad)} submissions not graded in full: {bad[:1]}")

    import nbgrader
    print(f"grading benchmark: {SCENARIO} seed {SEED}, default variant size, reference card; "
          f"{os.cpu_count()} cpus, nbgrader {nbgrader.__version__}, cell timeout {cell_timeout} s")
    m_ours, m_peer = statistics.median(ours), statistics.median(peer)
    print(f"1. One submission: grade() vs bare `nbgrader autograde` on a prepared course "
          f"(median of {repeats}, interleaved, after a warm-up)")
    print(f"  {'':34} {'median':>8} {'min':>8} {'max':>8}")
    print(f"  {'bare nbgrader autograde (CLI)':34} {m_peer:6.2f} s {min(peer):6.2f} s {max(peer):6.2f} s")
    print(f"  {'grading.grader.grade()':34} {m_ours:6.2f} s {min(ours):6.2f} s {max(ours):6.2f} s")
    ratio = m_ours / m_peer
    print(f"  ratio {ratio:5.2f}x  (target <= {ONE_RATIO:.1f}x)  {verdict(ratio <= ONE_RATIO, results)}")
    t1, t2 = batch_times[1], batch_times[2]
    print(f"2. A batch of {n_batch} submissions: grade_many(jobs=2) vs grade_many(jobs=1)")
    print(f"  {'jobs=1':34} {t1:7.1f} s  ({t1 / n_batch:5.2f} s per submission)")
    print(f"  {'jobs=2':34} {t2:7.1f} s  ({t2 / n_batch:5.2f} s per submission)")
    ratio2 = t2 / t1
    print(f"  ratio {ratio2:5.2f}x  (target <= {BATCH_RATIO:.1f}x)  {verdict(ratio2 <= BATCH_RATIO, results)}")
    print(f"{sum(results)}/{len(results)} targets pass; benchmark took {time.perf_counter() - t_start:.0f} s")
    return 1 if args.strict and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main())
