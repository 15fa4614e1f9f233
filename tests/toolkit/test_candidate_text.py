"""What the candidate reads: neutral wording everywhere, and money exactly as the case gives it.

Every shipped scenario is built small (1,000 + 1,000 rows, seed 0): its ``schema.json``, its
released notebook and the toolkit's candidate-visible text (module and function docstrings, the
strings in its source) are scanned for words that tell the candidate the exercise is rigged or
push them towards a false alarm.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

import data_generators as dg
import livescreen.toolkit
from livescreen.notebooks import REPO
from livescreen.toolkit import Case, report, style

SCENARIOS = dg.list_scenarios()
TOOLKIT = Path(livescreen.toolkit.__file__).parent
# words that say the data was rigged, or that something must be broken
LOADED = ("planted", "plant ", "culprit", "decoy", "rigged", "something is wrong", "the bug", "trick to spot",
          "ground truth", "answer key")


@pytest.fixture(scope="module")
def small_cases():
    cache = {}

    def get(name):
        if name not in cache:
            v = dg.build_variant(name, 0, n_offline=1000, n_production=1000)
            cache[name] = Case.from_frames(offline=v.offline, production=v.production, recomputed=v.recomputed,
                                           metadata=v.metadata())
        return cache[name]
    return get


def _loaded(text: str) -> list[str]:
    low = text.lower()
    return [w for w in LOADED if w in low]


def _toolkit_strings():
    for path in sorted(TOOLKIT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path.name, node.value


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_released_notebook_and_schema_are_neutral(name, small_cases):
    """Do the released notebook and the case's schema.json avoid words that say the data was rigged?"""
    nb = nbformat.read(REPO / "exercises" / name / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert _loaded(text) == [], (name, _loaded(text))
    assert "The team is worried about this model" in text
    meta = json.dumps(small_cases(name).metadata)
    assert _loaded(meta) == [], (name, _loaded(meta))


def test_the_toolkit_says_nothing_loaded():
    """Do the toolkit's messages and docstrings (all it can show a candidate) avoid those words?"""
    found = [(f, w) for f, s in _toolkit_strings() for w in _loaded(s)]
    assert found == []


def test_the_scan_catches_a_loaded_word():
    """Would the scan see 'planted' in a message?"""
    assert _loaded("Does the card name the failure family that was planted?") == ["planted"]


def _shown_amounts(text: str, currency: str) -> list[float]:
    return [float(m.replace(",", "")) for m in re.findall(rf"([\d,]+(?:\.\d+)?) {re.escape(currency)}", text)]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_brief_shows_costs_exactly(name, small_cases):
    """Does the brief show each cost exactly as schema.json gives it (0.60 USD, not 1 USD), so the cost
    ratio a candidate reasons from is the case's?"""
    case = small_cases(name)
    text = report.brief_markdown(case)
    brief = case.metadata["brief"]
    for key in ("cost_false_positive", "cost_false_negative"):
        amount = float(brief[key]["amount"])
        line = next(line for line in text.splitlines() if ("false positive" if "positive" in key else "false negative")
                    in line.lower() and "cost" in line.lower())
        shown = _shown_amounts(line, case.currency)
        assert shown and shown[0] == amount, (name, key, amount, line)
    fp, fn = _shown_amounts(text, case.currency)[:2]
    assert fn / fp == pytest.approx(case.cost_fn / case.cost_fp)


@pytest.mark.parametrize("value, text", [(0.6, "0.60 USD"), (4.5, "4.50 USD"), (0.004, "0.004 USD"), (0.02, "0.02 USD"),
                                         (1.8, "1.80 USD"), (7.5, "7.50 USD"), (125, "125 USD"), (12345.0, "12,345 USD"),
                                         (0.6 * 3, "1.80 USD")])
def test_money_keeps_the_precision_it_has(value, text):
    """Is an amount shown with every decimal it has, and at least two when it has any?"""
    assert style.money(value, "USD") == text
