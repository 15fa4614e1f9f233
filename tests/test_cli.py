"""The command line: thin, one-line errors with exit code 2, no traceback, nothing half-written."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from livescreen.cli import main, parse_seeds

EXE = [sys.executable, "-m", "livescreen.cli"]


def run(*args, cwd=None):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_scenarios_lists_names():
    """Does `livescreen scenarios` print the shipped scenarios one per line?"""
    r = run("scenarios")
    assert r.returncode == 0 and "saas_churn" in r.stdout.split()


def test_generate_writes_candidate_and_truth_apart(tmp_path):
    """Does `generate` write the candidate folder and, separately, the truth with the measured outcomes?"""
    out, truth = tmp_path / "cand", tmp_path / "secret" / "truth.json"
    # the variant tests/grading measures once for the run (tests/conftest.py shared_measurements)
    r = run("generate", "saas_churn", "--seed", "4", "--out", str(out), "--truth", str(truth),
            "--family", "prior_shift", "--n-offline", "3000", "--n-production", "3000")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["offline.csv", "production.csv", "recomputed.csv", "schema.json",
                                                    "team_report.json"]
    t = json.loads(truth.read_text())
    assert t["seed"] == 4 and t["family"] == "prior_shift" and "truth" in t["outcomes"]["worlds"]
    assert "truth" not in r.stdout.split(str(truth))[0].lower() or "grading side" in r.stdout


@pytest.mark.parametrize("args, match", [
    (["generate", "nope", "--seed", "1", "--out", "OUT"], "unknown scenario 'nope'; known: "),
    (["generate", "saas_churn", "--seed", "-3", "--out", "OUT"], "bad seed '-3'"),
    (["generate", "saas_churn", "--seed", "1.5", "--out", "OUT"], "bad seed '1.5'"),
    (["generate", "saas_churn", "--seed", "1", "--out", "OUT", "--n-offline", "12"], "n_offline must be a whole number of rows"),
    (["generate", "saas_churn", "--seed", "1", "--out", "OUT", "--truth", "OUT/t.json"], "is inside the candidate folder"),
    (["generate", "saas_churn", "--out", "OUT"], "the following arguments are required: --seed"),
    (["validate", "saas_churn", "--seeds", "9-3"], "bad seed range '9-3'"),
    (["validate", "saas_churn", "--seeds", "a-b"], "bad seeds 'a-b'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, args, match):
    """Does each bad input get one line, exit code 2, no traceback and no output folder?"""
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livescreen: error: ") and match in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_malformed_scenario_file_exit_2(tmp_path):
    """Does a malformed scenario file given by path exit 2 with the file and line?"""
    bad = tmp_path / "mine.yaml"
    bad.write_text("name: mine\nworld: [\n")
    r = run("generate", str(bad), "--seed", "1", "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and re.search(r"mine\.yaml:\d+: column \d+: malformed YAML", r.stderr)
    assert not (tmp_path / "out").exists()


def test_validate_prints_a_table_and_exit_code(capsys):
    """Does `validate` print one row per seed, one row per family drawn and a summary, exiting 0
    when all pass?"""
    import data_generators as dg
    assert main(["validate", "saas_churn", "--seeds", "0-1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    drawn = {dg.draw_family("saas_churn", s) for s in (0, 1)}
    assert lines[-1] == "saas_churn: 2/2 variants pass" and len(lines) == 1 + 2 + len(drawn) + 1
    assert {ln.split()[1].rstrip(":") for ln in lines[3:-1]} == drawn


def test_validate_with_a_family_forces_it_and_refuses_one_outside_the_pool(capsys):
    """Does `validate --family F` plant F on every seed, and is a family outside the pool refused in one line?"""
    assert main(["validate", "saas_churn", "--seeds", "0-1", "--family", "target_leakage",
                 "--n-offline", "4000", "--n-production", "4000"]) in (0, 1)
    out = capsys.readouterr().out
    assert all(ln.split()[1] == "target_leakage" for ln in out.splitlines()[1:3])
    r = run("validate", "saas_churn", "--family", "schema_change", "--seeds", "0")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "not in saas_churn's pool; choose one of: target_leakage" in r.stderr


def test_validate_exits_1_on_a_failing_variant(tmp_path, capsys):
    """Does `validate` exit 1 when a variant fails?"""
    import copy, yaml
    import data_generators as dg
    spec = copy.deepcopy(dg.load_scenario("saas_churn").spec)
    spec["name"] = "weak"
    spec["failures"][0]["params"]["strength"] = 0.0
    (tmp_path / "weak.yaml").write_text(yaml.safe_dump(spec))
    assert main(["validate", str(tmp_path / "weak.yaml"), "--seeds", "0", "--family", "target_leakage", "--n-offline", "3000",
                 "--n-production", "3000"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_validate_writes_one_csv_row_per_variant(tmp_path, capsys):
    """Does `validate --out` write each variant's row (passed, failed checks, effect vs target,
    difficulty), the same figures it prints?"""
    from data_generators import sweep
    out = tmp_path / "rows.csv"
    main(["validate", "saas_churn", "--seeds", "0", "--family", "target_leakage", "--out", str(out),
          "--n-offline", "3000", "--n-production", "3000"])
    printed = capsys.readouterr().out.splitlines()[1].split()
    (row,) = sweep.read_rows(out)
    assert (row["scenario"], row["family"], row["seed"]) == ("saas_churn", "target_leakage", 0)
    assert row["passed"] == (printed[2] == "pass") and row["failed"] == ("" if row["passed"] else row["failed"])
    assert (row["effect"], row["target"], round(row["difficulty"], 2)) == (
        float(printed[3]), float(printed[4]), float(printed[5]))


@pytest.mark.parametrize("args, match", [
    (["validate", "all", "--seeds", "0"], "add --out FILE.csv"),
    (["validate", "all", "--seeds", "0", "--out", "x.csv", "--family", "prior_shift"], "--family needs one scenario"),
    (["validate", "all", "--seeds", "0", "--out", "x.csv", "--workers", "0"], "at least 1 worker"),
])
def test_validate_all_refuses_bad_options_in_one_line(tmp_path, args, match):
    """Is a sweep of every pair refused in one line (exit 2, nothing written) when its options cannot work?"""
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2 and match in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_parse_seeds():
    """Are seed lists and ranges parsed as written?"""
    assert parse_seeds("0-2,7,5-6") == [0, 1, 2, 5, 6, 7]


@pytest.mark.parametrize("content, match", [
    ("not json", "is not valid JSON"),
    ('{"at": "2026-11-26T10:00:00"}', "must be a JSON list of hints"),
])
def test_grade_refuses_a_bad_hint_log_before_grading(tmp_path, content, match):
    """Does a bad --hints file stop `grade` with one line and exit 2, before any scorecard is written?"""
    log = tmp_path / "hints.json"
    log.write_text(content)
    truth = tmp_path / "truth.json"
    truth.write_text("{}")
    r = run("grade", str(tmp_path), "--truth", str(truth), "--scorecards", str(tmp_path / "cards"),
            "--hints", str(log))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and match in lines[0], r.stderr
    assert not (tmp_path / "cards").exists()
