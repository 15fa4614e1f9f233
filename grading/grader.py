"""Grade submissions with nbgrader: a stateless ``grade(submission, truth)`` and a batch runner.

Grading works on copies: each submission folder is copied into a scratch nbgrader course whose
source is the repository's ``solutions/<scenario>/`` and whose gradebook is prepared once per
scenario and copied for every run.

The truth never reaches the kernel. nbgrader runs the notebook in a kernel launched by
``grading.sandbox`` (as an unprivileged account that cannot read the truth store when the grader is
root, from the candidate environment, with an environment built from nothing and a whole-notebook
time limit); the hidden grade cells hold no code (``prepare_course`` empties them). The card to score
is decided here, before the kernel starts: the session service's first card when there is one, else
the submission's committed card file as collected, else the notebook's card as the run left it. After
the kernel is gone the card is scored against the truth in this process and the points are written
into the gradebook through nbgrader's API (``auto_score`` of each ``item_<id>`` grade), so formgrader
shows them. A cell that writes the card file or reaches for the truth while being graded changes
nothing and is flagged ``tampering_attempt``. Whatever a submission does (deleted,
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
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import warnings

import nbformat
from sqlalchemy.exc import SAWarning

# nbgrader's gradebook triggers SQLAlchemy "not in session" warnings that mean nothing here.
warnings.filterwarnings("ignore", category=SAWarning)

from livescreen.toolkit.card import draft_card  # the toolkit's draft: a refused or uncommitted card

from .answers import TRUTH_ENV
from .autograde import CARD_FILE, HISTORY_FILE, load_card
from .config import RELEASE, REPO, SOURCE, nbgrader_config
from .score import score_card

STATUSES = ("graded", "graded_with_errors", "timeout", "malformed_notebook", "no_card", "error")
# Every flag a GradeResult can carry; each is declared in grading/rubrics/autograded.yaml (a test checks).
FLAGS = ("card_not_committed", "card_changed_after_commit", "card_malformed", "cell_timeout",
         "free_text_interpreted", "notebook_altered", "red_flag_experiment", "scored_from_card",
         "tampering_attempt", "unsandboxed")
# Bumped when what prepare_course builds changes (the cached courses are keyed by it).
COURSE_LAYOUT = "sandbox-1"
_HIDDEN = re.compile(r"(### BEGIN HIDDEN TESTS\n).*?(\n?### END HIDDEN TESTS)", re.S)
# The whole notebook may run this many cell timeouts at most (then the kernel is killed).
NOTEBOOK_TIMEOUT_CELLS = 3


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
    root = cache / f"{scenario}-{_source_hash(scenario)}-{COURSE_LAYOUT}"
    if (root / "ready").is_file():
        return root
    tmp = Path(tempfile.mkdtemp(prefix=f".{scenario}.", dir=_mkdir(cache)))
    (tmp / "work").mkdir()
    shutil.copytree(Path(REPO) / SOURCE / scenario, tmp / SOURCE / scenario,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _empty_hidden_cells(tmp / SOURCE / scenario / f"{scenario}.ipynb")
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


def _empty_hidden_cells(path: Path) -> None:
    """Leave nothing for the kernel to run in the hidden grade regions: the grader scores outside it."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            cell.source = _HIDDEN.sub(r"\1None  # scored by the grader after the kernel is gone\2", cell.source)
    nbformat.write(nb, path)


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
def grade(submission: str | Path, truth, *, cache: Path | None = None, cell_timeout: int | None = None,
          first_card: dict | None = None, run_as: str | None = None) -> GradeResult:
    """Grade one submission (a candidate folder or its notebook) against a truth.

    Parameters
    ----------
    submission : the candidate folder (holding ``<scenario>.ipynb``, the data and the committed
        card), or the notebook's path. It is never modified: grading works on a copy.
    truth : the variant's truth (dict), a truth JSON file, or a folder of ``<submission>.json``.
    cell_timeout : seconds per cell; default: the scenario rubric's, else 120. The whole notebook
        may run ``NOTEBOOK_TIMEOUT_CELLS`` times that; then its kernel is killed.
    first_card : the first card the session service recorded (``{"committed_at", "card"}`` or the
        card itself). When given it is the card scored; the folder's card file is only a copy.
    run_as : the Unix account the candidate's cells run as (e.g. the candidate's own user); default
        the dedicated ``livescreen-sandbox`` account. Only possible as root: otherwise the cells run
        as the grader's user and the result is flagged ``unsandboxed``.

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
    committed = _committed(folder, first_card)
    res = _grade(folder, nb_path, scenario, truth_d, cache=cache, cell_timeout=cell_timeout,
                 committed=committed, run_as=run_as)
    res.seconds = round(time.perf_counter() - t0, 3)
    return res


def _committed(folder: Path, first_card) -> tuple[dict | None, dict]:
    """The committed card, decided before any candidate code runs: the service's, else the folder's file."""
    if first_card is not None:
        card = first_card.get("card", first_card) if isinstance(first_card, dict) else None
        info = {"source": "committed", "committed_at": (first_card or {}).get("committed_at"),
                "changed_after_commit": False, "recorded_by": "service"}
        local, _ = load_card(folder, None)
        if local is not None and local != card:
            info["local_copy_differs"] = True
        return card, info
    card, info = load_card(folder, None)
    info["recorded_by"] = "folder"
    return card, info


def _card_only(folder: Path, truth: dict, scenario, status: str, detail: str,
               committed: tuple | None = None) -> GradeResult:
    """Score the committed card directly when the notebook cannot be run or graded."""
    from .rubric_points import item_points
    card, info = committed if committed is not None else _committed(folder, None)
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


def _grade(folder: Path, nb_path: Path | None, scenario: str | None, truth: dict, *, cache, cell_timeout,
           committed, run_as) -> GradeResult:
    if scenario is None or nb_path is None or not nb_path.is_file():
        return _card_only(folder, truth, scenario, "malformed_notebook",
                          "no <scenario>.ipynb of a known scenario in the folder", committed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate cell ids: nbformat repairs them and warns
            nb = nbformat.read(nb_path, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook
        return _card_only(folder, truth, scenario, "malformed_notebook",
                          f"the notebook cannot be read ({type(exc).__name__})", committed)
    if truth.get("scenario") not in (None, scenario):
        raise GradingError(f"the truth is for scenario {truth.get('scenario')!r} but {folder} holds {scenario!r}")
    if cell_timeout is None:
        cell_timeout = _scenario_timeout(scenario)
    try:
        course = prepare_course(scenario, cache=cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # also where a caller (pytest) reset the filters
            return _autograde(folder, nb, scenario, truth, course, cell_timeout, committed, run_as)
    except Exception as exc:  # noqa: BLE001 - whatever fails, the committed card still scores
        return _card_only(folder, truth, scenario, "error",
                          f"grading failed: {type(exc).__name__}: {exc}"[:300], committed)


def _autograde(folder: Path, nb, scenario: str, truth: dict, course: Path, cell_timeout: int,
               committed: tuple, run_as: str | None) -> GradeResult:
    """Run nbgrader autograde on a scratch copy of the course holding a copy of the submission.

    The scratch folder is the grader's (0711: the kernel's account may pass through, not list);
    the kernel's account owns only the autograded copy it works in and its kernel folder. No truth
    is written anywhere in it.
    """
    from .sandbox import ensure_sandbox_user, sandboxed
    release = nbformat.read(course / RELEASE / scenario / f"{scenario}.ipynb", as_version=4)
    altered = restore_cells(nb, release)
    probes = _truth_probes(nb, release)
    for cell in nb.cells:  # nbgrader clears outputs first; a smaller copy is quicker to write and read
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    account = (run_as or ensure_sandbox_user()) if sandboxed() else ""
    with tempfile.TemporaryDirectory(prefix="livescreen-grade-") as tmpd:
        tmp = Path(tmpd)
        os.chmod(tmp, 0o711)
        shutil.copytree(course / SOURCE, tmp / SOURCE)
        os.chmod(tmp / SOURCE, 0o700)
        (tmp / "work").mkdir(mode=0o711)
        os.chmod(tmp / "work", 0o711)
        shutil.copyfile(course / "work" / "gradebook.db", tmp / "work" / "gradebook.db")
        os.chmod(tmp / "work" / "gradebook.db", 0o600)
        (tmp / "kernel").mkdir(mode=0o700)
        student = _student_id(folder)
        dest = tmp / "work" / "submitted" / student / scenario
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
        nbformat.write(nb, dest / f"{scenario}.ipynb")
        (dest / "timestamp.txt").write_text(
            datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        from nbgrader.apps import NbGraderAPI

        from .kernels import install_sliced_wait
        saved = os.environ.pop(TRUTH_ENV, None)  # never inherited by anything started from here
        try:
            with _venv_path(), _quiet_logs():
                install_sliced_wait()
                api = NbGraderAPI(config=grading_config(tmp, cell_timeout, run_as=account))
                out = api.autograde(scenario, student, force=True, create=True)
        finally:
            if saved is not None:
                os.environ[TRUTH_ENV] = saved
        notebook_timeout = (tmp / "kernel" / "notebook-timeout").is_file()
        graded_dir = tmp / "work" / "autograded" / student / scenario
        if notebook_timeout or not out["success"]:
            reason = _failure(out)
            if notebook_timeout:
                res = _card_only(folder, truth, scenario, "timeout",
                                 f"the notebook ran past its {NOTEBOOK_TIMEOUT_CELLS * cell_timeout} s limit and its "
                                 f"kernel was stopped; the committed card is scored directly", committed)
            elif "CellTimeoutError" in reason or "Timeout waiting" in reason:
                # the kernel ignored the interrupt (a loop that catches KeyboardInterrupt): nbgrader stops
                res = _card_only(folder, truth, scenario, "timeout",
                                 f"a cell ran past {cell_timeout} s and did not stop when interrupted; "
                                 f"the committed card is scored directly ({reason})", committed)
            else:
                res = _card_only(folder, truth, scenario, "error",
                                 f"nbgrader could not grade the notebook ({reason}); the committed card is scored directly",
                                 committed)
        else:
            res = _collect(folder, scenario, truth, tmp, student, committed)
        tampering = probes + _card_tampering(folder, graded_dir, committed)
        flags = set(res.flags)
        notes = []
        if altered:
            flags.add("notebook_altered")
            notes.append(_describe(altered))
        if tampering:
            flags.add("tampering_attempt")
            notes.append("; ".join(tampering))
        if not account:
            flags.add("unsandboxed")
            notes.append("no sandbox: the grader is not root, so the candidate's cells ran as its own user")
        res.flags = sorted(flags)
        res.detail = "; ".join(x for x in (*notes, res.detail) if x)
        return res


def _truth_probes(nb, release) -> list[str]:
    """Candidate cells (not the released ones) that name the truth's variable or file."""
    released = {c.source for c in release.cells}
    hits = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source not in released and re.search(
                rf"{TRUTH_ENV}|truth\.json", cell.source):
            hits.append(f"cell {i + 1} reaches for the truth ({TRUTH_ENV} or truth.json)")
    return hits


def _card_tampering(folder: Path, graded_dir: Path, committed: tuple) -> list[str]:
    """The committed card file written or changed while the notebook was being graded (ignored)."""
    out = []
    before = folder / CARD_FILE
    after = graded_dir / CARD_FILE
    b = before.read_bytes() if before.is_file() else None
    a = after.read_bytes() if after.is_file() else None
    if a is not None and a != b and not (b is None and _written_by_commit(a, folder, graded_dir)):
        out.append(f"{CARD_FILE} was {'written' if b is None else 'changed'} while the notebook was graded "
                   "(ignored: the card was fixed before the kernel started)")
    if committed[1].get("local_copy_differs"):
        out.append(f"the folder's {CARD_FILE} differs from the first card the session service recorded "
                   "(the service's card is scored)")
    return out


def _written_by_commit(text: bytes, folder: Path, graded_dir: Path) -> bool:
    """Whether a card file that appeared during grading is what the notebook's commit cell wrote.

    ``commit_card`` writes the first card and appends the same record to the history; a file
    written any other way does not match the first history line added during the run.
    """
    try:
        rec = json.loads(text)
    except ValueError:
        return False
    new = _history(graded_dir)[len(_history(folder)):]
    return bool(new) and isinstance(rec, dict) and rec.get("card") == new[0].get("card") \
        and rec.get("committed_at") == new[0].get("committed_at") and new[0].get("first") is True


def grading_config(course: Path, cell_timeout: int, *, run_as: str = ""):
    """The nbgrader config ``grade`` runs autograde with, on the scratch course at ``course``.

    The repository's config, plus:

    - the kernel is a ``grading.sandbox.SandboxKernelManager``: candidate cells run as ``run_as``
      (root only), from the candidate environment, with an empty environment and a whole-notebook
      limit of ``NOTEBOOK_TIMEOUT_CELLS`` cell timeouts;
    - stderr output never zeroes a graded cell. nbgrader scores 0 for any stderr output in a test
      cell, and a candidate's noisy code (a warning, a background thread printing) can write there
      while a hidden cell runs; the points come from the grader's own scoring anyway.
    - the kernel talks over Unix sockets in the course's kernel folder (``grading.kernels``): TCP
      kernels started at the same moment by parallel graders can pick the same port.
    """
    from .sandbox import SandboxKernelManager
    c = nbgrader_config(course, work=Path(course) / "work", cell_timeout=cell_timeout)
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = r"(?s).*"
    c.Execute.kernel_manager_class = SandboxKernelManager
    c.SandboxKernelManager.run_as = run_as
    c.SandboxKernelManager.notebook_timeout = float(NOTEBOOK_TIMEOUT_CELLS * cell_timeout)
    c.KernelManager.transport = "ipc"
    kdir = Path(course).resolve() / "kernel"
    c.KernelManager.ip = str(kdir / "kernel")
    c.KernelManager.connection_file = str(kdir / "kernel.json")
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


def _graded_card(folder: Path, graded_dir: Path, committed: tuple) -> tuple[dict | None, dict]:
    """The card to grade: the committed card (fixed before the kernel started), else the notebook's.

    The notebook's commit cell runs again while nbgrader grades the copy: what it commits then is the
    notebook's card as the candidate left it (new lines of the copy's history). It never counts as a
    commit by the candidate, and never replaces a committed card.
    """
    card, info = committed[0], dict(committed[1])
    before = len(_history(folder))
    at_grading = [r.get("card") for r in _history(graded_dir)[before:] if isinstance(r.get("card"), dict)]
    if info["source"] == "committed":
        if at_grading and at_grading[-1] != card:
            info["changed_after_commit"] = True
    elif at_grading:
        card = at_grading[-1]
        info["source"] = "notebook" if info["source"] in ("none", "draft") else info["source"]
    elif info["source"] in ("none", "draft"):
        # Nothing committed: the notebook's card as the grading run kept it (its check cell saves
        # the draft), else the submission's own draft (a form's card, a refused commit).
        # Only the draft: a card file the run wrote is never taken (see _card_tampering).
        draft = draft_card(graded_dir)
        if draft is not None:
            card = draft["card"] if isinstance(draft["card"], dict) else {"experiment": draft["card"]}
            info.update(source="notebook" if draft.get("source") == "notebook" else "draft",
                        draft_source=draft.get("source"), refused=draft.get("refused"))
    return card, info


def _collect(folder: Path, scenario: str, truth: dict, course: Path, student: str, committed: tuple) -> GradeResult:
    """Score the card against the truth here (the kernel is gone) and write the points into the gradebook."""
    from nbgrader.api import Gradebook
    from .rubric_points import item_points
    graded_dir = course / "work" / "autograded" / student / scenario
    errors, timed_out = _errors(graded_dir / f"{scenario}.ipynb")
    card, info = _graded_card(folder, graded_dir, committed)
    meta = _meta(folder)
    sc = score_card(card, truth, brief=meta.get("brief"),
                    known_columns=(meta.get("schema") or {}).get("features", []),
                    points=item_points(truth.get("scenario")))
    items = [{"id": s.id, "points": s.points, "max": s.max, "evidence": s.evidence} for s in sc.items]
    db = f"sqlite:///{course / 'work' / 'gradebook.db'}"
    with Gradebook(db) as gb:  # nbgrader's own record, so formgrader shows the grader's points
        for it in items:
            try:
                g = gb.find_grade(f"item_{it['id']}", scenario, scenario, student)
            except Exception:  # noqa: BLE001 - a grade cell nbgrader did not record
                continue
            g.auto_score = float(it["points"])
            g.needs_manual_grade = False
        gb.db.commit()
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


def record(gradebook: str | Path, result: GradeResult, *, student: str | None = None, cache: Path | None = None) -> None:
    """Write a result's points into a lasting nbgrader gradebook (e.g. the store's), so formgrader shows them.

    The scenario's assignment is added to the gradebook first if it is not there (from the scratch
    course's source); the student and the submission are created or updated.
    """
    from nbgrader.api import Gradebook, MissingEntry
    scenario = result.scenario
    student = student or _student_id(Path(result.submission))
    path = Path(gradebook)
    url = f"sqlite:///{path.resolve()}"
    with _venv_path(), _quiet_logs(), Gradebook(url) as gb:  # a new gradebook runs `alembic`
        try:
            gb.find_assignment(scenario)
            has = True
        except MissingEntry:
            has = False
    if not has:
        from nbgrader.apps import NbGraderAPI
        course = prepare_course(scenario, cache=cache)
        c = nbgrader_config(course, work=course / "work")
        c.CourseDirectory.db_url = url
        with _venv_path(), _quiet_logs():
            out = NbGraderAPI(config=c).generate_assignment(scenario, force=True)
        if not out["success"]:
            raise RuntimeError(f"could not add {scenario} to {path}: {out['error'][-300:]}")
    with Gradebook(url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(scenario, student)
        except MissingEntry:
            gb.add_submission(scenario, student)
        for it in result.items:
            try:
                g = gb.find_grade(f"item_{it['id']}", scenario, scenario, student)
            except MissingEntry:
                continue
            g.auto_score = float(it["points"])
            g.needs_manual_grade = False
        gb.db.commit()
    os.chmod(path, 0o600)


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
        done = _results(_submit_all(pool, work))
    for i, w in enumerate(work):
        if done[i] is None:  # its worker died, or another's death broke the pool: once more, alone
            with ProcessPoolExecutor(max_workers=1) as pool:
                done[i] = _results(_submit_all(pool, [w]))[0] or GradeResult(
                    str(w[0]), None, "error", 0.0, 0.0, [], [], "the grading process died (out of memory?)")
    return done


def _submit_all(pool, work) -> list[Future | None]:
    """Hand every job to ``pool``; None for a job the pool refused because a worker had already
    died (a submission that kills its worker can do so while the rest are still being handed out)."""
    futures = []
    for w in work:
        try:
            futures.append(pool.submit(_grade_job, w))
        except BrokenProcessPool:
            futures.append(None)
    return futures


def _results(futures) -> list[GradeResult | None]:
    out = []
    for fut in futures:
        try:
            out.append(None if fut is None else fut.result())
        except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker was killed
            out.append(None)
    return out
