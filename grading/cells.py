"""The hidden grade cells the source notebook carries, one per autograded rubric item.

In the released notebook each cell keeps its docstring and the visible check that a card was
committed (nbgrader strips the hidden region), so a candidate sees what is checked, never how. The
hidden region holds no code: the grader scores the card against the truth in its own process after
the kernel is gone (``grading.grader``), so nothing of the truth or the grader runs in the kernel.
"""
from __future__ import annotations

from nbformat.v4 import new_code_cell

from .rubric_points import item_points

QUESTIONS = {
    "family": "Does the card name the failure family that was planted?",
    "culprit": "Does the card name the culprit column, segment or onset?",
    "discrimination": "Would the experiment's result tell the true cause apart from the rival explanations?",
    "expectations": "Does the card state a falsifiable result for both outcomes, in the right direction?",
    "decision": "Does the decision follow from the result?",
    "cost": "Does the card weigh the cost of a false positive against a false negative?",
}


def hidden_test_cells(scenario: str | None = None) -> list:
    """One nbgrader grade cell per rubric item, worth the rubric's points."""
    cells = []
    for item_id, points in item_points(scenario).items():
        src = (f'"""{QUESTIONS.get(item_id, item_id)}"""\n'
               "ls.check_complete(card)\n"
               "### BEGIN HIDDEN TESTS\n"
               "None  # scored by the grader after the kernel is gone\n"
               "### END HIDDEN TESTS")
        meta = {"nbgrader": {"grade": True, "grade_id": f"item_{item_id}", "locked": True,
                             "points": points, "schema_version": 3, "solution": False, "task": False}}
        meta["tags"] = ["raises-exception"]  # an empty card fails here; Run All goes on
        cells.append(new_code_cell(src, metadata=meta))
    return cells
