"""The notebook helpers: committing, checking and running the first experiment."""
from __future__ import annotations

import pytest

from livescreen.toolkit import CardError, committed_card
from livescreen.toolkit import notebook as ls


def test_run_first_experiment_refuses_until_committed(tmp_path, fresh_case, capsys):
    """Does running refuse before a card is committed, and run the committed card's experiment after?"""
    case = fresh_case(tmp_path)
    assert ls.run_first_experiment(case.folder) is None
    assert "No first-experiment card is committed yet" in capsys.readouterr().out
    col = case.categorical[0]
    card = {"hypothesis": {"family": "slice_failure", "segment": {col: str(case.offline[col].cat.categories[0])}},
            "evidence": "e", "experiment": {"type": "segment_metrics", "column": col},
            "expected_if_true": "t", "expected_if_false": "f", "decision": "d"}
    assert ls.commit(None, ls.card_form(case), case=case) is None, "an empty form commits nothing"
    assert "Not committed" in capsys.readouterr().out
    record = ls.commit(card, case=case)
    assert record["first"] and committed_card(case.folder)["card"]["experiment"]["column"] == col
    ls.check_complete(record)
    result = ls.run_first_experiment(case)
    assert result.type == "segment_metrics"
    later = ls.commit({**card, "experiment": {"type": "recalibrate"}}, case=case)
    assert not later["first"]
    assert ls.run_first_experiment(case.folder).type == "segment_metrics", "the first card is the one that runs"


def test_check_complete_without_a_card():
    """Does the grade cell's check fail with a clear message when nothing was committed?"""
    with pytest.raises(CardError, match="no card is committed"):
        ls.check_complete(None)


def test_free_text_experiment_is_not_run(tmp_path, fresh_case, capsys):
    """Is a committed free-text experiment refused by the runner with a clear message?"""
    case = fresh_case(tmp_path)
    card = {"hypothesis": {"family": "label_delay"}, "evidence": "e",
            "experiment": "Ask when labels arrive.", "expected_if_true": "t", "expected_if_false": "f",
            "decision": "d"}
    ls.commit(card, case=case)
    assert ls.run_first_experiment(case) is None
    assert "free text" in capsys.readouterr().out
