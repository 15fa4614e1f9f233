"""The live diagnosis notebook: one design built from each scenario, released with nbgrader.

``source_notebook(scenario)`` builds the nbgrader source (``solutions/<scenario>/<scenario>.ipynb``)
from one cell list; ``release`` runs nbgrader's ``generate_assignment`` with the repository's own
folders as source and release (``exercises/<scenario>/``); ``candidate_folder`` puts a released
notebook beside one variant's data, and ``execute`` runs it headless in place.

The notebook's cells are short sentences over ``livescreen.toolkit``; everything they do lives
there, with its own tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from data_generators import load_scenario

REPO = Path(__file__).resolve().parents[1]
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _meta(grade_id: str, *, locked=True, solution=False, grade=False, points=0, task=False) -> dict:
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": task}
    if grade or task:
        m["points"] = points
    return {"nbgrader": m}


def _md(grade_id: str, text: str, **kw):
    return new_markdown_cell(text.strip(), metadata=_meta(grade_id, **kw))


def _code(grade_id: str, text: str, *, tags=(), **kw):
    meta = _meta(grade_id, **kw)
    if tags:
        meta["tags"] = list(tags)
    return new_code_cell(text.strip(), metadata=meta)


SOLUTION_CARD = '''
### BEGIN SOLUTION
# The reference answer for this variant, built on the grading side from its truth.
from grading.answers import reference_card_for_session
FIRST_EXPERIMENT = reference_card_for_session()
### END SOLUTION
'''


# The commit cell as released: commented out, so Run All never commits (``fill_card(commit=True)``
# and a candidate remove the "# ").
COMMIT_CELL = "# ls.commit(FIRST_EXPERIMENT)"
COMMIT_NOW = "ls.commit(FIRST_EXPERIMENT)"


def source_notebook(scenario, *, hidden_tests: list | None = None) -> nbformat.NotebookNode:
    """The nbgrader source notebook of ``scenario`` (a name or Scenario).

    ``hidden_tests`` are the grade cells appended after the card check; by default the grading
    side's hidden cells, one per autograded rubric item.
    """
    sc = load_scenario(scenario)
    if hidden_tests is None:
        from grading.cells import hidden_test_cells
        hidden_tests = hidden_test_cells(sc.name)
    b = sc.spec["brief"]
    cells = [
        _md("intro", f"""
# {sc.title}

**Your task (25 minutes).** The team is worried about this model. Read the brief, look at the
evidence below and use the explorers. Then write down **your first experiment** on the card in
section 5: what you believe is going on, what would show it, and what you would do next. Say what
the evidence supports: "nothing is broken" is an answer too.

**The first card you commit is the one that counts.** Committing is a deliberate step: the card's
**Commit** button, or `ls.commit(FIRST_EXPERIMENT)` in the commit cell. Running all cells never
commits a card, and a card you have not committed yet is kept as a draft.
"""),
        _code("setup", """
%matplotlib inline
from livescreen.toolkit import notebook as ls
from livescreen.toolkit.notebook import blank_card
case = ls.start(".")
"""),
        _md("brief_head", f"""
## 1. The brief

{b['context']}

**The decision:** {b['decision']}
"""),
        _code("brief", "ls.show_brief(case)"),
        _md("report_head", """
## 2. The team's offline report

What the team saw before launch: the confusion matrix at the operating threshold, ROC and
precision-recall curves, and the feature importance as the team computed it.
"""),
        _code("report", "ls.offline_report(case)"),
        _md("gap_head", """
## 3. Online vs offline

The production metric week by week against the offline level, with confidence bands. Weeks whose
labels are not yet mature are shaded.
"""),
        _code("gap", "ls.online_offline_gap(case)"),
        _md("explorers_head", """
## 4. Explorers

Each explorer is one call; its controls are keyword arguments, so you can open it where you want
to look (or use the controls):

| explorer | keyword arguments |
|---|---|
| `ls.threshold_explorer(case, threshold=0.4)` | `threshold`: the decision threshold (default: the team's) |
| `ls.slice_explorer(case, column="...", bins=4)` | `column`: the column to slice by; `bins`: quantile bins of a numeric column |
| `ls.drift_explorer(case, feature="...")` | `feature`: the column to compare offline and in production (default: the largest PSI) |
| `ls.time_window_explorer(case, start="2025-10-06", end="2025-10-20", unit="day")` | `start`, `end`: the production window (end excluded); `unit`: `"week"` or `"day"` |

`help(ls.slice_explorer)` says more.
"""),
        _code("explore_threshold", "ls.threshold_explorer(case)"),
        _code("explore_slices", "ls.slice_explorer(case)"),
        _code("explore_drift", "ls.drift_explorer(case)"),
        _code("explore_window", "ls.time_window_explorer(case)"),
        _md("card_head", """
## 5. Your first experiment

Fill in the form, **or** write the same thing as a Python dict in the cell below it: both give the
same card. `hypothesis.family` names the kind of failure you suspect (the form lists them);
`experiment.type` one experiment from the catalogue, with its parameters. Say what you expect to
see if your hypothesis is true and if it is false, and what you would decide in each case.

Commit with the form's **Commit this card** button, or with the commit cell further down. **The
first card you commit is the one that counts**; a card that cannot be committed yet says which field
to change, and is kept as a draft.
"""),
        _code("card_form", "form = ls.card_form(case)\nform"),
        _code("first_experiment", SOLUTION_CARD, locked=False, solution=True),
        _md("reasoning_question", """
**Your reasoning.** In a few sentences: what did you notice first, which explanations did you
consider, and why is this experiment the one that tells them apart? (The interviewer reads this.)
"""),
        # free text for the interviewer, rated against grading/rubrics/manual.yaml (not autograded)
        new_markdown_cell("*Write your reasoning here.*", metadata={"tags": ["reasoning"]}),
        _code("card_check", "ls.check_card(FIRST_EXPERIMENT, form=form)"),
        _md("commit_head", """
To commit the dict above instead of using the button, remove the `#` in front of `ls.commit` and run
the cell. (Running all cells leaves it alone.)
"""),
        # not an nbgrader cell: the candidate edits it (a locked cell is read-only)
        new_code_cell(COMMIT_CELL, metadata={"tags": ["commit"]}),
    ]
    cells += list(hidden_tests or [])
    cells += [
        _md("run_head", """
## 6. Run it

Once your card is committed, run the experiment it names on the data you have. Committing again
later never replaces your first card; `ls.run(case, {"type": ...})` runs any other catalogue
experiment after that.
"""),
        _code("run", "result = ls.run_first_experiment(case)"),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    return nb


def write_source(scenario, *, root: Path = REPO, hidden_tests=None) -> Path:
    """Write ``solutions/<scenario>/<scenario>.ipynb`` under ``root``, with the grading side's
    hidden grade cells (one per autograded rubric item) unless ``hidden_tests`` is given."""
    sc = load_scenario(scenario)
    path = Path(root) / "solutions" / sc.name / f"{sc.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(sc, hidden_tests=hidden_tests), path)
    return path


def nbgrader_env() -> dict:
    """Environment for nbgrader subprocesses: the venv's bin on PATH (nbgrader runs alembic)."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def release(scenarios, *, root: Path = REPO) -> list[Path]:
    """Run nbgrader ``generate_assignment`` for each scenario: solutions/ -> exercises/.

    Works on a scratch gradebook so the repository's is not touched.
    """
    from nbgrader.apps import NbGraderAPI

    from grading.config import nbgrader_config
    out = []
    old_path = os.environ.get("PATH")
    with tempfile.TemporaryDirectory(prefix="livescreen-release-") as work:
        # nbgrader runs `alembic` from PATH, in this process's environment: set it for the run only
        os.environ["PATH"] = nbgrader_env()["PATH"]
        try:
            api = NbGraderAPI(config=nbgrader_config(root, work=work))
            for name in scenarios:
                res = api.generate_assignment(name, force=True)
                if not res["success"]:
                    raise RuntimeError(f"nbgrader generate_assignment {name} failed: {res['error']}")
                nb_path = Path(root) / "exercises" / name / f"{name}.ipynb"
                strip_outputs(nb_path)
                out.append(nb_path)
        finally:
            if old_path is None:
                os.environ.pop("PATH", None)
            else:
                os.environ["PATH"] = old_path
    return out


def strip_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)


def released_notebook(scenario: str, *, root: Path = REPO) -> Path:
    path = Path(root) / "exercises" / scenario / f"{scenario}.ipynb"
    if not path.is_file():
        from data_generators.errors import ScenarioError
        raise ScenarioError(f"no released notebook for {scenario!r} in exercises/: run `livescreen release {scenario}`")
    return path


def candidate_folder(scenario: str, *, seed: int, out: str | Path, truth: str | Path | None = None,
                     n_offline=None, n_production=None, execute_notebook: bool = False,
                     measure: bool = True) -> Path:
    """Write a candidate folder: the released notebook beside one variant's data and the team's report
    (``livescreen.candidate``; never the truth; ``measure``: store the measured outcomes in the truth)."""
    from livescreen.candidate import write_candidate_folder
    sc = load_scenario(scenario)
    nb_src = released_notebook(sc.name)
    out = Path(out)
    write_candidate_folder(sc, seed=seed, out=out, truth=truth, n_offline=n_offline, n_production=n_production,
                           measure=measure)
    shutil.copyfile(nb_src, out / f"{sc.name}.ipynb")
    if execute_notebook:
        execute(out / f"{sc.name}.ipynb")
    return out


def execute(path: str | Path, *, timeout: int = 300, env: dict | None = None) -> nbformat.NotebookNode:
    """Run a notebook headless in its own folder (nbclient) and save it in place."""
    from nbclient import NotebookClient

    from grading.kernels import install_sliced_wait, kernel_manager
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="livescreen-kernel-") as sockets:
        install_sliced_wait()
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", km=kernel_manager(Path(sockets)),
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            if env:
                os.environ.update(env)
            # the kernel's own output goes nowhere: an inherited pipe can stall it
            client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.environ.clear()
            os.environ.update(old)
    nbformat.write(nb, path)
    return nb

