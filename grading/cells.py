"""The hidden grade cells the source notebook carries, one per autograded rubric item.

In the released notebook each cell shows one quiet comment ("# Checked after the session."): nbgrader
strips the hidden region, so a candidate sees neither the rubric's wording nor how a card is
scored, and Run All raises nothing. The hidden region holds no code: the grader scores the card
against the truth in its own process after the kernel is gone (``grading.grader``), so nothing of
the truth or the grader runs in the kernel.
"""
from __future__ import annotations

from nbformat.v4 import new_code_cell

from .rubric_points import item_points


def hidden_test_cells(scenario: str | None = None) -> list:
    """One nbgrader grade cell per rubric item, worth the rubric's points."""
    cells = []
    for item_id, points in item_points(scenario).items():
        src = ("# Checked after the session.\n"  # the candidate sees this line only, and no output
               "### BEGIN HIDDEN TESTS\n"
               "None  # scored by the grader after the kernel is gone\n"
               "### END HIDDEN TESTS")
        meta = {"nbgrader": {"grade": True, "grade_id": f"item_{item_id}", "locked": True,
                             "points": points, "schema_version": 3, "solution": False, "task": False}}
        cells.append(new_code_cell(src, metadata=meta))
    return cells
