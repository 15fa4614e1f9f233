"""What the toolkit may know: a candidate folder, never what was put into it."""
from __future__ import annotations

import ast
from pathlib import Path

import livescreen.toolkit

TOOLKIT = Path(livescreen.toolkit.__file__).parent
ALLOWED_ENGINE = {"data_generators.model", "data_generators.evaluation"}
WORDS = ("culprit", "truth", "planted", "decoy", "seed")


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mod = node.module or ""
            if mod == "data_generators":
                yield from (f"data_generators.{a.name}" for a in node.names)
            else:
                yield mod


def test_toolkit_imports_only_measuring_code_from_the_engine():
    """Does the toolkit import nothing from the engine but the model recipe and the measures, and nothing from grading?"""
    for path in TOOLKIT.glob("*.py"):
        for mod in _imports(path):
            assert not mod.startswith("grading"), f"{path.name} imports {mod}"
            if mod.startswith("data_generators"):
                assert mod in ALLOWED_ENGINE, f"{path.name} imports {mod}"


def test_no_word_about_the_answer_in_the_toolkit():
    """Do the toolkit's source, docstrings and messages avoid words about what was put into the data?"""
    for path in TOOLKIT.glob("*.py"):
        text = path.read_text().lower()
        for word in WORDS:
            assert word not in text, f"{path.name} mentions {word!r}"
