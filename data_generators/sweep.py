"""The calibration sweep: every (scenario, family) pair of the shipped pools, validated on many seeds.

One row per variant (``FIELDS``): whether it passed, which checks failed, its effect against the
pool entry's target and its difficulty index (``validation`` module). Rows are appended to a CSV as
the worker processes finish them, so a long sweep can be read while it runs; sweeping some pairs
again replaces their rows and keeps the others. The same rows feed the difficulty band
(``difficulty_band``) and the README's scenario x family table (``difficulty_table``).

Run it with ``livescreen validate all --seeds 0-49 --workers 2 --out sweep.csv`` (niced: it is
hours of CPU on a small machine); ``python -m data_generators.sweep sweep.csv`` prints the Markdown
table from it.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

FIELDS = ("scenario", "family", "seed", "passed", "effect", "target", "rel_effect", "difficulty",
          "failed", "seconds", "cpu_seconds")
# The difficulty band every pair of a pool shares (README, "Equal difficulty"): the mean difficulty
# index over seeds 0-49 of each pair lies within BAND_WIDTH of its pool's median pair mean.
# The control (``no_failure``) is reported but neither sets nor must sit in the band: it has no
# symptom, so its index is ``L / (L + 1)`` by definition (``validation._difficulty`` with S fixed at
# 1), a figure of the decoys' loudness alone, not of a failure against its decoys. Every control of
# the committed 15-seed sweep sat at the top of its pool (0.75-0.77 mean) for that reason only.
BAND_WIDTH = 0.15


def report_row(rep, *, seconds: float = float("nan"), cpu_seconds: float = float("nan")) -> dict:
    """One CSV row (``FIELDS``) from a ``ValidationReport``."""
    rel = rep.effect / rep.target - 1 if rep.target else float("nan")
    return {"scenario": rep.scenario, "family": rep.family, "seed": rep.seed, "passed": int(rep.passed),
            "effect": rep.effect, "target": rep.target, "rel_effect": round(rel, 4),
            "difficulty": rep.difficulty,
            "failed": "; ".join(f"{c.name}={c.value} ({c.threshold})" for c in rep.failed),
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2)}


def write_rows(path: str | os.PathLike, rows, *, append: bool = False) -> None:
    """Write (or append) rows of ``FIELDS`` to a CSV, header first when the file is new."""
    path = Path(path)
    new = not append or not path.exists() or path.stat().st_size == 0
    with path.open("w" if not append else "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        for row in rows:
            w.writerow({**row, "passed": int(row["passed"])})
            f.flush()


def read_rows(path: str | os.PathLike) -> list[dict]:
    """The rows of a sweep CSV, typed (seed int, passed bool, figures float)."""
    out = []
    with Path(path).open(newline="") as f:
        for r in csv.DictReader(f):
            r["seed"], r["passed"] = int(r["seed"]), r["passed"] == "1"
            for k in ("effect", "target", "rel_effect", "difficulty", "seconds", "cpu_seconds"):
                r[k] = float(r[k])
            out.append(r)
    return out


def all_pairs() -> list[tuple[str, str]]:
    """Every (scenario, family) pair of the shipped pools, lead family first per scenario."""
    import data_generators as dg
    return [(name, fam) for name in dg.list_scenarios() for fam in dg.load_scenario(name).pool]


def _one(task: tuple[str, str, int]) -> dict:
    import data_generators as dg
    name, family, seed = task
    from livescreen.toolkit.model import one_thread
    t, cpu = time.perf_counter(), time.process_time()
    with one_thread():  # the worker processes are the parallelism
        rep = dg.validate_variant(dg.build_variant(name, seed, family=family))
    # wall time depends on the machine's load; CPU time (one native thread) is what an idle core needs
    return report_row(rep, seconds=time.perf_counter() - t, cpu_seconds=time.process_time() - cpu)


def run(pairs, seeds, *, out: str | os.PathLike, workers: int = 2, progress=None) -> list[dict]:
    """Validate every pair on every seed in ``workers`` processes; rows go to ``out`` as they finish.

    Rows of ``out`` for other pairs are kept; rows of these pairs are replaced. Tasks run seed-major
    (every pair's first seed, then every pair's second, ...), so a sweep stopped early still covers
    every pair. When all are done the file is put back in a full sweep's order (seed, then scenario,
    then its pool), so re-sweeping some pairs changes only their rows.
    """
    from concurrent.futures import ProcessPoolExecutor
    pairs = [tuple(p) for p in pairs]
    keep = [r for r in read_rows(out) if (r["scenario"], r["family"]) not in set(pairs)] \
        if Path(out).exists() else []
    write_rows(out, keep)
    tasks = [(n, f, s) for s in seeds for n, f in pairs]
    rows = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for row in pool.map(_one, tasks, chunksize=1):
            rows.append(row)
            write_rows(out, [row], append=True)
            if progress:
                progress(row, len(rows), len(tasks))
    write_rows(out, in_sweep_order(read_rows(out), all_pairs()))
    return rows


def in_sweep_order(rows, pairs) -> list[dict]:
    """``rows`` as a full sweep over ``pairs`` writes them: seed by seed, each seed's rows in the
    order of ``pairs``; rows of pairs not among them last, by name."""
    order = {tuple(p): i for i, p in enumerate(pairs)}
    return sorted(rows, key=lambda r: (r["seed"], order.get((r["scenario"], r["family"]), len(order)),
                                       r["scenario"], r["family"]))


def pair_stats(rows) -> dict[tuple[str, str], dict]:
    """Per pair: variants, passes, effect and difficulty min/mean/max, the seeds that failed."""
    by: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by.setdefault((r["scenario"], r["family"]), []).append(r)
    out = {}
    for key, rs in by.items():
        d = [r["difficulty"] for r in rs]
        rel = [r["rel_effect"] for r in rs]
        out[key] = {"n": len(rs), "passed": sum(r["passed"] for r in rs),
                    "failed_seeds": sorted(r["seed"] for r in rs if not r["passed"]),
                    "d_min": min(d), "d_mean": statistics.fmean(d), "d_max": max(d),
                    "rel_min": min(rel), "rel_max": max(rel),
                    "eff_min": min(r["effect"] for r in rs), "eff_max": max(r["effect"] for r in rs),
                    "control": all(r["target"] == 0 for r in rs)}
    return out


def difficulty_band(rows) -> dict[str, dict]:
    """Per scenario: its pool's band (median of the failure pairs' means +/- ``BAND_WIDTH``; the
    control is left out, see ``BAND_WIDTH``) and the pairs whose mean difficulty falls outside it."""
    stats = pair_stats(rows)
    out = {}
    for name in dict.fromkeys(s for s, _ in stats):
        means = {f: st["d_mean"] for (s, f), st in stats.items() if s == name and not st["control"]}
        if not means:
            continue
        mid = statistics.median(means.values())
        lo, hi = mid - BAND_WIDTH, mid + BAND_WIDTH
        out[name] = {"center": mid, "low": lo, "high": hi,
                     "outside": {f: m for f, m in means.items() if not lo <= m <= hi}}
    return out


def difficulty_table(rows) -> str:
    """The README's scenario x family table (Markdown), from a sweep's rows."""
    stats = pair_stats(rows)
    band = difficulty_band(rows)
    per_pair: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        per_pair.setdefault((r["scenario"], r["family"]), []).append(r["seed"])
    spans = sorted({_span(sorted(s)) for s in per_pair.values()}, key=lambda s: (len(s), s))
    seeds = spans[0] if len(spans) == 1 else f"{' or '.join(spans)} per pair (the pass column counts each pair's)"
    pairs = len(stats)
    lines = [f"Difficulty index `L/(L+S)` per (scenario, family) pair, {pairs} pairs, seed(s) {seeds} at live "
             f"size, {len(rows)} variants (min / mean / max; pass = variants that validate; effect vs target, or "
             f"the control's gap); band = the pool's median failure-pair mean +/- {BAND_WIDTH} (the control, "
             f"whose index is its decoys' loudness alone, is not banded).", "",
             "| scenario | family | pass | difficulty min / mean / max | effect vs target | pool band |",
             "|---|---|---|---|---|---|"]
    for (name, fam), st in stats.items():
        b = band.get(name, {"outside": {}, "low": float("nan"), "high": float("nan")})
        flag = " (control: not banded)" if st["control"] else " (outside)" if fam in b["outside"] else ""
        effect = (f"gap {st['eff_min']:+.3f} .. {st['eff_max']:+.3f}" if st["control"]
                  else f"{st['rel_min']:+.0%} .. {st['rel_max']:+.0%}")
        lines.append(f"| {name} | {fam} | {st['passed']}/{st['n']} | {st['d_min']:.2f} / {st['d_mean']:.2f} / "
                     f"{st['d_max']:.2f}{flag} | {effect} | {b['low']:.2f}-{b['high']:.2f} |")
    return "\n".join(lines) + "\n"


CONTROL_GAP = 0.04  # the control's gap beyond this with nothing planted is a failure (tests' bound)


def known_failures(rows, *, skip=()) -> dict[tuple[str, str], dict[int, str]]:
    """Per pair, the seeds a sweep measured failing and why: a failed check, the control's gap
    beyond ``CONTROL_GAP``, or an effect off its target by more than the validator's tolerance.
    Pairs in ``skip`` (not calibrated yet) are left out. This is the test's ``KNOWN_SEED_FAILURES``."""
    from .validation import EFFECT_TOLERANCE
    known: dict[tuple[str, str], dict[int, str]] = {}
    for r in rows:
        key = (r["scenario"], r["family"])
        if key in set(skip):
            continue
        why = [r["failed"]] if r["failed"] else []
        if r["target"] == 0:
            if abs(r["effect"]) > CONTROL_GAP:
                why.append(f"gap {r['effect']:+.4f} with nothing planted, beyond {CONTROL_GAP}")
        elif abs(r["rel_effect"]) > EFFECT_TOLERANCE and "effect_band" not in r["failed"]:
            why.append(f"effect_band={r['rel_effect']:+.4f}")
        if why:
            known.setdefault(key, {})[r["seed"]] = "; ".join(why)
    return {k: dict(sorted(v.items())) for k, v in sorted(known.items())}


def write_lists(test_file: str | os.PathLike, rows) -> tuple[int, int, int]:
    """Rewrite ``KNOWN_SEED_FAILURES`` and ``OUTSIDE_BAND`` in the sweep test from a sweep's rows
    (skipping the pairs of its ``UNCALIBRATED``). Returns (pairs with failing seeds, failing
    variants, pairs outside their band)."""
    import ast
    import re
    path = Path(test_file)
    text = path.read_text()
    tree = ast.parse(text)
    skip = next((ast.literal_eval(n.value).keys() for n in tree.body if isinstance(n, ast.Assign)
                 and any(getattr(x, "id", "") == "UNCALIBRATED" for x in n.targets)), ())
    known = known_failures(rows, skip=skip)
    lines = ["KNOWN_SEED_FAILURES = {"]
    for (n, f), d in known.items():
        lines.append(f"    ({n!r}, {f!r}): {{")
        lines += [f"        {s}: {w!r}," for s, w in d.items()]
        lines.append("    },")
    lines.append("}")
    seeds = {}
    for r in rows:
        seeds.setdefault((r["scenario"], r["family"]), []).append(r["seed"])
    ob = ["OUTSIDE_BAND: dict[tuple[str, str], str] = {"]
    outside = 0
    for n, b in difficulty_band(rows).items():
        for f, m in b["outside"].items():
            outside += 1
            ob.append(f'    ({n!r}, {f!r}): "mean {m:.2f} over seeds {_span(sorted(seeds[n, f]))}; '
                      f'band {b["low"]:.2f}-{b["high"]:.2f}",')
    ob.append("}")
    for head, block in (("KNOWN_SEED_FAILURES = {", lines), ("OUTSIDE_BAND: dict[tuple[str, str], str] = {", ob)):
        pattern = re.escape(head) + r".*?\n\}\n"
        if not re.search(pattern, text, flags=re.S):
            raise ValueError(f"{path}: no {head.split()[0]} block to replace")
        text = re.sub(pattern, lambda m: "\n".join(block) + "\n", text, count=1, flags=re.S)
    path.write_text(text)
    return len(known), sum(len(d) for d in known.values()), outside


def _span(seeds: list[int]) -> str:
    if len(seeds) == 1:
        return str(seeds[0])
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))


README_START = "<!-- difficulty-table: written by python -m data_generators.sweep --readme -->"
README_END = "<!-- difficulty-table: end -->"


def write_readme(readme: str | os.PathLike, table: str) -> None:
    """Replace the table between the README's two difficulty-table markers (kept in place)."""
    path = Path(readme)
    text = path.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{path}: no difficulty-table markers; put {README_START!r} and {README_END!r} "
                         f"where the table goes")
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    path.write_text(f"{head}{README_START}\n{table}{README_END}{tail}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m data_generators.sweep",
                                description="print the difficulty table (Markdown) of a sweep's CSV, written by "
                                            "`livescreen validate all --out CSV`")
    p.add_argument("csv", help="a sweep's CSV")
    p.add_argument("--readme", help="write the table into this README between its difficulty-table markers")
    p.add_argument("--lists", metavar="TEST_FILE",
                   help="rewrite KNOWN_SEED_FAILURES and OUTSIDE_BAND in this test file from the CSV")
    p.add_argument("--pairs", nargs="+", metavar="SCENARIO/FAMILY",
                   help="first validate these pairs on --seeds and replace their rows in the CSV")
    p.add_argument("--seeds", default="0-14", help="seeds for --pairs, as A-B (default 0-14)")
    p.add_argument("--workers", type=int, default=2, help="worker processes for --pairs (default 2)")
    a = p.parse_args(argv)
    if a.pairs:
        try:
            lo, hi = (int(x) for x in a.seeds.split("-"))
            pairs = [tuple(x.split("/")) for x in a.pairs]
            unknown = [f"{n}/{f}" for n, f in pairs if (n, f) not in set(all_pairs())]
        except ValueError:
            print(f"error: --seeds {a.seeds!r} and --pairs take A-B and SCENARIO/FAMILY", file=sys.stderr)
            return 2
        if unknown:
            print(f"error: {unknown[0]} is not a pair of the shipped pools; see `livescreen scenarios --long`",
                  file=sys.stderr)
            return 2
        run(pairs, range(lo, hi + 1), out=a.csv, workers=a.workers,
            progress=lambda r, i, n: print(f"{i}/{n} {r['scenario']}/{r['family']} seed {r['seed']}: "
                                           f"{'pass' if r['passed'] else 'FAIL ' + r['failed']}", flush=True))
    if not Path(a.csv).is_file():
        print(f"error: no sweep CSV at {a.csv}; write one with `livescreen validate all --out {a.csv}`",
              file=sys.stderr)
        return 2
    table = difficulty_table(read_rows(a.csv))
    if a.readme:
        try:
            write_readme(a.readme, table)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote the table of {a.csv} into {a.readme}")
    if a.lists:
        try:
            pairs, variants, outside = write_lists(a.lists, read_rows(a.csv))
        except (OSError, ValueError, SyntaxError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {a.lists}: {pairs} pairs with failing seeds ({variants} variants), {outside} outside their band")
    if not (a.readme or a.lists):
        print(table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
