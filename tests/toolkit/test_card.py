"""The first-experiment card: its check, its form, and committing it."""
from __future__ import annotations

import json

import pytest

from livescreen.toolkit import FAMILIES, CardError, card_form, check_card, commit_card, committed_card
from livescreen.toolkit.card import HISTORY_FILE, card_history, card_to_python, empty_card
from livescreen.toolkit.experiments import EXPERIMENT_TYPES


def a_card(case, **changes):
    col = case.features[0]
    card = {"hypothesis": {"family": "covariate_shift", "columns": [col]},
            "evidence": f"{col} has the largest PSI.",
            "experiment": {"type": "domain_classifier"},
            "expected_if_true": f"the domain classifier finds {col} first",
            "expected_if_false": "domain AUC near 0.5",
            "decision": "reweight if true; look at labels if false"}
    card.update(changes)
    return card


def test_families_agree_with_the_engine():
    """Is the toolkit's family vocabulary the engine's?"""
    from data_generators.scenario import PLANTABLE as ENGINE
    assert FAMILIES == ENGINE


def test_a_complete_card_passes_and_is_normalised(cases):
    """Does a complete card pass, with segment and onset filled in as None when absent?"""
    case = cases["saas_churn"]
    card = check_card(a_card(case), case=case)
    assert card["hypothesis"]["segment"] is None and card["hypothesis"]["onset"] is None
    assert card["experiment"] == {"type": "domain_classifier"}
    free = check_card(a_card(case, experiment="Ask the data team when the column is recorded."))
    assert isinstance(free["experiment"], str)


@pytest.mark.parametrize("change, pattern", [
    ({"hypothesis": {"family": "something_else"}}, r"hypothesis\.family must be one of"),
    ({"hypothesis": {"family": "covariate_shift", "columns": ["nope"]}}, r"unknown column 'nope'"),
    ({"hypothesis": {"family": "slice_failure", "segment": "region=3"}}, r"segment must be a dict"),
    ({"hypothesis": {"family": "concept_drift", "onset": "soon"}}, r"onset must be a date"),
    ({"evidence": "  "}, r"evidence must be a non-empty text"),
    ({"experiment": {"type": "magic"}}, r"unknown experiment type 'magic'"),
    ({"experiment": {"type": "segment_metrics"}}, r"segment_metrics needs 'column'"),
    ({"experiment": {"type": "recalibrate", "bins": 3}}, r"recalibrate has no parameter 'bins'"),
    ({"experiment": 3}, r"experiment must be a dict"),
    ({"decision": None}, r"decision must be a non-empty text"),
    ({"extra": 1}, r"unknown key 'extra'"),
])
def test_incomplete_cards_fail_in_one_line(cases, change, pattern):
    """Is each kind of incomplete card refused with a one-line error that says what to fix?"""
    case = cases["saas_churn"]
    with pytest.raises(CardError, match=pattern) as e:
        check_card(a_card(case, **change), case=case)
    assert "\n" not in str(e.value)


def test_missing_key_and_empty_card():
    """Are a missing key and the empty template refused?"""
    with pytest.raises(CardError, match="needs 'decision'"):
        check_card({k: v for k, v in empty_card().items() if k != "decision"})
    with pytest.raises(CardError):
        check_card(empty_card())


def test_form_produces_the_same_dict(cases):
    """Does the widget form, filled with a card, give back exactly the plain dict?"""
    case = cases["telecom_churn"]
    seg_col = case.categorical[0]
    level = str(case.offline[seg_col].cat.categories[0])
    card = check_card(a_card(case, hypothesis={"family": "slice_failure", "columns": [case.features[1]],
                                               "segment": {seg_col: level}, "onset": "2026-01-05"},
                             experiment={"type": "segment_metrics", "column": seg_col}), case=case)
    form = card_form(case, card=card)
    assert check_card(form.value, case=case) == card
    form.fields["decision"].value = "Something else."
    assert form.value["decision"] == "Something else."
    assert {o[1] for o in form.fields["family"].options} == {""} | set(FAMILIES)
    assert {o[1] for o in form.fields["experiment_type"].options} >= set(EXPERIMENT_TYPES)
    ns = {}
    exec(card_to_python(card), ns)
    assert ns["FIRST_EXPERIMENT"] == card


def test_form_fields_by_hand(cases):
    """Does filling the form field by field give a complete card with the experiment's parameters?"""
    case = cases["saas_churn"]
    form = card_form(case)
    f = form.fields
    f["family"].value = "target_leakage"
    f["columns"].value = (case.features[2],)
    f["evidence"].value = "Top importance offline, none in production."
    f["experiment_type"].value = "drop_columns_retrain"
    f["experiment_columns"].value = (case.features[2],)
    f["expected_if_true"].value = "gap closes"
    f["expected_if_false"].value = "gap stays"
    f["decision"].value = "drop it"
    card = check_card(form.value, case=case)
    assert card["experiment"] == {"type": "drop_columns_retrain", "columns": [case.features[2]]}
    f["experiment_type"].value = "compare_profiles_before_after"
    f["experiment_columns"].value = ()
    f["experiment_params"].value = "onset=2026-01-05"
    assert check_card(form.value, case=case)["experiment"] == {"type": "compare_profiles_before_after",
                                                               "onset": "2026-01-05"}


def test_commit_never_overwrites_the_first(tmp_path, cases):
    """Is the first committed card kept, with its UTC timestamp, while later ones go to the history?"""
    case = cases["saas_churn"]
    first = commit_card(a_card(case), tmp_path, case=case)
    assert first["first"] and first["committed_at"].endswith("+00:00")
    second = commit_card(a_card(case, decision="A different decision."), tmp_path, case=case)
    assert not second["first"]
    kept = committed_card(tmp_path)
    assert kept["card"]["decision"] == first["card"]["decision"]
    assert kept["committed_at"] == first["committed_at"]
    history = card_history(tmp_path)
    assert [h["first"] for h in history] == [True, False]
    assert json.loads((tmp_path / HISTORY_FILE).read_text().splitlines()[1])["card"]["decision"] == "A different decision."


def test_commit_refuses_incomplete_and_stores_nothing(tmp_path, cases):
    """Is an incomplete card refused without writing a file?"""
    with pytest.raises(CardError):
        commit_card(empty_card(), tmp_path)
    assert committed_card(tmp_path) is None and list(tmp_path.iterdir()) == []
