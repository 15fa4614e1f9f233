"""Every (scenario, family) pair of the shipped pools validates, at the size the live notebook uses.

Two tiers:
- ``make test`` touches every pair on one seed (the seed rotates with the pair, so different pairs
  look at different seeds): one test per pair, a few seconds each.
- ``make test-full`` (marker ``full``) validates every pair of every pool on ``CI_SEEDS``, split
  into independent tests of one scenario x block of 5 seeds (all the pool's pairs on those seeds),
  so pytest-xdist spreads them over the workers. Each asserts that every variant passes (but for
  the seeds listed in ``KNOWN_SEED_FAILURES`` and the pairs in ``UNCALIBRATED``), that every effect
  is within +/-15% of its target, and that every variant's difficulty index is the one the
  committed sweep records. The README's scenario x family table is that sweep
  (``livescreen validate all --seeds 0-49 --out docs/calibration/pool_sweep.csv``); the pools'
  difficulty band is checked on it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import data_generators as dg
from data_generators import sweep
from data_generators.sweep import BAND_WIDTH
from data_generators.validation import EFFECT_TOLERANCE
from livescreen.toolkit.model import one_thread

ROOT = Path(__file__).resolve().parents[2]
# The sweep behind the README's table (`livescreen validate all --out docs/calibration/pool_sweep.csv`)
SWEEP_CSV = ROOT / "docs" / "calibration" / "pool_sweep.csv"

SEEDS = range(50)  # the README's table: every pair over these (`livescreen validate all`)
BLOCK = 5
PAIRS = [(name, fam) for name in dg.list_scenarios() for fam in dg.load_scenario(name).pool]
# Pairs not calibrated yet, each with what fails on the fast tier's seed (strict: a pair that starts
# passing there must leave this list). Empty since account_takeover/group_leakage's reference became
# a group 2-fold (2026-12-04): its sweep failures are listed in KNOWN_SEED_FAILURES like any pair's.
UNCALIBRATED = {
}


def _check(name: str, family: str, seeds) -> list[float]:
    """Validate the pair on ``seeds``; every variant passes and its effect is within the band.
    Returns the variants' difficulty indices."""
    failures, effects, difficulty = [], [], []
    for seed in seeds:
        with one_thread():  # as the committed sweep measured it (its worker processes are the parallelism)
            rep = dg.validate_variant(dg.build_variant(name, seed, family=family))
        effects.append(rep.effect)
        difficulty.append(rep.difficulty)
        if not rep.passed:
            failures.append((seed, [(c.name, c.value, c.threshold) for c in rep.failed]))
    assert not failures, f"{name}/{family}: {len(failures)} of {len(seeds)} seeds fail: {failures[:3]}"
    if family == dg.NO_FAILURE:  # nothing planted: the gap is noise around 0
        off = [(s, round(e, 4)) for s, e in zip(seeds, effects) if abs(e) > 0.04]
        assert not off, f"{name}/{family}: a gap beyond 0.04 with nothing planted on (seed, gap) {off}"
    else:
        off = [(s, round(e / rep.target - 1, 3)) for s, e in zip(seeds, effects)
               if abs(e / rep.target - 1) > EFFECT_TOLERANCE]
        assert not off, f"{name}/{family}: effect off its target by more than {EFFECT_TOLERANCE:.0%} on (seed, share) {off}"
    return difficulty


# Uncalibrated pairs that pass on their fast-tier seed: the fast tier checks them as any other pair
# (no xfail there); the full tier leaves them out like the rest of UNCALIBRATED.
PASS_ON_FAST_SEED: set[tuple[str, str]] = set()


def _marked(pairs):
    out = []
    for name, family, *rest in pairs:
        marks = []
        if (name, family) in UNCALIBRATED and (name, family) not in PASS_ON_FAST_SEED:
            marks.append(pytest.mark.xfail(reason=f"not calibrated yet: {UNCALIBRATED[name, family]}", strict=True))
        out.append(pytest.param(name, family, *rest, marks=marks, id="-".join(map(str, (name, family, *rest)))))
    return out


@pytest.mark.parametrize("name, family", _marked(PAIRS))
def test_every_family_of_the_pool_validates_on_one_seed(name, family):
    """Does this family of the scenario's pool plant a visible failure on one seed (a different seed
    per family of the pool), resolved by its reference experiment and by no decoy?"""
    _check(name, family, [100 + dg.load_scenario(name).pool.index(family)])


# Seeds measured failing in a sweep: open defects, each with its figure. The full tier
# fails on any other seed that fails, so a regression is caught while these wait for a fix.
# Written from the committed sweep by `python -m data_generators.sweep CSV --lists THIS_FILE`.
KNOWN_SEED_FAILURES = {
}
# Pairs whose mean difficulty index over the committed sweep lies outside their pool's band
# (median of the pool's failure pairs' means +/- BAND_WIDTH; the control is not banded, see
# sweep.BAND_WIDTH), with the figure: recalibrating their difficulty (a smaller or larger effect
# moves it) is open work. Written by `python -m data_generators.sweep CSV --lists THIS_FILE`.
OUTSIDE_BAND: dict[tuple[str, str], str] = {
}
# The seeds the full tier sweeps (every pair of every pool, in blocks of BLOCK): as many as fit its
# 30-minute budget on 2 workers. One validation costs 0.6-3.5 s of CPU (measured with
# time.process_time in the sweep, one native thread; about 2 s on average, GB worlds dearer than
# LR ones): the 960 variants of 64 pairs x 15 seeds took 18.5 min on 2 worker processes on this
# 2-core machine, idle (`livescreen validate all --seeds 0-14 --workers 2`, 2026-12-03). With the
# builder's per-seed effect control (a variant that misses its target is planted again) the committed
# sweep recorded 2,185 CPU-s for the 960 variants (2.28 s each; 2,177 s in the sweep before it).
# Seeds 0-14 took the full tier to 31 min 23 s in CI (2026-12-03; hospital_readmission's blocks
# 180-196 s each): the full tier re-checks seeds 0-9 (640 variants, each against the committed
# sweep's row), and the committed sweep holds seeds 0-49.
CI_SEEDS = range(10)


@pytest.mark.full
@pytest.mark.parametrize("name, block", [pytest.param(n, b, id=f"{n}-{b}")
                                         for n in dg.list_scenarios() for b in range(0, len(CI_SEEDS), BLOCK)])
def test_every_pair_of_the_pool_validates_on_a_block_of_seeds(name, block):
    """Do seeds block..block+4 of every family of the scenario's pool pass validation within the
    effect band (but for KNOWN_SEED_FAILURES and UNCALIBRATED pairs), and does every variant
    measure the difficulty index the committed sweep records for it (so the README's table and the
    band computed from that sweep are what the code gives)?

    The band itself is a property of the whole sweep (15 seeds per pair), not of a block of 5: it
    is checked on the committed sweep below (``OUTSIDE_BAND``, ``test_every_pair_sits_...``)."""
    seeds = list(CI_SEEDS)[block:block + BLOCK]
    recorded = {(r["family"], int(r["seed"])): float(r["difficulty"])
                for r in sweep.read_rows(SWEEP_CSV) if r["scenario"] == name}
    errors = []
    for family in dg.load_scenario(name).pool:
        if (name, family) in UNCALIBRATED:
            continue
        known = KNOWN_SEED_FAILURES.get((name, family), {})
        todo = [s for s in seeds if s not in known]
        if not todo:  # every seed of the block is a measured failure
            continue
        try:
            got = _check(name, family, todo)
        except AssertionError as exc:
            errors.append(str(exc))
            continue
        drift = [(s, d, recorded.get((family, s))) for s, d in zip(todo, got)
                 if recorded.get((family, s)) is None or abs(d - recorded[family, s]) > 0.005]
        if drift:
            errors.append(f"{name}/{family}: difficulty differs from the committed sweep on (seed, now, recorded) {drift}")
    assert not errors, errors


def test_the_readme_table_is_the_sweeps():
    """Is the README's scenario x family table the one the committed sweep gives (no hand-typed
    figure), and does the sweep hold only pairs of the shipped pools?"""
    rows = sweep.read_rows(SWEEP_CSV)
    readme = (ROOT / "README.md").read_text()
    assert f"{sweep.README_START}\n{sweep.difficulty_table(rows)}{sweep.README_END}" in readme
    assert {(r["scenario"], r["family"]) for r in rows} <= set(PAIRS)


def test_known_seed_failures_are_the_sweeps():
    """Does KNOWN_SEED_FAILURES list exactly the failing seeds (with their figures) of the committed
    sweep, outside UNCALIBRATED (``python -m data_generators.sweep CSV --lists`` writes it)?"""
    assert KNOWN_SEED_FAILURES == sweep.known_failures(sweep.read_rows(SWEEP_CSV), skip=UNCALIBRATED)


def test_outside_band_lists_exactly_the_sweeps_pairs_outside_their_band():
    """Does OUTSIDE_BAND name exactly the pairs the committed sweep puts outside their pool's band?"""
    outside = {(n, f) for n, b in sweep.difficulty_band(sweep.read_rows(SWEEP_CSV)).items() for f in b["outside"]}
    assert outside == set(OUTSIDE_BAND)


def test_every_pair_sits_in_its_pools_difficulty_band():
    """In the committed sweep, does every pair's mean difficulty index sit within BAND_WIDTH of its
    pool's median pair mean?"""
    outside = {(n, f): m for n, b in sweep.difficulty_band(sweep.read_rows(SWEEP_CSV)).items()
               for f, m in b["outside"].items()}
    assert not outside, outside
