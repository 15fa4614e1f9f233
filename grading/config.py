"""nbgrader configuration, built explicitly (hermetic: no ~/.jupyter or /etc/jupyter).

The repository's own folders serve as nbgrader's: ``solutions/`` is the source folder and
``exercises/`` the release folder; submissions, autograded copies and feedback live under
``grading/work/`` (git-ignored), and so does the gradebook.
"""
from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
COURSE_ID = "livescreen"
SOURCE = "solutions"
RELEASE = "exercises"
CARD_STUB = (
    "# Write your first experiment here (or fill in the form above and leave this as it is).\n"
    "FIRST_EXPERIMENT = blank_card()"
)
# Each cell may run this long (seconds); an endless loop in a candidate's cell ends there.
CELL_TIMEOUT = 120


def nbgrader_config(root: str | Path = REPO, *, work: str | Path | None = None,
                    cell_timeout: int = CELL_TIMEOUT) -> Config:
    """A traitlets Config for nbgrader over the course at ``root``.

    Parameters
    ----------
    root : the course root holding ``solutions/`` and ``exercises/``.
    work : where submitted, autograded and feedback folders and the gradebook go
        (default ``<root>/grading/work``).
    cell_timeout : seconds each cell may run when nbgrader executes a notebook.
    """
    root = Path(root).resolve()
    work = Path(work).resolve() if work is not None else root / "grading" / "work"
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOURCE
    c.CourseDirectory.release_directory = RELEASE
    c.CourseDirectory.submitted_directory = str(work / "submitted")
    c.CourseDirectory.autograded_directory = str(work / "autograded")
    c.CourseDirectory.feedback_directory = str(work / "feedback")
    c.CourseDirectory.db_url = f"sqlite:///{work / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".livescreen"]
    c.ClearSolutions.code_stub = {"python": CARD_STUB}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Execute.timeout = cell_timeout
    c.ExecutePreprocessor.timeout = cell_timeout
    c.Execute.interrupt_on_timeout = True
    c.Execute.kernel_name = "python3"
    c.Autograde.create_student = True
    c.Autograde.add_missing_cells = True  # a deleted grade cell is restored, not silently skipped
    c.GenerateAssignment.force = True  # never skip a stale release silently
    c.Exchange.root = str(work / "exchange")
    return c
