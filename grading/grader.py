"""Grade submissions with nbgrader: a stateless ``grade(submission, truth)`` and a batch runner.

Grading works on copies: each submission folder is copied into a scratch nbgrader course whose
source is the repository's ``solutions/<scenario>/`` (with its hidden grade cells) and whose
gradebook is prepared once per scenario and copied for every run. The truth reaches the hidden
cells through ``$LIVESCREEN_TRUTH``, from the grading side. Whatever a submission does (deleted,
duplicated or retyped cells, an exception, an endless loop, noise on stderr, a malformed notebook
file, no card) the batch finishes and every submission gets a status and, where one can be given,
a partial score.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import warnings

import nbformat
from sqlalchemy.exc import SAWarning

# nbgrader's gradebook triggers SQLAlchemy "not in session" warnings that mean nothing here.
warnings.filterwarnings("ignore", category=SAWarning)

from .answers import TRUTH_ENV
from .autograde import CARD_FILE, load_card
from .config import REPO, SOURCE, nbgrader_config
from .score import score_card

STATUSES = ("graded", "graded_with_errors", "timeout", "malformed_notebook", "no_card", "error")


class GradingError(ValueError):
    """Bad input to the grader (a missing submission or truth): one line, exit code 2 at the CLI."""


@dataclass
class GradeResult:
    submission: str
    scenario: str | None
    status: str
    total: float
    max: float
    items: list[dict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    detail: str = ""
    card: dict | None = None
    card_info: dict | None = None
    discrimination: dict | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- inputs
def _scenario_of(folder: Path) -> tuple[str | None, Path | None]:
    """The scenario whose notebook the folder holds (``<scenario>.ipynb``)."""
    src = Path(REPO) / SOURCE
    for nb in sorted(folder.glob("*.ipynb")):
        if (src / nb.stem / f"{nb.stem}.ipynb").is_file():
            return nb.stem, nb
    return None, None


def _truth_for(truth, submission: Path) -> dict:
    if isinstance(truth, dict):
        return truth
    path = Path(truth)
    if path.is_dir():
        path = path / f"{submission.name}.json"
    if not path.is_file():
        raise GradingError(f"no truth file at {path}: pass --truth FILE, or a folder holding <submission>.json")
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise GradingError(f"{path} is not valid JSON: pass the truth file `livescreen generate --truth` wrote") from None


def _student_id(folder: Path) -> str:
    sid = re.sub(r"[^A-Za-z0-9_-]", "_", folder.resolve().name) or "candidate"
    return sid[:60]


# ----------------------------------------------------------------------------- the course
def _source_hash(scenario: str) -> str:
    nb = Path(REPO) / SOURCE / scenario / f"{scenario}.ipynb"
    return hashlib.sha256(nb.read_bytes()).hexdigest()[:16]


def prepare_course(scenario: str, *, cache: Path | None = None) -> Path:
    """A scratch course for ``scenario`` with its gradebook populated (cached by source hash)."""
    cache = Path(cache or Path(tempfile.gettempdir()) / "livescreen-courses")
    root = cache / f"{scenario}-{_source_hash(scenario)}"
    if (root / "ready").is_file():
        return root
    tmp = Path(tempfile.mkdtemp(prefix=f".{scenario}.", dir=_mkdir(cache)))
    (tmp / "work").mkdir()
    shutil.copytree(Path(REPO) / SOURCE / scenario, tmp / SOURCE / scenario,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    from nbgrader.apps import NbGraderAPI
    with _venv_path(), _quiet_logs():
        api = NbGraderAPI(config=nbgrader_config(tmp, work=tmp / "work"))
        res = api.generate_assignment(scenario, force=True)
    if not res["success"]:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"nbgrader generate_assignment {scenario} failed: {res['error'][-500:]}")
    (tmp / "ready").write_text("ok\n")
    try:
        tmp.rename(root)
    except OSError:  # another process prepared it first
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


@contextlib.contextmanager
def _venv_path():
    """nbgrader runs ``alembic`` as a subprocess: the venv's bin must be on PATH."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


@contextlib.contextmanager
def _quiet_logs():
    import logging
    logger = logging.getLogger("traitlets")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# ----------------------------------------------------------------------------- grading one
def grade(submission: str | Path, truth, *, cache: Path | None = None, cell_timeout: int | None = None) -> GradeResult:
    """Grade one submission (a candidate folder or its notebook) against a truth.

    Parameters
    ----------
    submission : the candidate folder (holding ``<scenario>.ipynb``, the data and the committed
        card), or the notebook's path. It is never modified: grading works on a copy.
    truth : the variant's truth (dict), a truth JSON file, or a folder of ``<submission>.json``.
    cell_timeout : seconds per cell; default: the scenario rubric's, else 120.

    Returns
    -------
    GradeResult
        ``status`` (one of ``STATUSES``), ``total``, ``max``, ``items`` (``id``, ``points``,
        ``max``, ``evidence``), ``flags``.
    """
    t0 = time.perf_counter()
    sub = Path(submission)
    if not sub.exists():
        raise GradingError(f"no submission at {sub}: pass a candidate folder or its notebook")
    folder = sub if sub.is_dir() else sub.parent
    truth_d = _truth_for(truth, folder)
    scenario, nb_path = _scenario_of(folder) if sub.is_dir() else (sub.stem, sub)
    res = _grade(folder, nb_path, scenario, truth_d, cache=cache, cell_timeout=cell_timeout)
    res.seconds = round(time.perf_counter() - t0, 3)
    return res


def _card_only(folder: Path, truth: dict, scenario, status: str, detail: str) -> GradeResult:
    """Score the committed card file directly when the notebook cannot be run or graded."""
    from .rubric_points import item_points
    card, info = load_card(folder, None)
    meta = _meta(folder)
    sc = score_card(card, truth, brief=meta.get("brief"),
                    known_columns=(meta.get("schema") or {}).get("features", []),
                    points=item_points(truth.get("scenario")))
    if card is None and status not in ("malformed_notebook", "timeout", "error"):
        status = "no_card"
    flags = sorted(set(sc.flags) | {f"status:{status}"})
    return GradeResult(str(folder), scenario, status, sc.total, sc.max,
                       [asdict(i) for i in sc.items], flags, detail, card, info, sc.discrimination)


def _meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "schema.json").read_text())
    except (OSError, ValueError):
        return {}


def _grade(folder: Path, nb_path: Path | None, scenario: str | None, truth: dict, *, cache, cell_timeout) -> GradeResult:
    if scenario is None or nb_path is None or not nb_path.is_file():
        return _card_only(folder, truth, scenario, "malformed_notebook",
                          "no <scenario>.ipynb of a known scenario in the folder")
    try:
        nb = nbformat.read(nb_path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook
        return _card_only(folder, truth, scenario, "malformed_notebook",
                          f"the notebook cannot be read ({type(exc).__name__})")
    if truth.get("scenario") not in (None, scenario):
        raise GradingError(f"the truth is for scenario {truth.get('scenario')!r} but {folder} holds {scenario!r}")
    if cell_timeout is None:
        cell_timeout = _scenario_timeout(scenario)
    course = prepare_course(scenario, cache=cache)
    with tempfile.TemporaryDirectory(prefix="livescreen-grade-") as tmpd:
        tmp = Path(tmpd)
        shutil.copytree(course / SOURCE, tmp / SOURCE)
        (tmp / "work").mkdir()
        shutil.copyfile(course / "work" / "gradebook.db", tmp / "work" / "gradebook.db")
        student = _student_id(folder)
        dest = tmp / "work" / "submitted" / student / scenario
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
        shutil.copyfile(nb_path, dest / f"{scenario}.ipynb")
        (dest / "timestamp.txt").write_text(
            datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        truth_file = tmp / "truth.json"
        truth_file.write_text(json.dumps(truth))
        from nbgrader.apps import NbGraderAPI
        old_truth = os.environ.get(TRUTH_ENV)
        os.environ[TRUTH_ENV] = str(truth_file)
        try:
            with _venv_path(), _quiet_logs():
                api = NbGraderAPI(config=nbgrader_config(tmp, work=tmp / "work", cell_timeout=cell_timeout))
                out = api.autograde(scenario, student, force=True, create=True)
        finally:
            if old_truth is None:
                os.environ.pop(TRUTH_ENV, None)
            else:
                os.environ[TRUTH_ENV] = old_truth
        if not out["success"]:
            return _card_only(folder, truth, scenario, "error",
                              "nbgrader could not grade the notebook: " + _last_line(out.get("error") or out.get("log")))
        graded_nb = tmp / "work" / "autograded" / student / scenario / f"{scenario}.ipynb"
        return _collect(folder, scenario, truth, tmp, student, graded_nb)


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no log"


def _scenario_timeout(scenario: str) -> int:
    from .config import CELL_TIMEOUT
    try:
        from .rubric import load_rubric
        return int(getattr(load_rubric(scenario), "cell_timeout", CELL_TIMEOUT) or CELL_TIMEOUT)
    except Exception:  # noqa: BLE001 - rubric missing or invalid: the default
        return CELL_TIMEOUT


def _collect(folder: Path, scenario: str, truth: dict, course: Path, student: str, graded_nb: Path) -> GradeResult:
    from nbgrader.api import Gradebook
    from .rubric_points import item_points
    db = f"sqlite:///{course / 'work' / 'gradebook.db'}"
    with Gradebook(db) as gb:
        subnb = gb.find_submission_notebook(scenario, scenario, student)
        grades = {g.name: (float(g.score or 0.0), float(g.max_score)) for g in subnb.grades}
    errors, timed_out = _errors(graded_nb)
    # The card as the hidden cells saw it, scored again here for evidence and flags (pure, same result).
    card, info = load_card(course / "work" / "autograded" / student / scenario, None)
    meta = _meta(folder)
    sc = score_card(card, truth, brief=meta.get("brief"),
                    known_columns=(meta.get("schema") or {}).get("features", []),
                    points=item_points(truth.get("scenario")))
    items = []
    for it in sc.items:
        pts, mx = grades.get(f"item_{it.id}", (None, it.max))
        items.append({"id": it.id, "points": it.points if pts is None else pts, "max": mx,
                      "evidence": it.evidence})
    flags = set(sc.flags)
    if card is None:
        status = "no_card"
    elif timed_out:
        status = "timeout"
    elif errors:
        status = "graded_with_errors"
    else:
        status = "graded"
    if info.get("source") == "none" or card is None:
        flags.add("no_card")
    missing = [i["id"] for i in items if f"item_{i['id']}" not in grades]
    if missing or (timed_out and card is not None) or any(
            abs(i["points"] - s.points) > 1e-6 for i, s in zip(items, sc.items)):
        # A hidden cell did not run or was lost (timeout before it, a duplicated cell...): the
        # card is scored directly, so the candidate keeps the credit the card earns.
        items = [{"id": s.id, "points": s.points, "max": s.max, "evidence": s.evidence} for s in sc.items]
        flags.add("scored_from_card")
    if info.get("source") == "notebook":
        flags.add("card_not_committed")
    if info.get("changed_after_commit"):
        flags.add("card_changed_after_commit")
    total = round(sum(i["points"] for i in items), 4)
    mx = round(sum(i["max"] for i in items), 4)
    detail = "; ".join(errors[:3])
    return GradeResult(str(folder), scenario, status, total, mx, items, sorted(flags), detail, card, info,
                       sc.discrimination)


def _errors(nb_path: Path) -> tuple[list[str], bool]:
    """Error outputs in the autograded notebook (candidate exceptions, timeouts)."""
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001
        return ["autograded notebook unreadable"], False
    errs, timed_out = [], False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                name = out.get("ename", "Error")
                errs.append(f"{cell.metadata.get('nbgrader', {}).get('grade_id', 'cell')}: {name}")
                if "Timeout" in name or "timed out" in str(out.get("evalue", "")):
                    timed_out = True
    return errs, timed_out


# ----------------------------------------------------------------------------- batches
def _grade_job(args):
    sub, truth, cache, cell_timeout = args
    try:
        return grade(sub, truth, cache=cache, cell_timeout=cell_timeout)
    except GradingError as exc:
        return GradeResult(str(sub), None, "error", 0.0, 0.0, [], ["status:error"], str(exc))
    except Exception as exc:  # noqa: BLE001 - the batch always finishes
        return GradeResult(str(sub), None, "error", 0.0, 0.0, [], ["status:error"],
                           f"{type(exc).__name__}: {exc}"[:300])


def grade_many(submissions, truth, *, jobs: int = 1, cache: Path | None = None,
               cell_timeout: int | None = None) -> list[GradeResult]:
    """Grade several submissions; ``jobs > 1`` grades them in parallel processes.

    The batch always finishes: a submission that cannot be graded gets status ``error``.
    """
    subs = [Path(s) for s in submissions]
    # prepare each scenario's course once, before the workers start
    for s in subs:
        folder = s if s.is_dir() else s.parent
        sc, _ = _scenario_of(folder) if s.is_dir() else (s.stem, s)
        if sc and (Path(REPO) / SOURCE / sc).is_dir():
            with contextlib.suppress(Exception):
                prepare_course(sc, cache=cache)
    work = [(s, truth, cache, cell_timeout) for s in subs]
    if jobs <= 1 or len(work) <= 1:
        return [_grade_job(w) for w in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_grade_job, work))
