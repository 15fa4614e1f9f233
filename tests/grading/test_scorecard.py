"""The scorecard: hints logged before the card cost the credit they prompted; the truth stays on the
interviewer's side; a bad hint log is one clear line."""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest

import data_generators as dg
from grading.answers import reference_card
from grading.grader import GradeResult
from grading.rubric import load_rubric
from grading.rubric_points import item_points
from grading.score import score_card
from grading.scorecard import HintLogError, build, render_html, write_scorecard

COMMITTED = "2026-11-26T10:10:00+00:00"


@pytest.fixture(scope="module")
def graded():
    from grading.measured import attach
    # the outcomes measured once for the run (tests/conftest.py shared_measurements), as at folder creation
    # (the variant test_grader and test_robustness grade with real nbgrader)
    v = attach(dg.build_variant("saas_churn", 4, n_offline=3000, n_production=3000))
    truth = v.truth.to_dict()
    card = reference_card(truth, brief=v.brief)
    sc = score_card(card, truth, brief=v.brief, known_columns=v.schema["features"], points=item_points("saas_churn"))
    result = GradeResult("/tmp/cand-x", "saas_churn", "graded", sc.total, sc.max, [asdict(i) for i in sc.items],
                         list(sc.flags), "", card, {"committed_at": COMMITTED}, sc.discrimination)
    return result, truth


def test_full_marks_without_hints(graded):
    """With no hint logged, does the reference card's scorecard total 100 with nothing prompted?"""
    result, truth = graded
    card = build(result, truth=truth)
    assert card["total"]["total"] == pytest.approx(100)
    assert not any(i["prompted_by_hint"] for i in card["items"]) and card["hint_level_before_card"] == 0


def test_a_hint_before_the_card_marks_and_discounts_what_it_prompted(graded):
    """Does hint 2 logged before the commit mark exactly the ladder's prompted items, at the
    formula's prompted_credit, while a hint logged after the commit changes nothing?"""
    result, truth = graded
    rubric = load_rubric("saas_churn")
    before = build(result, hints=[{"at": "2026-11-26T10:05:00+00:00", "level": 2}], truth=truth)
    prompted = set(rubric.prompted_items(2))
    assert prompted and {i["id"] for i in before["items"] if i["prompted_by_hint"]} == prompted
    lost = sum(rubric.formula.item_weights[i.id] * i.points for i in rubric.items if i.id in prompted)
    possible = sum(rubric.formula.item_weights[i.id] * i.points for i in rubric.items)
    expected = 100 * (possible - (1 - rubric.formula.prompted_credit) * lost) / possible
    assert before["total"]["total"] == pytest.approx(expected, abs=0.05) and expected < 100
    after = build(result, hints=[{"at": "2026-11-26T10:20:00+00:00", "level": 3}], truth=truth)
    assert after["total"]["total"] == pytest.approx(100) and after["hints"][0]["before_card"] is False
    html = render_html(before)
    assert "after hint 2" in html and rubric.ladder(truth["family"])[1].text in html


@pytest.mark.parametrize("hints, match", [
    ([{"level": 1}], '"at" as an ISO time'),
    ([{"at": "yesterday", "level": 1}], '"at" as an ISO time'),
    ([{"at": COMMITTED, "level": 7}], '"level" must be an integer from 1 to 3'),
    ([{"at": COMMITTED, "level": True}], '"level" must be an integer from 1 to 3'),
])
def test_a_bad_hint_log_is_refused_and_nothing_is_written(graded, tmp_path, hints, match):
    """Does a malformed hint raise one clear line, with no scorecard half-written?"""
    result, _ = graded
    with pytest.raises(HintLogError, match=match):
        write_scorecard(result, tmp_path / "cards", hints=hints)
    assert not list((tmp_path / "cards").glob("*")) if (tmp_path / "cards").exists() else True


def test_the_scorecard_shows_what_was_planted_for_the_interviewer(graded, tmp_path):
    """Does the written scorecard name the planted family and culprit, and every manual dimension?"""
    result, truth = graded
    html, js = write_scorecard(result, tmp_path, truth=truth)
    text = html.read_text()
    assert truth["family"] in text and all(c in text for c in truth["culprits"])
    data = json.loads(js.read_text())
    assert data["planted"]["family"] == truth["family"]
    assert len(data["manual_dimensions"]) == len(load_rubric("saas_churn").dimensions)
    assert text.count("not rated yet") == len(data["manual_dimensions"])


def test_one_total_everywhere_on_the_command_line_in_json_and_in_html(graded, tmp_path, monkeypatch, capsys):
    """With hint 2 before the card, do `livescreen grade` (text and --json), the scorecard JSON and its HTML
    show the same total out of 100 and the same per-item points after the hint?"""
    import grading.grader
    from livescreen.cli import main
    result, truth = graded
    monkeypatch.setattr(grading.grader, "grade_many", lambda paths, truth, jobs=1: [result])
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    (tmp_path / "hints.json").write_text(json.dumps([{"at": "2026-11-26T10:05:00+00:00", "level": 2}]))
    args = ["grade", "/tmp/cand-x", "--truth", str(tmp_path / "truth.json"), "--hints", str(tmp_path / "hints.json")]
    assert main(args + ["--scorecards", str(tmp_path / "cards")]) == 0
    text = capsys.readouterr().out
    assert main(args + ["--json"]) == 0
    js = json.loads(capsys.readouterr().out)[0]
    card = json.loads((tmp_path / "cards" / "cand-x.scorecard.json").read_text())
    html = (tmp_path / "cards" / "cand-x.scorecard.html").read_text()
    total = card["total"]["total"]
    assert total < 100 and js["total"] == total and js["max"] == 100
    assert f"{total:g}/100" in text and f"{total:g} / 100" in html
    prompted = set(load_rubric("saas_churn").prompted_items(2))
    for i, j in zip(card["items"], js["items"]):
        assert i["points"] == j["points"] == (i["earned"] / 2 if i["id"] in prompted else i["earned"])
        assert f"{i['points']:g} / {i['max']:g}" in html
    assert js["autograded"]["points"] == card["autograded_after_hints"] == sum(i["points"] for i in card["items"])
