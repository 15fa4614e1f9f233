"""The first-experiment card: its check, its form, and committing it."""
from __future__ import annotations

import copy
import json

import pytest

from livescreen.toolkit import CardError, card_form, check_card, commit_card, committed_card
from livescreen.toolkit.card import (DRAFT_FILE, HISTORY_FILE, card_history, card_to_python, draft_card, empty_card,
                                     families, missing, save_draft)
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


def test_families_agree_with_the_engine(cases):
    """Does a case carry the engine's card vocabulary (read as is), and is the fallback for a folder
    written before it the same set of names?"""
    from data_generators import registry
    assert families(cases["saas_churn"]) == registry.card_vocabulary()
    assert {f["name"] for f in families()} == {f["name"] for f in registry.card_vocabulary()}


def test_the_family_list_comes_from_the_case(cases):
    """When schema.json carries the card's vocabulary, do the check and the form use exactly it?"""
    import copy
    case = cases["saas_churn"]
    other = copy.copy(case)
    other.metadata = {**case.metadata, "card": {"families": [{"name": "alpha_failure", "help": "an alpha"},
                                                             {"name": "no_failure", "help": "nothing"}]}}
    assert [f["name"] for f in families(other)] == ["alpha_failure", "no_failure"]
    check_card(a_card(case, hypothesis={"family": "alpha_failure"}), case=other)
    with pytest.raises(CardError, match="one of: alpha_failure, no_failure") as e:
        check_card(a_card(case), case=other)
    assert e.value.field == "hypothesis.family"
    form = card_form(other)
    assert [o[1] for o in form.fields["family"].options] == ["", "alpha_failure", "no_failure"]
    assert "alpha_failure: an alpha" in [o[0] for o in form.fields["family"].options]


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
    assert {o[1] for o in form.fields["family"].options} == {""} | {f["name"] for f in families(case)}
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


@pytest.mark.parametrize("change, field", [
    ({"hypothesis": {"family": "the model is underfitting"}}, "hypothesis.family"),
    ({"hypothesis": {"family": ""}}, "hypothesis.family"),
    ({"hypothesis": {"family": "covariate_shift", "columns": ["nope"]}}, "hypothesis.columns"),
    ({"experiment": {"type": "magic"}}, "experiment"),
    ({"decision": ""}, "decision"),
])
def test_every_refusal_names_the_field_to_change(cases, change, field):
    """Does each refusal say which field to change?"""
    case = cases["saas_churn"]
    with pytest.raises(CardError) as e:
        check_card(a_card(case, **change), case=case)
    assert e.value.field == field


def test_a_refused_card_is_kept_as_a_draft(tmp_path, cases):
    """Is a card refused at commit kept, as written, in the draft with the reason and the field?"""
    case = cases["saas_churn"]
    card = a_card(case, hypothesis={"family": "the model is underfitting", "columns": [case.features[0]]})
    with pytest.raises(CardError, match=r"hypothesis\.family must be one of"):
        commit_card(card, tmp_path, case=case)
    assert committed_card(tmp_path) is None
    draft = draft_card(tmp_path)
    assert draft["card"] == card and draft["field"] == "hypothesis.family" and "must be one of" in draft["refused"]
    assert set(p.name for p in tmp_path.iterdir()) == {DRAFT_FILE}


def test_an_unfilled_card_does_not_replace_a_draft(tmp_path, cases):
    """Does saving an empty card leave the last real draft in place?"""
    case = cases["saas_churn"]
    save_draft(a_card(case), tmp_path)
    assert save_draft(empty_card(), tmp_path) is None
    assert draft_card(tmp_path)["card"] == a_card(case)


def test_missing_lists_every_empty_field_at_once(cases):
    """Does the check cell's list name every field still empty, and nothing for a complete card?"""
    case = cases["saas_churn"]
    gaps = missing(empty_card(), case=case)
    assert len(gaps) == 6 and gaps[0].startswith("hypothesis.family") and gaps[-1] == "decision"
    assert missing(a_card(case), case=case) == []
    assert "unknown column 'nope'" in missing(a_card(case, hypothesis={"family": "covariate_shift",
                                                                        "columns": ["nope"]}), case=case)[0]


def test_the_form_commit_button(tmp_path, fresh_case):
    """Does the form's one Commit button refuse visibly (naming the field, keeping a draft) and then commit?"""
    case = fresh_case(tmp_path)
    form = card_form(case)
    form.value = a_card(case, decision="")
    assert form.commit() is None
    assert "Not committed" in form.status.value and "decision" in form.status.value
    assert form.fields["decision"].layout.border, "the field to change is outlined"
    assert draft_card(case.folder)["field"] == "decision" and committed_card(case.folder) is None
    form.fields["decision"].value = "reweight if true"
    form.commit_button.click()
    assert "Committed at" in form.status.value and committed_card(case.folder)["card"]["decision"] == "reweight if true"
    assert not form.fields["decision"].layout.border


def test_the_form_keeps_its_card_as_a_draft(tmp_path, fresh_case):
    """Is a card filled in the form kept as a draft without any commit?"""
    case = fresh_case(tmp_path)
    form = card_form(case)
    form.fields["family"].value = "prior_shift"
    assert draft_card(case.folder)["card"]["hypothesis"]["family"] == "prior_shift"
    assert draft_card(case.folder)["source"] == "form"


def test_the_grader_scores_a_refused_draft(tmp_path, small_variant_factory):
    """Is a card refused for a free-text family scored from the draft, the family matched as the rubric
    promises, and flagged as not committed?

    On make test's one measured variant (saas_churn seed 4, prior_shift, 3,000 rows a side: see
    tests/grading/conftest.py GRADED), whose outcomes the run measures once for every test."""
    from grading.autograde import load_card
    from grading.measured import attach, case_of
    from grading.score import score_card
    v = small_variant_factory("saas_churn", 4, family="prior_shift", n_offline=3000, n_production=3000)
    truth = attach(copy.copy(v)).truth.to_dict()  # the session-cached variant keeps its truth
    case = case_of(v)
    card = a_card(case, hypothesis={"family": "the base rate of churn changed in production", "columns": []},
                  experiment={"type": "reweight_for_prior"})
    with pytest.raises(CardError):
        commit_card(card, tmp_path, case=case)
    graded, info = load_card(tmp_path, None)
    assert graded == card and info["source"] == "draft" and info["refused"]
    sc = score_card(graded, truth, brief=case.brief, known_columns=case.columns)
    assert "free_text_interpreted" in sc.flags
    assert sc.item("family").points == sc.item("family").max, sc.item("family")
