"""Calibration: Krippendorff's alpha behaves as constructed, and the reference sessions are usable."""
from __future__ import annotations

import json

import numpy as np
import pytest

from grading import calibration as C
from livescreen.cli import main


def _ratings(levels_by_rater: dict[str, np.ndarray]) -> list[dict]:
    dims = C.dimensions()
    out = []
    for rater, m in levels_by_rater.items():  # m: sessions x dimensions
        for s, row in enumerate(m):
            out.append({"session": f"s{s}", "rater": rater, "levels": {d: int(v) for d, v in zip(dims, row)}})
    return out


def test_identical_raters_agree_perfectly(tmp_path):
    """Do three raters giving identical levels get alpha 1 on every dimension and leniency 0?"""
    rng = np.random.default_rng(1)
    m = rng.integers(1, 6, size=(12, len(C.dimensions())))
    f = tmp_path / "r.json"
    f.write_text(json.dumps(_ratings({"ana": m, "bo": m, "cy": m})))
    rep = C.calibrate([f], boot=50)
    assert all(d["alpha"] == pytest.approx(1.0) for d in rep["dimensions"].values())
    assert rep["overall"]["alpha"] == pytest.approx(1.0)
    assert all(v["leniency"] == 0 for v in rep["leniency"].values())


def test_independent_random_raters_agree_at_chance(tmp_path):
    """Do raters drawing levels independently at random get alpha near 0, inside a narrow interval?"""
    rng = np.random.default_rng(7)
    n, k = 150, len(C.dimensions())
    f = tmp_path / "r.json"
    f.write_text(json.dumps(_ratings({r: rng.integers(1, 6, size=(n, k)) for r in ("ana", "bo", "cy")})))
    rep = C.calibrate([f], boot=100, seed=3)
    a = rep["overall"]["alpha"]
    assert abs(a) < 0.1  # chance agreement; 750 units (150 sessions x 5 dimensions) x 3 raters
    assert all(abs(d["alpha"]) < 0.2 for d in rep["dimensions"].values())
    lo, hi = rep["overall"]["ci95"]
    assert lo <= a <= hi and hi - lo < 0.15


def test_a_lenient_rater_shows_up_and_the_reference_consensus_counts_as_a_rater(tmp_path):
    """Rating the reference sessions one level high: is the leniency +1 against the consensus, alpha still high?"""
    refs = C.reference_sessions()
    assert len(refs) >= 6 and len({r["family"] for r in refs}) >= 6
    assert {r["quality"] for r in refs} == {"strong", "mixed", "weak"}
    from livescreen.toolkit.card import check_card
    for r in refs:
        check_card(r["card"])  # each reference card is a card a candidate could commit
        assert set(r["consensus"]) == set(C.dimensions()) and r["reasoning"] and r["conversation"]
    rows = "session,rater," + ",".join(C.dimensions()) + "\n" + "".join(
        f"{r['id']},new," + ",".join(str(min(5, v + 1)) for v in r["consensus"].values()) + "\n" for r in refs)
    f = tmp_path / "mine.csv"
    f.write_text(rows)
    rep = C.calibrate([f, C.REFERENCE_DIR], boot=100)
    assert 0.5 < rep["leniency"]["new"]["leniency"] <= 1 and rep["leniency"]["consensus"]["leniency"] < 0
    assert rep["overall"]["alpha"] > 0.6


@pytest.mark.parametrize("content, match", [
    ("session,rater,hypothesis_driven_diagnosis\ns1,ana,7\n", "is not a level"),
    ("who,rater\n", "'session' is missing"),
])
def test_bad_ratings_are_one_line_and_exit_2(tmp_path, capsys, content, match):
    """Does a bad ratings file give one line on stderr and exit 2?"""
    f = tmp_path / "bad.csv"
    f.write_text(content)
    assert main(["calibrate", str(f), str(C.REFERENCE_DIR), "--boot", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]


def test_the_calibrate_command_prints_alpha_per_dimension(tmp_path, capsys):
    """Does `livescreen calibrate` print every dimension, the overall alpha and each rater's leniency?"""
    refs = C.reference_sessions()
    f = tmp_path / "mine.json"
    f.write_text(json.dumps([{"session": r["id"], "rater": "new", "levels": r["consensus"]} for r in refs]))
    assert main(["calibrate", str(f), str(C.REFERENCE_DIR), "--boot", "20"]) == 0
    out = capsys.readouterr().out
    assert all(d in out for d in C.dimensions()) and "all dimensions" in out and "consensus" in out
