"""Engine speed and memory, against scikit-learn's make_classification timed in the same run.

1. Generation without the model fit: 1,000,000 offline + 1,000,000 production rows at 20 features.
   Target (issue #11): at most 1x the time make_classification takes for 2,000,000 rows x 20
   features; peak memory (tracemalloc) under 3x the size of the frames produced.
2. A variant at the live notebook's size (20,000 + 20,000 rows), model fit included, on one core.
   Target (issue #11): at most 1 s median. Printed beside the peer: make_classification + the same
   model fit. Timed over seeds 0-6 of saas_churn (the seed draws the family), so the builder's
   per-seed effect control is paid where a seed needs it: a seed whose symptom misses its target
   is planted and fitted again (``variant.control_effect``); the plantings per seed are printed,
   and the time of the first planting alone beside it.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_generate.py [--rows N] [--repeats K]`).
"""
from __future__ import annotations

import argparse
import copy
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # "on one core": set before numpy/sklearn load

import statistics
import time
import tracemalloc

from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

import data_generators as dg
from data_generators.scenario import Scenario
from data_generators.variant import build_world, finish_variant


def scenario_with_features(n_features: int = 20) -> Scenario:
    """saas_churn widened to ``n_features`` columns (extra numeric columns of small effect)."""
    base = dg.load_scenario("saas_churn")
    spec = copy.deepcopy(base.spec)
    cols = spec["world"]["columns"]
    planted = 1  # the family adds one column
    i = 0
    while len(cols) + planted < n_features:
        cols.append({"names": [f"usage_metric_{i}"], "kind": "numeric",
                     "transform": {"dist": "lognormal", "median": 10, "sigma": 0.5, "decimals": 2},
                     "effect": 0.05})
        i += 1
    return Scenario(name="saas_churn", spec=spec, path=None)


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows per part (offline and production)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sc = scenario_with_features(20)
    n = args.rows

    # 1. generation, no model fit
    t_peer, _ = timed(lambda: make_classification(n_samples=2 * n, n_features=20, random_state=0), args.repeats)
    t_ours, (world, _, _) = timed(lambda: build_world(sc, 0, family=sc.pool[0], n_offline=n, n_production=n), args.repeats)
    nfeat = len(world.feature_names)
    frames_mb = sum(f.memory_usage(deep=True).sum() for f in world.frames.values()) / 2**20
    del world
    tracemalloc.start()
    world, _, _ = build_world(sc, 0, family=sc.pool[0], n_offline=n, n_production=n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del world
    print(f"generation, {n:,} + {n:,} rows, {nfeat} features (median of {args.repeats})")
    print(f"  make_classification       {t_peer:8.2f} s")
    print(f"  livescreen build_world    {t_ours:8.2f} s   ratio {t_ours / t_peer:5.2f}x  (target <= 1.0x)")
    print(f"  frames {frames_mb:,.0f} MiB, peak traced {peak / 2**20:,.0f} MiB   ratio {peak / 2**20 / frames_mb:5.2f}x  (target < 3.0x)")

    # 2. a live-size variant, model fit included, one core
    live = 20_000
    seeds = range(7)
    sc_live = dg.load_scenario("saas_churn")
    t_seeds, plantings, t_first = [], [], []
    for seed in seeds:
        t = time.perf_counter()
        v = dg.build_variant(sc_live, seed, n_offline=live, n_production=live)
        t_seeds.append(time.perf_counter() - t)
        plantings.append(max(1, len(v._effect_control)))
        fam = v.truth.family
        t = time.perf_counter()
        finish_variant(sc_live, seed, *build_world(sc_live, seed, family=fam, n_offline=live, n_production=live))
        t_first.append(time.perf_counter() - t)
    t_var = statistics.median(t_seeds)

    def peer():
        X, y = make_classification(n_samples=2 * live, n_features=20, random_state=0)
        m = HistGradientBoostingClassifier(max_iter=100, early_stopping=False).fit(X[:15000], y[:15000])
        return m.predict_proba(X[15000:])

    t_peer2, _ = timed(peer, 7)
    print(f"live-size variant, {live:,} + {live:,} rows, model fit included, OMP_NUM_THREADS=1 (median of 7)")
    print(f"  make_classification + HGB fit  {t_peer2:6.2f} s")
    print(f"  livescreen build_variant       {t_var:6.2f} s   ratio {t_var / t_peer2:5.2f}x  (target <= 1 s absolute; "
          f"median over saas_churn seeds {seeds.start}-{seeds.stop - 1}, max {max(t_seeds):.2f} s)")
    print(f"  plantings per seed (effect control) {plantings}; first planting alone median "
          f"{statistics.median(t_first):.2f} s")


if __name__ == "__main__":
    main()
