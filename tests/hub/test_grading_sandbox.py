"""Grading never lets candidate code see the truth (real nbgrader, real kernels).

The cheat from issue #12: a cell that reads ``$LIVESCREEN_TRUTH`` (or the truth file), builds the
matching card and writes ``first_experiment.json`` while the notebook is being graded. It must score
exactly as the same submission without that cell, and be flagged. A probe cell records what the
kernel could see: its account, its environment, ``grading`` / ``data_generators``, the truth file.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grading.answers import reference_card
from grading.grader import grade_many, record
from grading.rubric_points import item_points
from grading.sandbox import SANDBOX_USER, candidate_python
from grading.score import score_card
from livescreen.demo import fill_card
from livescreen.notebooks import candidate_folder

SC = "saas_churn"
# ``graded`` is a module fixture: on one xdist worker it is built once, not once per worker.
pytestmark = pytest.mark.xdist_group("grading-sandbox")

CHEAT = '''
import json, os
try:  # the variable the hidden cells used to read, else the store's file
    truth = json.load(open(os.environ.get("LIVESCREEN_TRUTH") or TRUTH))
except Exception:  # nothing readable: write a card anyway
    truth = {"family": "prior_shift", "culprits": []}
card = {"hypothesis": {"family": truth["family"], "columns": truth["culprits"], "segment": None, "onset": None},
        "evidence": "x", "experiment": {"type": "drop_columns_retrain", "columns": truth["culprits"]},
        "expected_if_true": "the gap closes", "expected_if_false": "the gap stays", "decision": "drop it"}
json.dump({"committed_at": "2020-01-01T00:00:00+00:00", "card": card}, open("first_experiment.json", "w"))
'''

PROBE = '''
import importlib.util, json, os, sys
seen = {"uid": os.getuid(), "env": sorted(os.environ), "python": sys.executable,
        "grading": importlib.util.find_spec("grading") is not None,
        "data_generators": importlib.util.find_spec("data_generators") is not None}
try:
    seen["truth"] = open(TRUTH).read()[:20]
except OSError as exc:
    seen["truth"] = type(exc).__name__
with open(PROBE, "w") as fh:
    json.dump(seen, fh)
'''


def _insert_before_card(path: Path, *codes: str) -> None:
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "first_experiment")
    for code in reversed(codes):
        nb.cells.insert(at, new_code_cell(code))
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox")
    store = root / "store"  # the grader-only store: 0700, where the truth lives
    store.mkdir(mode=0o700)
    truth_path = store / "truth.json"
    honest = root / "honest"
    candidate_folder(SC, seed=5, out=honest, truth=truth_path, n_offline=3000, n_production=3000)
    truth = json.loads(truth_path.read_text())
    meta = json.loads((honest / "schema.json").read_text())
    ref = reference_card(truth, brief=meta["brief"])
    # a partial card: the right family, no culprit named
    partial = {**ref, "hypothesis": {**ref["hypothesis"], "columns": [], "segment": None, "onset": None}}
    fill_card(honest / f"{SC}.ipynb", partial)  # filled in, never committed
    cheat = root / "cheat"
    shutil.copytree(honest, cheat)
    probe = Path("/tmp") / f"livescreen-probe-{os.getpid()}.json"
    probe.unlink(missing_ok=True)
    _insert_before_card(cheat / f"{SC}.ipynb", f"TRUTH, PROBE = {str(truth_path)!r}, {str(probe)!r}\n" + PROBE, CHEAT)
    results = grade_many([honest, cheat], truth_path, jobs=2, cell_timeout=60)
    seen = json.loads(probe.read_text()) if probe.is_file() else None
    probe.unlink(missing_ok=True)
    expected = score_card(partial, truth, brief=meta["brief"], known_columns=meta["schema"]["features"],
                          points=item_points(SC)).total
    return {"honest": results[0], "cheat": results[1], "seen": seen, "expected": expected, "root": root,
            "truth": truth, "ref": ref}


def test_the_cheat_scores_as_if_absent_and_is_flagged(graded):
    """Does the truth-reading, card-writing cell change nothing in the score, and is it flagged?"""
    honest, cheat = graded["honest"], graded["cheat"]
    assert honest.total == pytest.approx(graded["expected"]) and 0 < honest.total < honest.max, honest
    assert cheat.total == honest.total, (cheat.total, cheat.detail)
    assert cheat.card == honest.card
    assert "tampering_attempt" in cheat.flags and "tampering_attempt" not in honest.flags
    assert "LIVESCREEN_TRUTH" in cheat.detail and "first_experiment.json" in cheat.detail
    assert "card_not_committed" in cheat.flags and "card_not_committed" in honest.flags


def test_the_kernel_sees_no_truth_no_grader_and_nothing_of_the_graders_environment(graded):
    """Did the kernel run without the truth, the grader, the engine or the grader's environment?"""
    seen = graded["seen"]
    assert seen is not None, "the probe cell ran"
    assert not [k for k in seen["env"] if k.startswith("LIVESCREEN")]
    assert {k for k in seen["env"] if not k.startswith("KMP_")} <= {"PATH", "HOME", "LANG", "MPLBACKEND", "PYTHONNOUSERSITE", "NBGRADER_EXECUTION",
                                "USER", "LOGNAME", "JPY_PARENT_PID", "PYDEVD_USE_FRAME_EVAL", "TERM",
                                "CLICOLOR", "PAGER", "GIT_PAGER", "FORCE_COLOR", "CLICOLOR_FORCE"}, seen["env"]
    if candidate_python() is not None:
        assert seen["python"].startswith(str(candidate_python().parent.parent))
        assert not seen["grading"] and not seen["data_generators"]
    if os.geteuid() == 0:
        import pwd
        assert seen["uid"] == pwd.getpwnam(SANDBOX_USER).pw_uid
        assert seen["truth"] == "PermissionError"
        assert "unsandboxed" not in graded["cheat"].flags
    else:
        assert "unsandboxed" in graded["cheat"].flags


def test_the_service_first_card_is_the_one_scored(graded, tmp_path):
    """With the session service's first card, is that card scored, whatever the folder holds?"""
    honest = Path(graded["honest"].submission)
    from grading.grader import grade
    r = grade(honest, graded["truth"], first_card={"committed_at": "2026-12-03T06:00:00+00:00", "card": graded["ref"]},
              cell_timeout=60)
    assert r.total == r.max, (r.total, r.detail)
    assert r.card_info["recorded_by"] == "service" and "card_not_committed" not in r.flags
    # the points go into a lasting nbgrader gradebook, where formgrader reads them
    gb = tmp_path / "gradebook.db"
    record(gb, r, student="lsc-ada")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{gb}") as book:
        sub = book.find_submission_notebook(SC, SC, "lsc-ada")
        scores = {g.name: g.score for g in sub.grades if g.name.startswith("item_")}
        assert sub.score == pytest.approx(r.total)
    assert scores == {f"item_{i['id']}": i["points"] for i in r.items}
    assert oct(os.stat(gb).st_mode & 0o777) == "0o600"
