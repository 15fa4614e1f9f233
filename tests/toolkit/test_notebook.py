"""The notebook helpers: the check cell, committing, and running the first experiment."""
from __future__ import annotations

from livescreen.toolkit import committed_card
from livescreen.toolkit import notebook as ls
from livescreen.toolkit.card import draft_card


def a_card(case):
    col = case.categorical[0]
    return {"hypothesis": {"family": "slice_failure", "segment": {col: str(case.offline[col].cat.categories[0])}},
            "evidence": "e", "experiment": {"type": "segment_metrics", "column": col},
            "expected_if_true": "t", "expected_if_false": "f", "decision": "d"}


def test_run_first_experiment_refuses_until_committed(tmp_path, fresh_case, capsys):
    """Does running say so (without raising) before a card is committed, and run the committed card's after?"""
    case = fresh_case(tmp_path)
    assert ls.run_first_experiment(case.folder) is None
    assert "No card is committed yet" in capsys.readouterr().out
    assert ls.commit(None, form=ls.card_form(case), case=case) is None, "an empty form commits nothing"
    assert "Not committed" in capsys.readouterr().out
    card = a_card(case)
    record = ls.commit(card, case=case)
    assert record["first"] and committed_card(case.folder)["card"]["experiment"]["column"] == card["experiment"]["column"]
    assert "it is the one that counts" in capsys.readouterr().out
    result = ls.run_first_experiment(case)
    assert result.type == "segment_metrics"
    later = ls.commit({**card, "experiment": {"type": "recalibrate"}}, case=case)
    assert not later["first"]
    assert ls.run_first_experiment(case.folder).type == "segment_metrics", "the first card is the one that runs"


def test_the_check_cell_says_what_is_missing_and_never_raises(tmp_path, fresh_case, capsys):
    """Does the check cell list what an unfilled card lacks, keep a filled one as a draft, and raise nothing?"""
    case = fresh_case(tmp_path)
    assert ls.check_card(ls.blank_card(), case=case) is None
    out = capsys.readouterr().out
    assert out.startswith("No card yet") and "hypothesis.family" in out and "\n" == out[-1] and out.count("\n") == 1
    half = {**ls.blank_card(), "hypothesis": {"family": "prior_shift"}, "evidence": "the rate moved"}
    ls.check_card(half, case=case)
    assert capsys.readouterr().out.startswith("Still to fill in: experiment")
    assert draft_card(case.folder)["card"] == half
    assert committed_card(case.folder) is None, "checking never commits"
    ls.check_card(a_card(case), case=case)
    assert "The card is complete" in capsys.readouterr().out.splitlines()[-1]


def test_a_refused_commit_names_the_field_and_keeps_the_draft(tmp_path, fresh_case, capsys):
    """Is a card naming a family in free text refused in one visible line naming the field, and kept?"""
    case = fresh_case(tmp_path)
    card = {**a_card(case), "hypothesis": {"family": "the model is underfitting"}}
    assert ls.commit(card, case=case) is None
    out = capsys.readouterr().out
    assert out.startswith("Not committed: hypothesis.family must be one of") and "Change hypothesis.family" in out
    assert draft_card(case.folder)["card"] == card and draft_card(case.folder)["refused"]


def test_free_text_experiment_is_not_run(tmp_path, fresh_case, capsys):
    """Is a committed free-text experiment refused by the runner with a clear message?"""
    case = fresh_case(tmp_path)
    card = {"hypothesis": {"family": "label_delay"}, "evidence": "e",
            "experiment": "Ask when labels arrive.", "expected_if_true": "t", "expected_if_false": "f",
            "decision": "d"}
    ls.commit(card, case=case)
    assert ls.run_first_experiment(case) is None
    assert "free text" in capsys.readouterr().out
