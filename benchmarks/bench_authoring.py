"""How long an author waits: `livescreen scenario check` and `scenario preview` on a new scenario.

The scenario is the tutorial's (``docs/authoring.md``: warehouse_stockout, a 4-family pool at live
size, 20,000 + 20,000 rows), written to a temporary folder exactly as an author has it. Both
commands run as the author runs them, as subprocesses (start-up and imports included):

- ``livescreen scenario check FILE`` (its defaults: seeds 0-19, one worker process per core, the
  shipped difficulty band measured), target at most 120 s on 2 cores;
- ``livescreen scenario preview FILE --seed 7 --out DIR`` (the notebook executed), target at most 30 s.

The peer, timed in the same run (once before and once after, the mean is used), is the engine's
unit of work that both commands repeat: one ``build_variant`` + ``validate_variant`` of the same
scenario at live size in this process. The check builds and validates 80 pool variants plus the
shipped band's (8 here): with 2 cores perfectly used it costs about 44 peers.

    .venv/bin/python benchmarks/bench_authoring.py [--seeds 0-19] [--jobs N] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHECK_TARGET, PREVIEW_TARGET = 120.0, 30.0


def tutorial_scenario(folder: Path) -> Path:
    """Write the tutorial's finished scenario YAML (its first ``yaml file=`` block) under ``folder``
    at the tutorial's relative path (``scenarios/NAME.yaml``), which is returned."""
    doc = (ROOT / "docs" / "authoring.md").read_text()
    m = re.search(r"```yaml file=(scenarios/\w+\.yaml)\n(.*?)```", doc, re.S)
    (folder / m.group(1)).parent.mkdir(parents=True, exist_ok=True)
    (folder / m.group(1)).write_text(m.group(2))
    return Path(m.group(1))


def peer(path: Path) -> tuple[float, float]:
    """One build_variant + validate_variant of the scenario at ``path`` at live size, in this process:
    (wall seconds, CPU seconds)."""
    from data_generators import build_variant, validate_variant
    from data_generators.authoring import static_check
    sc = static_check(path)
    t0, c0 = time.perf_counter(), time.process_time()
    validate_variant(build_variant(sc, 0, family=sc.pool[0]))
    return time.perf_counter() - t0, time.process_time() - c0


def run(argv: list[str], *, cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """``livescreen ARGV`` run in ``cwd`` as an author runs it: (wall seconds, CPU seconds of the
    command and every process it waited for (its workers, a notebook kernel), the finished process)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "livescreen.cli", *argv], capture_output=True, text=True,
                         cwd=cwd, env=env)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime), res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", help="the check's seeds (default: its own default, 0-19)")
    ap.add_argument("--jobs", type=int, help="the check's processes (default: its own default, the cores)")
    ap.add_argument("--keep", help="copy the check's output (check.txt) and the preview folder into this folder")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = tutorial_scenario(Path(tmp))
        peers = [peer(Path(tmp) / path)]
        check_cmd = (["scenario", "check", str(path)] + (["--seeds", args.seeds] if args.seeds else [])
                     + (["--jobs", str(args.jobs)] if args.jobs else []))
        print("$ livescreen " + " ".join(check_cmd))
        check_s, check_cpu, check = run(check_cmd, cwd=Path(tmp))
        preview_s, preview_cpu, prev = run(["scenario", "preview", str(path), "--seed", "7", "--out", "preview"], cwd=Path(tmp))
        peers.append(peer(Path(tmp) / path))
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "check.txt").write_text(check.stdout)
            shutil.rmtree(keep / "preview", ignore_errors=True)
            if prev.returncode == 0:
                shutil.copytree(Path(tmp) / "preview", keep / "preview")
    load1 = os.getloadavg()
    print(check.stdout, end="")
    if check.returncode not in (0, 1) or prev.returncode != 0:
        print(check.stderr, prev.stderr, file=sys.stderr)
        return 1
    p = sum(w for w, _ in peers) / len(peers)
    n_seeds = int(re.search(r"x (\d+) seeds", check.stdout).group(1))
    print(f"\npeer: one build_variant + validate_variant at live size: {peers[0][0]:.1f} s before, {peers[1][0]:.1f} s after "
          f"(mean {p:.1f} s; CPU {peers[0][1]:.1f} s and {peers[1][1]:.1f} s)")
    print(f"check   {check_s:6.1f} s  target <= {CHECK_TARGET:.0f} s  {'met' if check_s <= CHECK_TARGET else 'MISSED'}  "
          f"= {check_s / p:.1f} peers ({n_seeds} seeds; exit {check.returncode}); CPU {check_cpu:.0f} s in all processes")
    print(f"preview {preview_s:6.1f} s  target <= {PREVIEW_TARGET:.0f} s  {'met' if preview_s <= PREVIEW_TARGET else 'MISSED'}  "
          f"= {preview_s / p:.1f} peers; CPU {preview_cpu:.0f} s in all processes")
    print(f"cores {len(os.sched_getaffinity(0))}; load average at start {load0[0]:.2f}, at end {load1[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
