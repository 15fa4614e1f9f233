"""The calibration sweep's bookkeeping: rows, the difficulty band, the README table (no validation run)."""
from __future__ import annotations

import pytest

from data_generators import sweep


def _row(scenario, family, seed, difficulty, *, passed=True, target=0.2, effect=0.2):
    return {"scenario": scenario, "family": family, "seed": seed, "passed": passed, "effect": effect,
            "target": target, "rel_effect": effect / target - 1 if target else float("nan"),
            "difficulty": difficulty, "failed": "" if passed else "effect_band=0.3 (...)",
            "seconds": 1.0, "cpu_seconds": 1.0}


ROWS = [_row("s", "a", 0, 0.40), _row("s", "a", 1, 0.50), _row("s", "b", 0, 0.50), _row("s", "b", 1, 0.50),
        _row("s", "c", 0, 0.90, passed=False, effect=0.3), _row("s", "c", 1, 0.80),
        _row("t", "no_failure", 0, 0.7, target=0.0, effect=0.01), _row("t", "d", 0, 0.6)]


def test_rows_round_trip_through_the_csv(tmp_path):
    """Are rows read back as written (seed int, passed bool, figures float)?"""
    sweep.write_rows(tmp_path / "r.csv", ROWS[:2])
    sweep.write_rows(tmp_path / "r.csv", ROWS[2:3], append=True)
    back = sweep.read_rows(tmp_path / "r.csv")
    assert [(r["family"], r["seed"], r["passed"], r["difficulty"]) for r in back] == [
        ("a", 0, True, 0.4), ("a", 1, True, 0.5), ("b", 0, True, 0.5)]


def test_re_swept_rows_go_back_to_a_full_sweeps_order():
    """After re-sweeping some pairs (their rows appended last), are the rows put back seed by seed,
    each seed's rows in the pools' order, so that only the re-swept rows change in the CSV?"""
    pairs = [("s", "a"), ("s", "b"), ("t", "d")]
    full = [_row(n, f, seed, 0.5) for seed in (0, 1) for n, f in pairs]
    re_swept = [r for r in full if r["family"] != "b"] + [r for r in full if r["family"] == "b"]
    assert re_swept != full
    assert sweep.in_sweep_order(re_swept, pairs) == full
    stray = _row("u", "z", 0, 0.5)  # a pair no longer shipped: after the shipped ones of its seed
    assert sweep.in_sweep_order([stray] + full, pairs)[3] == stray


def test_the_band_is_the_pools_median_pair_mean_plus_minus_the_width():
    """Is the band the median of the pool's pair means +/- BAND_WIDTH, and is a pair beyond it flagged?"""
    band = sweep.difficulty_band(ROWS)["s"]
    assert band["center"] == pytest.approx(0.5)  # pair means 0.45, 0.5, 0.85
    assert (band["low"], band["high"]) == pytest.approx((0.5 - sweep.BAND_WIDTH, 0.5 + sweep.BAND_WIDTH))
    assert band["outside"] == {"c": pytest.approx(0.85)}
    st = sweep.pair_stats(ROWS)[("s", "c")]
    assert (st["n"], st["passed"], st["failed_seeds"]) == (2, 1, [0])


def test_the_readme_table_is_replaced_between_its_markers(tmp_path):
    """Does --readme replace only the table between the markers, and refuse a README without them?"""
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{sweep.README_START}\nold\n{sweep.README_END}\nrest\n")
    table = sweep.difficulty_table(ROWS)
    sweep.write_readme(readme, table)
    assert readme.read_text() == f"intro\n{sweep.README_START}\n{table}{sweep.README_END}\nrest\n"
    assert "| s | c | 1/2 | 0.80 / 0.85 / 0.90 (outside) |" in table
    assert "| t | no_failure | 1/1 | 0.70 / 0.70 / 0.70 (control: not banded) | gap +0.010 .. +0.010 |" in table
    (tmp_path / "bare.md").write_text("no markers\n")
    with pytest.raises(ValueError, match="no difficulty-table markers"):
        sweep.write_readme(tmp_path / "bare.md", table)
    assert sweep.main([str(tmp_path / "missing.csv")]) == 2


def test_the_control_neither_sets_nor_must_sit_in_the_band():
    """Is the control (no symptom, so its index is its decoys' loudness alone) left out of its pool's
    band, however loud its decoys?"""
    band = sweep.difficulty_band(ROWS)["t"]
    assert band["center"] == pytest.approx(0.6) and band["outside"] == {}


def test_known_failures_name_each_failing_seed_with_its_figure():
    """Does every failed check, effect off its target and control gap beyond 0.04 become a listed
    seed with its figure, and are skipped pairs left out?"""
    rows = ROWS + [_row("t", "no_failure", 1, 0.7, target=0.0, effect=0.05),
                   _row("t", "d", 1, 0.6, effect=0.25)]
    known = sweep.known_failures(rows, skip=[("s", "a")])
    assert known == {("s", "c"): {0: "effect_band=0.3 (...)"},
                     ("t", "d"): {1: "effect_band=+0.2500"},
                     ("t", "no_failure"): {1: "gap +0.0500 with nothing planted, beyond 0.04"}}


def test_the_lists_are_rewritten_in_the_test_file(tmp_path):
    """Does --lists rewrite KNOWN_SEED_FAILURES and OUTSIDE_BAND (skipping UNCALIBRATED pairs) and
    keep the rest of the file?"""
    test_file = tmp_path / "t.py"
    test_file.write_text("UNCALIBRATED = {('s', 'c'): 'why'}\nKNOWN_SEED_FAILURES = {\n    1: 2,\n}\n"
                         "OUTSIDE_BAND: dict[tuple[str, str], str] = {\n}\nrest = 1\n")
    sweep.write_rows(tmp_path / "r.csv", ROWS)
    assert sweep.main([str(tmp_path / "r.csv"), "--lists", str(test_file)]) == 0
    text = test_file.read_text()
    assert "KNOWN_SEED_FAILURES = {\n}\n" in text and text.endswith("rest = 1\n")
    assert "('s', 'c'): \"mean 0.85 over seeds 0-1; band 0.35-0.65\"," in text
