"""Grade submissions with nbgrader: a stateless ``grade(submission, truth)`` and a batch runner.

Grading works on copies: each submission folder is copied into a scratch nbgrader course whose
source is the repository's ``solutions/<scenario>/`` (with its hidden grade cells) and whose
gradebook is prepared once per scenario and copied for every run. The truth reaches the hidden
cells through ``$LIVESCREEN_TRUTH``, from the grading side. Whatever a submission does (deleted,
duplicated or retyped cells, an exception, an endless loop, noise on stderr, a malformed notebook
file, no card) the batch finishes and every submission gets a status and, where one can be given,
a partial score: cells the candidate deleted, duplicated or retyped are put back as released before
nbgrader sees the notebook (``restore_cells``, flag ``notebook_altered``); when nbgrader cannot run
it (a truncated file, a kernel that dies or ignores the interrupt) the committed card is scored
directly. Every flag a result can carry is in ``FLAGS`` and declared in the autograded rubric.
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
from .autograde import HISTORY_FILE, load_card
from .config import RELEASE, REPO, SOURCE, nbgrader_config
from .score import score_card

STATUSES = ("graded", "graded_with_errors", "timeout", "malformed_notebook", "no_card", "error")
# Every flag a GradeResult can carry; each is declared in grading/rubrics/autograded.yaml (a test checks).
FLAGS = ("card_not_committed", "card_changed_after_commit", "card_malformed", "cell_timeout",
         "free_text_interpreted", "notebook_altered", "red_flag_experiment", "scored_from_card")


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


def truth_for(truth, submission: Path) -> dict:
    """The truth for ``submission``: ``truth`` itself (a dict), its JSON file, or ``<submission>.json`` in a folder."""
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
    truth_d = truth_for(truth, folder)
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
    flags = set(sc.flags)
    if card is None:
        flags.add("card_not_committed")
    if info.get("source") == "unreadable":
        flags.add("card_malformed")
    if status == "timeout":
        flags.add("cell_timeout")
    return GradeResult(str(folder), scenario, status, sc.total, sc.max,
                       [asdict(i) for i in sc.items], sorted(flags), detail, card, info, sc.discrimination)


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate cell ids: nbformat repairs them and warns
            nb = nbformat.read(nb_path, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook
        return _card_only(folder, truth, scenario, "malformed_notebook",
                          f"the notebook cannot be read ({type(exc).__name__})")
    if truth.get("scenario") not in (None, scenario):
        raise GradingError(f"the truth is for scenario {truth.get('scenario')!r} but {folder} holds {scenario!r}")
    if cell_timeout is None:
        cell_timeout = _scenario_timeout(scenario)
    try:
        course = prepare_course(scenario, cache=cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # also where a caller (pytest) reset the filters
            return _autograde(folder, nb, scenario, truth, course, cell_timeout)
    except Exception as exc:  # noqa: BLE001 - whatever fails, the committed card still scores
        return _card_only(folder, truth, scenario, "error",
                          f"grading failed: {type(exc).__name__}: {exc}"[:300])


def _autograde(folder: Path, nb, scenario: str, truth: dict, course: Path, cell_timeout: int) -> GradeResult:
    """Run nbgrader autograde on a scratch copy of the course holding a copy of the submission."""
    release = nbformat.read(course / RELEASE / scenario / f"{scenario}.ipynb", as_version=4)
    altered = restore_cells(nb, release)
    for cell in nb.cells:  # nbgrader clears outputs first; a smaller copy is quicker to write and read
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="livescreen-grade-") as tmpd:
        tmp = Path(tmpd)
        shutil.copytree(course / SOURCE, tmp / SOURCE)
        (tmp / "work").mkdir()
        shutil.copyfile(course / "work" / "gradebook.db", tmp / "work" / "gradebook.db")
        student = _student_id(folder)
        dest = tmp / "work" / "submitted" / student / scenario
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
        nbformat.write(nb, dest / f"{scenario}.ipynb")
        (dest / "timestamp.txt").write_text(
            datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        truth_file = tmp / "truth.json"
        truth_file.write_text(json.dumps(truth))
        from nbgrader.apps import NbGraderAPI

        from livescreen.kernels import install_sliced_wait
        old_truth = os.environ.get(TRUTH_ENV)
        os.environ[TRUTH_ENV] = str(truth_file)
        try:
            with _venv_path(), _quiet_logs():
                install_sliced_wait()
                api = NbGraderAPI(config=grading_config(tmp, cell_timeout))
                out = api.autograde(scenario, student, force=True, create=True)
        finally:
            if old_truth is None:
                os.environ.pop(TRUTH_ENV, None)
            else:
                os.environ[TRUTH_ENV] = old_truth
        if not out["success"]:
            reason = _failure(out)
            if "CellTimeoutError" in reason or "Timeout waiting" in reason:
                # the kernel ignored the interrupt (a loop that catches KeyboardInterrupt): nbgrader stops
                res = _card_only(folder, truth, scenario, "timeout",
                                 f"a cell ran past {cell_timeout} s and did not stop when interrupted; "
                                 f"the committed card is scored directly ({reason})")
            else:
                res = _card_only(folder, truth, scenario, "error",
                                 f"nbgrader could not grade the notebook ({reason}); the committed card is scored directly")
        else:
            res = _collect(folder, scenario, truth, tmp, student)
        if altered:
            flags = set(res.flags)
            flags.add("notebook_altered")
            res.flags = sorted(flags)
            res.detail = "; ".join(x for x in (_describe(altered), res.detail) if x)
        return res


def grading_config(course: Path, cell_timeout: int):
    """The nbgrader config ``grade`` runs autograde with, on the scratch course at ``course``.

    The repository's config, plus:

    - stderr output never zeroes a graded cell. nbgrader scores 0 for any stderr output in a test
      cell, and a candidate's noisy code (a warning, a background thread printing) can write there
      while a hidden cell runs; what the hidden cells score does not depend on it, and errors still
      score 0.
    - the kernel talks over Unix sockets in the course folder (``livescreen.kernels``): TCP kernels
      started at the same moment by parallel graders can pick the same port.
    """
    c = nbgrader_config(course, work=Path(course) / "work", cell_timeout=cell_timeout)
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = r"(?s).*"
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(Path(course).resolve() / "kernel")
    return c


_NBGRADER_KEYS = ("grade", "solution", "locked", "task")


def _grade_id(cell) -> str | None:
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def restore_cells(nb, release) -> dict[str, list[str]]:
    """Put the released notebook's structure back into a submission, in place; return what changed.

    nbgrader itself stops on a duplicated grade id (its de-duplication leaves metadata that fails
    its own schema check) and on a graded cell whose ``grade`` flag was edited (inconsistent
    checksums), and never restores a deleted locked cell that is not graded. Here, before nbgrader
    sees the notebook: a duplicated or unknown grade id is dropped (the first copy keeps it, the
    others run as plain cells); a cell whose type or nbgrader metadata was changed gets the released
    type and metadata back, keeping its text (nbgrader restores a locked cell's text); a deleted
    locked cell is put back after its released predecessor. A deleted answer cell cannot be made
    up: it is reported only. Returns ``{"deleted", "duplicated", "retyped", "edited", "unknown"}``
    (grade ids), only the non-empty ones.
    """
    ref = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    order = list(ref)
    seen: set[str] = set()
    changes: dict[str, list[str]] = {k: [] for k in ("deleted", "duplicated", "retyped", "edited", "unknown")}
    for i, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.metadata:
            continue
        gid = _grade_id(cell)
        if gid not in ref or gid in seen:
            changes["duplicated" if gid in seen else "unknown"].append(str(gid))
            for key in ("nbgrader", "deletable", "editable"):
                cell.metadata.pop(key, None)
            continue
        seen.add(gid)
        r, meta = ref[gid], cell.metadata["nbgrader"]
        rmeta = r.metadata["nbgrader"]
        if cell.cell_type != r.cell_type or any(bool(meta.get(k)) != bool(rmeta.get(k)) for k in _NBGRADER_KEYS) \
                or _points(meta) != _points(rmeta):
            changes["retyped"].append(gid)
            nb.cells[i] = _released_cell(r, cell.source)
        elif rmeta.get("locked") and cell.source != r.source:
            changes["edited"].append(gid)
    for k, gid in enumerate(order):
        if gid in seen:
            continue
        changes["deleted"].append(gid)
        r = ref[gid]
        if r.metadata["nbgrader"].get("solution"):
            continue  # the candidate's answer: nothing to put back
        new = _released_cell(r, r.source)
        at = 0
        for prev in reversed(order[:k]):
            pos = next((j for j, c in enumerate(nb.cells) if _grade_id(c) == prev), None)
            if pos is not None:
                at = pos + 1
                break
        nb.cells.insert(at, new)
        seen.add(gid)
    return {k: v for k, v in changes.items() if v}


def _released_cell(released, source: str):
    """A fresh cell of the released cell's type and metadata, holding ``source``."""
    make = nbformat.v4.new_code_cell if released.cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata = nbformat.from_dict(json.loads(json.dumps(released.metadata)))
    return cell


def _points(meta: dict) -> float:
    try:
        return float(meta.get("points") or 0)
    except (TypeError, ValueError):
        return float("nan")


def _describe(altered: dict[str, list[str]]) -> str:
    return "notebook altered: " + "; ".join(f"{k} {', '.join(v)}" for k, v in altered.items())


def _failure(out: dict) -> str:
    """The exception that stopped nbgrader, from its log (its own last line only says "see above")."""
    text = "\n".join(x for x in (out.get("log"), out.get("error")) if x)
    found = [m.group(1).strip() for m in re.finditer(r"^\s*((?:\w+\.)*\w*(?:Error|Exception|Timeout)\w*: .*)$",
                                                      text, re.M) if "NbGraderException" not in m.group(1)]
    if found:
        return found[-1][:300]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no log"


def _scenario_timeout(scenario: str) -> int:
    from .config import CELL_TIMEOUT
    try:
        from .rubric import load_rubric
        return int(getattr(load_rubric(scenario), "cell_timeout", CELL_TIMEOUT) or CELL_TIMEOUT)
    except Exception:  # noqa: BLE001 - rubric missing or invalid: the default
        return CELL_TIMEOUT


def _history(folder: Path) -> list[dict]:
    try:
        lines = (folder / HISTORY_FILE).read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({})
    return out


def _graded_card(folder: Path, graded_dir: Path) -> tuple[dict | None, dict]:
    """The card to grade: the submission's committed card, else the notebook's as the grading run saw it.

    The notebook's commit cell runs again while nbgrader grades the copy: what it commits then is the
    notebook's card as the candidate left it (new lines of the copy's history). It never counts as a
    commit by the candidate.
    """
    card, info = load_card(folder, None)
    before = len(_history(folder))
    at_grading = [r.get("card") for r in _history(graded_dir)[before:] if isinstance(r.get("card"), dict)]
    if info["source"] == "committed":
        if at_grading and at_grading[-1] != card:
            info["changed_after_commit"] = True
    elif at_grading:
        card = at_grading[-1]
        info["source"] = "notebook" if info["source"] == "none" else info["source"]
    elif info["source"] in ("none", "draft"):
        # Nothing committed: the notebook's card as the grading run kept it (its check cell saves
        # the draft), else the submission's own draft (a form's card, a refused commit).
        graded, graded_info = load_card(graded_dir, None)
        if graded is not None:
            card, info = graded, graded_info
            if graded_info.get("draft_source") == "notebook":
                info["source"] = "notebook"
    return card, info


def _collect(folder: Path, scenario: str, truth: dict, course: Path, student: str) -> GradeResult:
    from nbgrader.api import Gradebook
    from .rubric_points import item_points
    graded_dir = course / "work" / "autograded" / student / scenario
    db = f"sqlite:///{course / 'work' / 'gradebook.db'}"
    with Gradebook(db) as gb:
        subnb = gb.find_submission_notebook(scenario, scenario, student)
        grades = {g.name: (float(g.score or 0.0), float(g.max_score)) for g in subnb.grades}
    errors, timed_out = _errors(graded_dir / f"{scenario}.ipynb")
    card, info = _graded_card(folder, graded_dir)
    # The card scored again here for evidence and flags (pure: what the hidden cells computed).
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
    if timed_out:
        status = "timeout"
        flags.add("cell_timeout")
    elif card is None:
        status = "no_card"
    elif errors:
        status = "graded_with_errors"
    else:
        status = "graded"
    missing = [i["id"] for i in items if f"item_{i['id']}" not in grades]
    if missing or any(abs(i["points"] - s.points) > 1e-6 or abs(i["max"] - s.max) > 1e-6
                      for i, s in zip(items, sc.items)):
        # A hidden cell did not run, failed or was zeroed (a timeout or an error before it, noise on
        # stderr, a lost cell): the card is scored directly, so the candidate keeps the credit it earns.
        items = [{"id": s.id, "points": s.points, "max": s.max, "evidence": s.evidence} for s in sc.items]
        flags.add("scored_from_card")
    if info.get("source") != "committed":
        flags.add("card_not_committed")
    if info.get("source") == "unreadable":
        flags.add("card_malformed")
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
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                name = out.get("ename", "Error")
                where = _grade_id(cell) or f"cell {i + 1}"
                errs.append(f"{where}: {name}")
                if "Timeout" in name or "timed out" in str(out.get("evalue", "")):
                    timed_out = True
    return errs, timed_out


# ----------------------------------------------------------------------------- batches
def _grade_job(args):
    sub, truth, cache, cell_timeout = args
    try:
        return grade(sub, truth, cache=cache, cell_timeout=cell_timeout)
    except GradingError as exc:
        return GradeResult(str(sub), None, "error", 0.0, 0.0, [], [], str(exc))
    except Exception as exc:  # noqa: BLE001 - the batch always finishes
        return GradeResult(str(sub), None, "error", 0.0, 0.0, [], [],
                           f"{type(exc).__name__}: {exc}"[:300])


def grade_many(submissions, truth, *, jobs: int = 1, cache: Path | None = None,
               cell_timeout: int | None = None) -> list[GradeResult]:
    """Grade several submissions; ``jobs > 1`` grades them in parallel processes.

    The batch always finishes: a submission that cannot be graded gets status ``error``, and one
    whose worker process died is graded once more in a process of its own. Results come in the
    order given.
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
        done = _results([pool.submit(_grade_job, w) for w in work])
    for i, w in enumerate(work):
        if done[i] is None:  # its worker died, or another's death broke the pool: once more, alone
            with ProcessPoolExecutor(max_workers=1) as pool:
                done[i] = _results([pool.submit(_grade_job, w)])[0] or GradeResult(
                    str(w[0]), None, "error", 0.0, 0.0, [], [], "the grading process died (out of memory?)")
    return done


def _results(futures) -> list[GradeResult | None]:
    out = []
    for fut in futures:
        try:
            out.append(fut.result())
        except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker was killed
            out.append(None)
    return out
