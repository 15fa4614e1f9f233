"""`livescreen scenario check` on a new scenario with a 4-family pool at live size.

The scenario is the scaffold of ``--like`` (its pool, its live size), written to a temporary folder
under a new name, exactly as an author starts. The check (static rules, then every pool family on
every seed, plus the shipped difficulty band unless ``--no-compare``) is timed; the peer, timed in
the same run, is the bare engine work on the same (family, seed) pairs of the shipped ``--like``
scenario: ``build_variant`` + ``validate_variant``. The ratio says what the check adds beyond the
validation itself. Target: at most 120 s on 2 cores for one seed set of 20 (scale the figure printed
here by 20 / seeds when fewer seeds are timed).

    python benchmarks/bench_authoring.py [--like saas_churn] [--seeds 0-19] [--no-compare]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from data_generators import build_variant, load_scenario, validate_variant
    from data_generators.authoring import measure, scaffold, static_check
    from livescreen.cli import parse_seeds
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--like", default="saas_churn")
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--no-compare", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="the check's processes (the peer runs in one)")
    args = ap.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    base = load_scenario(args.like)
    with tempfile.TemporaryDirectory() as tmp:
        path = scaffold("bench_new_scenario", like=args.like, out=tmp)
        t0 = time.perf_counter()
        sc = static_check(path)
        figs = measure(sc, seeds=seeds, compare_shipped=not args.no_compare, jobs=args.jobs)
        check_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for fam in base.pool:
        for seed in seeds:
            validate_variant(build_variant(base, seed, family=fam))
    peer_s = time.perf_counter() - t0
    n = len(base.pool) * len(seeds)
    for f in figs:
        print(f.line())
    print(f"check (--jobs {args.jobs}): {check_s:.1f} s for {len(base.pool)} families x {len(seeds)} seeds ({n} variants, live size "
          f"{base.spec['world'].get('n_offline')} rows); peer build+validate {peer_s:.1f} s; ratio "
          f"{check_s / peer_s:.2f}; projected for 20 seeds: {check_s * 20 / len(seeds):.0f} s (target <= 120 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
