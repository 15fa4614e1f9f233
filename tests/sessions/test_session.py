"""Sessions on the interviewer's side: the secret seed, the first card, hints, ratings, close, purge."""
from __future__ import annotations

import json
import os
import stat

import pytest

from data_generators import load_scenario

from livescreen.cli import main
from livescreen.sessions import session as S
from livescreen.sessions import store

from .conftest import ROWS, card_for


@pytest.fixture
def made(home, tmp_path):
    out = S.new_session(scenario="saas_churn", candidate="ATS-4711", interviewers=["ana", "bo"],
                        out=tmp_path / "cand", home=home, **ROWS)
    return out, tmp_path / "cand"


def test_new_session_keeps_the_seed_and_truth_on_the_interviewer_side(made, home, capsys):
    """Is the seed 63 random bits kept only in the store, with nothing of the truth in the candidate folder?"""
    out, folder = made
    row = S.get(out["id"], home=home)
    assert 0 <= row["seed"] < 2 ** 63 and row["seed"] > 2 ** 20  # drawn, not a small hand-picked number
    assert "seed" not in out and "truth" not in out
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert str(row["seed"]).encode() not in blob
    family = row["truth"]["family"]  # drawn by the secret seed from the scenario's pool
    assert family in load_scenario("saas_churn").pool and f'"family": "{family}"'.encode() not in blob
    assert not list(folder.rglob("truth*"))
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / S.SERVICE_FILE).st_mode) == 0o600
    again = S.new_session(scenario="saas_churn", candidate="ATS-4711", out=folder.parent / "cand2", home=home, **ROWS)
    assert S.get(again["id"], home=home)["seed"] != row["seed"], "the seed is not derived from the candidate id"


def test_phases_default_and_a_scenario_may_set_its_own(monkeypatch):
    """Are the phases 3/12/5/5 minutes by default, and does a scenario's session.phases override them?"""
    assert S.phase_plan("saas_churn") == [["brief", 3], ["explore", 12], ["card", 5], ["discussion", 5]]
    import data_generators
    real = data_generators.load_scenario

    class Fake:
        spec = {"session": {"phases": {"explore": 10}}}
    monkeypatch.setattr(data_generators, "load_scenario", lambda name: Fake if name == "x" else real(name))
    assert S.phase_plan("x")[1] == ["explore", 10]
    Fake.spec = {"session": {"phases": {"card": 0}}}
    with pytest.raises(S.SessionError, match="session.phases.card must be minutes"):
        S.phase_plan("x")


def test_the_first_card_is_never_replaced_and_early_experiments_are_marked(made, home):
    """Does the service keep the first card, mark an experiment run before it, and survive a restart?"""
    out, folder = made
    sid = out["id"]
    row = S.get(sid, home=home)
    S.start_session(sid, home=home)
    early = S.record_event(sid, "experiment", {"type": "tune_hyperparameters"}, home=home)
    assert early["data"]["before_card"] is True
    card = card_for(row["truth"])
    first = S.record_card(sid, card, home=home)
    assert first["first"] is True
    other = dict(card, decision="If anything moves, ship the model as it is today without looking further.")
    second = S.record_card(sid, other, home=home)
    assert second["first"] is False and second["first_committed_at"] == first["committed_at"]
    late = S.record_event(sid, "experiment", {"type": "drop_columns_retrain"}, home=home)
    assert late["data"]["before_card"] is False
    store.dispose()  # a restart of every process: only the database remains
    row = S.get(sid, home=home)
    assert row["card"]["decision"] == card["decision"]
    kinds = [e["kind"] for e in S.timeline(sid, home=home)]
    assert kinds == ["start", "experiment", "card", "card", "experiment"]
    with pytest.raises(S.SessionError, match="unknown event kind"):
        S.record_event(sid, "hint", {}, home=home)  # a candidate cannot log a hint


def test_ratings_stay_hidden_until_you_submit_yours(made, home):
    """Does an interviewer see the others' ratings only after submitting their own?"""
    sid = made[0]["id"]
    S.rate(sid, rater="ana", levels=dict.fromkeys(_dims(), 4), home=home)
    seen = S.ratings_for(sid, viewer="bo", home=home)
    assert not seen["visible"] and seen["ratings"] == [] and seen["raters"] == ["ana"]
    S.rate(sid, rater="bo", levels={**dict.fromkeys(_dims(), 2), _dims()[0]: None}, home=home)
    seen = S.ratings_for(sid, viewer="bo", home=home)
    assert seen["visible"] and {r["rater"] for r in seen["ratings"]} == {"ana", "bo"}
    with pytest.raises(S.SessionError, match="is not a level"):
        S.rate(sid, rater="cy", levels=dict.fromkeys(_dims(), 6), home=home)


def _dims():
    from grading.rubric import load_rubric
    return load_rubric("saas_churn").dimension_ids


def test_close_writes_one_total_with_hints_ratings_and_time_to_card(made, home):
    """Does the scorecard at close combine the card, a hint before it and two raters by the formula?"""
    from grading.rubric import load_rubric
    sid = made[0]["id"]
    row = S.get(sid, home=home)
    S.start_session(sid, home=home)
    S.add_hint(sid, 2, by="ana", home=home)
    brief = json.loads((made[1] / "schema.json").read_text())["brief"]
    S.record_card(sid, card_for(row["truth"], brief), home=home)
    S.rate(sid, rater="ana", levels=dict.fromkeys(_dims(), 5), home=home)
    S.rate(sid, rater="bo", levels=dict.fromkeys(_dims(), 3), home=home)
    out = S.close(sid, home=home)
    card = json.loads(open(out["paths"]["json"]).read())
    rubric = load_rubric("saas_churn")
    prompted = set(rubric.prompted_items(2))
    assert {i["id"] for i in card["items"] if i["prompted_by_hint"]} == prompted
    assert card["autograded_total"] == card["autograded_max"] == 70, card["items"]
    assert all(i["points"] == pytest.approx(i["earned"] * (0.5 if i["id"] in prompted else 1)) for i in card["items"])
    # items after hints: 70 - half of the prompted items; manual: mean level 4 -> 3 steps x 1.5 x 5 dimensions
    lost = sum(rubric.item(i).points for i in prompted) / 2
    expected = 100 * (70 - lost + 1.5 * 3 * 5) / 100
    assert card["total"]["total"] == pytest.approx(expected, abs=0.01) == out["total"]
    assert card["seconds_to_card"] is not None and card["seconds_to_card"] >= 0
    assert card["candidate"] == "ATS-4711" and card["planted"]["family"] in load_scenario("saas_churn").pool
    csv_text = open(out["paths"]["csv"]).read().splitlines()
    from grading.scorecard import csv_columns
    assert csv_text[0].split(",") == csv_columns() and "ATS-4711" in csv_text[1]
    html = open(out["paths"]["html"]).read()
    assert f"{expected:g} / 100" in html or f"{round(expected, 2):g} / 100" in html
    with pytest.raises(S.SessionError, match="is closed"):
        S.record_event(sid, "cell", {"label": "x"}, home=home)


def test_purge_refuses_open_sessions_and_leaves_an_audit_line_without_personal_data(made, home, tmp_path):
    """Does purge delete a closed session's folder, events and scorecards, keep open ones, and audit anonymously?"""
    out, folder = made
    sid = out["id"]
    with pytest.raises(S.SessionError, match="is open: close it first"):
        S.purge(older_than_days=0, session_id=sid, home=home)
    S.record_event(sid, "cell", {"label": "ls.start('.')"}, home=home)
    S.close(sid, home=home)
    other = S.new_session(scenario="saas_churn", candidate="ATS-open", out=tmp_path / "c3", home=home, **ROWS)
    res = S.purge(older_than_days=0, home=home)
    assert res["purged"] == [sid]
    assert not folder.exists() and not (home / "sessions" / sid).exists()
    assert S.timeline(sid, home=home) == []
    with pytest.raises(S.SessionError):
        S.get(sid, home=home)
    assert S.get(other["id"], home=home)["status"] == "open"
    log = S.audit_log(home=home)
    assert len(log) == 1 and sid in log[0]["detail"] and "ATS-4711" not in json.dumps(log)


def test_the_session_commands_run_a_session_and_bad_input_is_one_line(home, tmp_path, capsys):
    """Do `livescreen session new|hint|rate|close|scorecard` work, and does a bad level exit 2 with one line?"""
    assert main(["session", "new", "--scenario", "saas_churn", "--candidate", "ATS-9", "--out",
                 str(tmp_path / "c"), "--start", "--n-offline", "3000", "--n-production", "3000"]) == 0
    out = capsys.readouterr().out
    sid = out.split()[1]
    assert "seed" not in out.lower()
    assert main(["session", "hint", sid, "1", "--by", "ana"]) == 0
    assert main(["session", "rate", sid, "--rater", "ana", "4", "4", "3", "none", "2"]) == 0
    assert main(["session", "rate", sid, "--rater", "ana", "4", "9", "3", "3", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a level" in err[0]
    assert main(["session", "hint", sid, "7"]) == 2
    assert main(["session", "show", "s-nope"]) == 2
    assert main(["session", "close", sid]) == 0
    capsys.readouterr()
    assert main(["session", "scorecard", sid, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("session_id,candidate,scenario,status,total") and sid in lines[1]
    assert main(["session", "purge", "--older-than", "soon"]) == 2


def test_the_interviewer_guides_are_generated_from_the_scenario_and_rubric(tmp_path):
    """Is every shipped guide in docs/interviewer up to date, with the phases, the ladder and each family's examples?"""
    from pathlib import Path

    from data_generators import list_scenarios
    from grading.rubric import load_rubric
    from livescreen.sessions.guide import families_of, guide
    docs = Path(__file__).resolve().parents[2] / "docs" / "interviewer"
    for name in list_scenarios():
        text = guide(name)
        assert (docs / f"{name}.md").read_text() == text, f"rebuild with `livescreen guide` ({name})"
        rubric = load_rubric(name)
        assert all(h.text in text for f in families_of(name) for h in rubric.ladder(f))
        assert all(f"### {p}" in text for p, _ in S.phase_plan(name))
        for fam in families_of(name):
            example = rubric.dimensions[0].level(5).examples.get(fam)  # manual.yaml has none for the control
            assert f"### {fam}" in text and (example is None or example in text)


def test_the_phase_timer_counts_down_and_nudges_on_overrun():
    """Does the timer give the minutes left in the phase, and a nudge naming the next phase once it overran?"""
    from datetime import datetime, timedelta, timezone
    t0 = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    row = {"status": "open", "phases": [["brief", 3], ["explore", 12], ["card", 5], ["discussion", 5]],
           "started_at": t0, "phase": "explore", "phase_started_at": t0 + timedelta(minutes=3)}
    on_time = S.timer(row, at=t0 + timedelta(minutes=5))
    assert on_time["phase"] == "explore" and on_time["minutes_left"] == 10 and not on_time["overrun"]
    late = S.timer(row, at=t0 + timedelta(minutes=17))
    assert late["overrun"] and late["minutes_left"] == -2 and "move on to card" in late["nudge"]
    assert S.timer({**row, "started_at": None}, at=t0)["phase"] == "not started"
    assert S.timer({**row, "status": "closed"})["phase"] == "closed"


def test_a_retried_send_is_recorded_once(made, home):
    """When a reply is lost and the toolkit sends again with the same uid, is the event or card recorded once,
    with the same answer?"""
    out, folder = made
    sid = out["id"]
    a = S.record_event(sid, "cell", {"label": "x"}, uid="u-1", home=home)
    b = S.record_event(sid, "cell", {"label": "x"}, uid="u-1", home=home)
    assert a["id"] == b["id"] and b.get("repeated")
    card = card_for(S.get(sid, home=home)["truth"])
    first = S.record_card(sid, card, uid="c-1", home=home)
    again = S.record_card(sid, card, uid="c-1", home=home)
    assert first["first"] is True and again == first
    assert [e["kind"] for e in S.timeline(sid, home=home)] == ["cell", "card"]


def test_session_new_returns_before_the_outcomes_are_measured_and_grading_waits_for_them(home, tmp_path):
    """Does ``session new`` record the session and hand over the folder first, measure the outcomes in
    a detached interviewer-side process into the store's truth (never into the folder), and does
    grading wait for that process and then read them?"""
    from grading.measured import worlds_needed
    from livescreen.sessions import measuring
    # measure="background", as the CLI does (the process reads the run's shared measurement when
    # another test made it first: tests/conftest.py shared_measurements)
    out = S.new_session(scenario="saas_churn", candidate="ATS-bg", out=tmp_path / "cand", home=home,
                        n_offline=ROWS["n_offline"], n_production=ROWS["n_production"])
    assert int((home / "sessions" / out["id"] / "measuring.pid").read_text()) > 0
    row = S.get(out["id"], home=home)
    assert not measuring.done(row["truth"]), "session new waited for the measurement"
    ready = measuring.ready(row, home=home)
    stored = S.get(out["id"], home=home)["truth"]
    assert ready["truth"] == stored and set(stored["outcomes"]["worlds"]) == set(worlds_needed(stored))
    assert stored["outcomes"]["candidate_rows"] == [ROWS["n_offline"], ROWS["n_production"]]
    blob = b"".join(p.read_bytes() for p in (tmp_path / "cand").rglob("*") if p.is_file())
    assert b"outcomes" not in blob and b"gap_closes" not in blob


def test_grading_measures_itself_when_the_measuring_process_is_gone(made, home, monkeypatch):
    """When no measuring process runs (it crashed, or the session was made without one), does
    grading measure in its own process instead of waiting?"""
    from livescreen.sessions import measuring
    (home / "sessions" / made[0]["id"]).mkdir(parents=True, exist_ok=True)
    (home / "sessions" / made[0]["id"] / "measuring.pid").write_text("999999999")  # no such process
    calls = []
    monkeypatch.setattr(measuring, "measure_now", lambda sid, home=None: calls.append(sid) or {"outcomes": {"worlds": {"x": 1}}})
    row = measuring.ready(S.get(made[0]["id"], home=home), home=home, wait=60)
    assert calls == [made[0]["id"]] and row["truth"]["outcomes"]["worlds"] == {"x": 1}


def test_a_live_size_session_hands_out_only_a_seed_whose_variant_validates(tmp_path, monkeypatch):
    """At the live size, is a drawn seed whose variant fails validation replaced by the next drawn
    seed of the same family (so the family's share is the pool's), and is the session's seed one
    that validates? The scenario is a hiring team's own (an extra folder, ``LIVESCREEN_SCENARIOS``):
    account_takeover's world with group leakage in its pool, as it was until 2026-12-04. Its seed 6
    draws group_leakage and fails validation (its gap misses the target's band: measured
    2026-12-04); the seeds after it are tried in order."""
    import data_generators as dg
    from data_generators.variant import draw_family
    from ..former_scenarios import former_group_leakage_host
    name = "takeover_with_group_leakage"
    (tmp_path / "scenarios").mkdir()
    former_group_leakage_host(tmp_path / "scenarios", name=name)
    monkeypatch.setenv("LIVESCREEN_SCENARIOS", str(tmp_path / "scenarios"))
    # its notebook is account_takeover's released one (the same world; only the title differs),
    # so the test writes nothing into exercises/
    from livescreen import notebooks
    released = notebooks.released_notebook
    monkeypatch.setattr(notebooks, "released_notebook",
                        lambda scenario, **kw: released("account_takeover" if scenario == name else scenario, **kw))
    sc = dg.load_scenario(name)
    family = draw_family(sc, 6)
    assert family == "group_leakage"
    assert not dg.validate_variant(dg.build_variant(sc, 6)).passed, "premise: seed 6 fails validation"
    drawn = iter([6, *range(7, 400)])
    seen = []
    monkeypatch.setattr(S, "_secret_seed", lambda: seen.append(next(drawn)) or seen[-1])
    home = tmp_path / "home"
    out = S.new_session(scenario=name, candidate="ATS-verified", out=tmp_path / "cand",
                        home=home, measure=False)
    seed = S.get(out["id"], home=home)["seed"]
    assert seed != 6 and draw_family(sc, seed) == family
    # every seed passed over in between drew another family
    assert all(draw_family(sc, s) != family for s in seen[1:-1]) and seen[-1] == seed
    assert dg.validate_variant(dg.build_variant(sc, seed)).passed
