"""The rubric files are data: they validate, cover every failure family, and combine by formula."""
from __future__ import annotations

import itertools
import random
import re
import shutil
from pathlib import Path

import pytest
import yaml

from data_generators import FAMILIES, list_scenarios, load_scenario
from grading.rubric import (HINT_LEVELS, LEVELS, RUBRIC_DIR, RubricError, combine, list_rubric_scenarios,
                            load_rubric)

REQUIRED_ITEMS = ("family", "culprit", "discrimination", "expectations", "decision", "cost")
REQUIRED_DIMENSIONS = ("hypothesis_driven_diagnosis", "use_of_evidence", "experiment_design",
                       "precision_recall_in_business_terms", "cost_of_errors")
REQUIRED_FLAGS = ("red_flag_experiment", "card_not_committed", "card_changed_after_commit", "hint_prompted")
# Words that name or give away a failure family; a hint must not contain any of them.
GIVEAWAYS = ("leak", "drift", "skew", "shift", "delay", "lag", "imbalanc", "calibrat", "simpson",
             "duplicat", "oversampl", "covariate", "concept", "schema", "slice", "bias", "matur",
             "temporal", "preprocess", "prior", "unit change", "renamed", "selective", "feedback loop",
             "after the outcome", "time travel", "future", "prevalence", "base rate", "mix of")
# Tokens of family names too common to forbid on their own ("the group where the model fails").
GENERIC_TOKENS = {"group", "change", "train", "serve", "failure", "mix", "wrong", "metric", "label",
                  "target", "selection", "mismatch", "leakage"}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture
def rubric_copy(tmp_path):
    """A writable copy of the shipped rubric folder."""
    d = tmp_path / "rubrics"
    shutil.copytree(RUBRIC_DIR, d)
    return d


def _full(r):
    return {i.id: i.points for i in r.items}


# --- every file validates ------------------------------------------------------------------------
def test_shared_files_validate(rubric):
    """Do autograded.yaml and manual.yaml load, with the items, dimensions and flags the grader needs?"""
    assert set(REQUIRED_ITEMS) <= set(rubric.item_ids)
    assert set(REQUIRED_DIMENSIONS) <= set(rubric.dimension_ids)
    assert set(REQUIRED_FLAGS) <= {f.id for f in rubric.flags}
    assert len(set(rubric.item_ids)) == len(rubric.item_ids)
    assert all(i.points > 0 for i in rubric.items)
    assert all(set(i.description) == {"full", "partial", "nothing"} for i in rubric.items)


@pytest.mark.parametrize("scenario", list_rubric_scenarios())
def test_scenario_file_validates(scenario):
    """Does every grading/rubrics/<scenario>.yaml load, with 3 hints and its own settings?"""
    r = load_rubric(scenario)
    assert r.settings.source == RUBRIC_DIR.resolve() / f"{scenario}.yaml"
    assert [h.level for h in r.hint_ladder] == list(HINT_LEVELS)
    assert r.cell_timeout > 0


@pytest.mark.parametrize("scenario", list_rubric_scenarios())
def test_scenario_file_names_a_shipped_scenario(scenario):
    """Is every scenario rubric file the rubric of a scenario that ships (no stale files)?"""
    assert scenario in list_scenarios()


@pytest.mark.parametrize("scenario", list_scenarios())
def test_every_shipped_scenario_gets_a_rubric(scenario):
    """Does every shipped scenario get a rubric, from its own file or from the defaults?"""
    r = load_rubric(scenario)
    assert r.scenario == scenario
    assert len(r.hint_ladder) == len(HINT_LEVELS)


def test_scenario_without_file_falls_back_to_defaults(rubric):
    """Does a scenario without its own file get the default timeout and hint ladder?"""
    r = load_rubric("a_scenario_not_yet_graded")
    assert r.settings.source is None
    assert r.cell_timeout == rubric.cell_timeout == 120
    assert r.hint_ladder == rubric.hint_ladder
    assert r.max_points == rubric.max_points


@pytest.mark.parametrize("bad", ["", "Saas", "../manual", "autograded", 3])
def test_bad_scenario_name_is_refused(bad):
    """Is a scenario argument that cannot be a scenario name refused with a RubricError?"""
    with pytest.raises(RubricError, match="scenario must be"):
        load_rubric(bad)


# --- the manual scales ---------------------------------------------------------------------------
@pytest.mark.parametrize("dimension", REQUIRED_DIMENSIONS)
def test_every_level_has_an_example_for_every_family(rubric, dimension):
    """Does each of the 5 levels of each dimension have an anchor and one example per failure family?"""
    d = rubric.dimension(dimension)
    assert [lv.level for lv in d.levels] == list(LEVELS)
    for lv in d.levels:
        assert len(lv.anchor) > 40
        assert set(lv.examples) == set(FAMILIES)
        assert all(len(text) >= 20 for text in lv.examples.values())


def test_examples_are_not_copied(rubric):
    """Is every example answer written for its place, none a copy of another?"""
    texts = [t for d in rubric.dimensions for lv in d.levels for t in lv.examples.values()]
    assert len(texts) == len(rubric.dimensions) * len(LEVELS) * len(FAMILIES)
    assert len(set(texts)) == len(texts)


def test_level_one_examples_include_the_random_interventions(rubric):
    """Does the lowest level of hypothesis-driven diagnosis illustrate the red-flag interventions?"""
    lv = rubric.dimension("hypothesis_driven_diagnosis").level(1)
    red = re.compile(r"tune|retrain|more data|bigger|deeper|sweep|grid|regularis|early stopping|more trees|features", re.I)
    assert sum(bool(red.search(t)) for t in lv.examples.values()) >= 12


# --- malformed rubrics ---------------------------------------------------------------------------
def _mutate(directory: Path, name: str, change) -> None:
    path = directory / name
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


MALFORMED = [
    ("autograded.yaml", lambda d: d["items"][1].__setitem__("points", 0),
     r"autograded\.yaml: items\[culprit\]\.points: 0 is not allowed; allowed: a number > 0"),
    ("autograded.yaml", lambda d: d["items"][2].__setitem__("id", "family"),
     r"autograded\.yaml: items\[family\]: item id 'family' is used twice"),
    ("autograded.yaml", lambda d: d["items"][0].__setitem__("pts", 3),
     r"autograded\.yaml: items\[family\]: unknown field 'pts'; allowed fields: id, points"),
    ("autograded.yaml", lambda d: d["items"][3]["description"].pop("partial"),
     r"autograded\.yaml: items\[expectations\]\.description: missing 'partial'"),
    ("autograded.yaml", lambda d: d["formula"]["dimensions"].__setitem__("charisma", 2),
     r"autograded\.yaml: formula\.dimensions\.charisma: no such manual dimension; allowed: "),
    ("autograded.yaml", lambda d: d["formula"]["items"].pop("cost"),
     r"autograded\.yaml: formula\.items: missing a weight for 'cost'"),
    ("autograded.yaml", lambda d: d["formula"].__setitem__("prompted_credit", 1.5),
     r"autograded\.yaml: formula\.prompted_credit: 1\.5 is not allowed; allowed: a number <= 1"),
    ("autograded.yaml", lambda d: d["scenario_defaults"]["hint_ladder"].pop(),
     r"autograded\.yaml: scenario_defaults\.hint_ladder: has 2 entries; allowed: exactly 3"),
    ("manual.yaml", lambda d: d["dimensions"][2]["levels"][3]["examples"].pop("label_delay"),
     r"manual\.yaml: dimensions\[experiment_design\]\.levels\[4\]\.examples: missing 'label_delay'"),
    ("manual.yaml", lambda d: d["dimensions"][0]["levels"][0]["examples"].__setitem__("leaks", "x" * 20),
     r"manual\.yaml: dimensions\[hypothesis_driven_diagnosis\]\.levels\[1\]\.examples: 'leaks' is not allowed; allowed: duplicate_leakage"),
    ("manual.yaml", lambda d: d["dimensions"][4]["levels"].pop(),
     r"manual\.yaml: dimensions\[cost_of_errors\]\.levels: has 4 entries; allowed: exactly 5"),
    ("manual.yaml", lambda d: d["dimensions"][1]["levels"][0].__setitem__("level", 2),
     r"manual\.yaml: dimensions\[use_of_evidence\]\.levels: levels are \[2, 2, 3, 4, 5\]; allowed: exactly \[1, 2, 3, 4, 5\]"),
    ("manual.yaml", lambda d: d["dimensions"][1]["levels"][2].__setitem__("level", 6),
     r"manual\.yaml: dimensions\[use_of_evidence\]\.levels\[6\]\.level: 6 is not allowed; allowed: 1, 2, 3, 4, 5"),
    ("manual.yaml", lambda d: d["dimensions"][3].__setitem__("id", "use_of_evidence"),
     r"manual\.yaml: dimensions\[use_of_evidence\]: dimension id 'use_of_evidence' is used twice"),
]


@pytest.mark.parametrize("name,change,message", MALFORMED,
                         ids=[m[2].split(": ")[1].replace("\\", "")[:40] for m in MALFORMED])
def test_malformed_rubric_gives_one_line_with_the_field_path(rubric_copy, name, change, message):
    """Does a malformed rubric file raise one line naming the file, the field path and what is allowed?"""
    _mutate(rubric_copy, name, change)
    with pytest.raises(RubricError, match=message) as info:
        load_rubric(directory=rubric_copy)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_malformed_yaml_names_the_line(rubric_copy):
    """Is a file that is not YAML reported with its name and line, on one line?"""
    (rubric_copy / "manual.yaml").write_text("version: 1\ndimensions: [\n  - id: x\n")
    with pytest.raises(RubricError, match=r"^manual\.yaml: malformed YAML at line \d+") as info:
        load_rubric(directory=rubric_copy)
    assert "\n" not in str(info.value)


def _ladder(prompts3=("family",)):
    """A scenario's own hint ladder (optional in its file), for the malformed-file cases."""
    return [{"level": 1, "text": "Look at the offline report again.", "prompts": []},
            {"level": 2, "text": "Which check would tell your top two apart?", "prompts": []},
            {"level": 3, "text": "Where does the evidence concentrate?", "prompts": list(prompts3)}]


@pytest.mark.parametrize("change,message", [
    (lambda d: d.__setitem__("scenario", "saas"), r"saas_churn\.yaml: scenario: 'saas' must equal the file name"),
    (lambda d: d.__setitem__("points", {"charm": 5}), r"saas_churn\.yaml: points\.charm: no such item; allowed: family"),
    (lambda d: d.__setitem__("hint_ladder", _ladder(prompts3=["culprits"])),
     r"saas_churn\.yaml: hint_ladder\[3\]\.prompts: unknown item 'culprits'"),
    (lambda d: d.__setitem__("cell_timeout", "fast"), r"saas_churn\.yaml: cell_timeout: 'fast' is not allowed; allowed: an integer"),
    (lambda d: d.__setitem__("hint_ladder", _ladder()[::-1]), r"saas_churn\.yaml: hint_ladder: levels are \[3, 2, 1\]"),
])
def test_malformed_scenario_file(rubric_copy, change, message):
    """Is a malformed scenario rubric reported with its file and field path?"""
    _mutate(rubric_copy, "saas_churn.yaml", change)
    with pytest.raises(RubricError, match=message):
        load_rubric("saas_churn", directory=rubric_copy)


def test_point_override_is_applied(rubric_copy):
    """Does a scenario's point override change that item's points, and full marks still give 100?"""
    _mutate(rubric_copy, "saas_churn.yaml", lambda d: d.__setitem__("points", {"culprit": 20}))
    r = load_rubric("saas_churn", directory=rubric_copy)
    assert r.item("culprit").points == 20
    assert r.max_points == load_rubric(directory=rubric_copy).max_points + 10
    assert r.combine(_full(r))["total"] == 100


# --- the formula ---------------------------------------------------------------------------------
def test_full_marks_give_100(rubric):
    """Do full autograded points and level 5 everywhere give 100, with or without manual ratings?"""
    top = {d: 5 for d in rubric.dimension_ids}
    assert rubric.combine(_full(rubric), top)["total"] == 100
    assert rubric.combine(_full(rubric))["total"] == 100
    assert combine(_full(rubric), top)["total"] == 100


def test_nothing_gives_0(rubric):
    """Do no points and level 1 everywhere give 0?"""
    assert rubric.combine({}, {d: 1 for d in rubric.dimension_ids})["total"] == 0
    assert rubric.combine({i: 0 for i in rubric.item_ids})["total"] == 0


def test_default_shares_are_70_and_30(rubric):
    """With the shipped weights, are the autograded items worth 70 of 100 and the conversation 30?"""
    assert rubric.combine(_full(rubric), {d: 1 for d in rubric.dimension_ids})["total"] == 70
    assert rubric.combine({}, {d: 5 for d in rubric.dimension_ids})["total"] == 30


def test_combine_is_monotone(rubric):
    """Does raising any item's points or any dimension's level never lower the total?"""
    rng = random.Random(0)
    for _ in range(200):
        auto = {i.id: rng.uniform(0, i.points) for i in rubric.items}
        manual = {d: rng.choice(LEVELS) for d in rubric.dimension_ids}
        base = rubric.combine(auto, manual)["total"]
        item = rng.choice(rubric.items)
        up = dict(auto, **{item.id: rng.uniform(auto[item.id], item.points)})
        assert rubric.combine(up, manual)["total"] >= base
        dim = rng.choice(rubric.dimension_ids)
        manual_up = dict(manual, **{dim: rng.choice([lv for lv in LEVELS if lv >= manual[dim]])})
        assert rubric.combine(auto, manual_up)["total"] >= base
    # every single step along a path from nothing to full marks
    totals = []
    auto, manual = {}, {d: 1 for d in rubric.dimension_ids}
    for item in rubric.items:
        auto[item.id] = item.points
        totals.append(rubric.combine(auto, manual)["total"])
    for dim, level in itertools.product(rubric.dimension_ids, LEVELS[1:]):
        manual[dim] = level
        totals.append(rubric.combine(auto, manual)["total"])
    assert totals == sorted(totals) and totals[-1] == 100


def test_discrimination_carries_the_most_weight(rubric):
    """Is discrimination the heaviest item, so a card that earns only decision and cost stays low?"""
    heaviest = max(rubric.items, key=lambda i: i.points * rubric.formula.item_weights[i.id])
    assert heaviest.id == "discrimination"
    only_wording = {"decision": rubric.item("decision").points, "cost": rubric.item("cost").points}
    assert rubric.combine(only_wording)["total"] <= 15


def test_float_rounding_is_absorbed(rubric):
    """Is a partial-credit sum a hair over an item's maximum taken as the maximum, not refused?"""
    full = dict(_full(rubric), discrimination=rubric.item("discrimination").points + 1e-12)
    assert rubric.combine(full)["total"] == 100


def test_hints_discount_the_items_they_prompt(rubric):
    """Does credit earned after a hint count at the prompted share, the more so the more hints?"""
    full = _full(rubric)
    totals = [rubric.combine(full, hints=k)["total"] for k in range(len(HINT_LEVELS) + 1)]
    assert totals[0] == 100
    assert totals == sorted(totals, reverse=True) and totals[-1] < 100
    res = rubric.combine(full, hints=3)
    assert set(res["prompted"]) == {p for h in rubric.hint_ladder for p in h.prompts}


def test_breakdown_lists_every_item_and_dimension(rubric):
    """Does the breakdown show each item's points and max and each dimension's level?"""
    res = rubric.combine({"family": 15}, {d: 3 for d in rubric.dimension_ids})
    assert [i["id"] for i in res["items"]] == list(rubric.item_ids)
    assert res["items"][0] == {"id": "family", "points": 15, "max": 15, "weight": 1, "prompted": False, "credit": 15}
    assert res["autograded"] == {"points": 15, "max": rubric.max_points}
    assert [d["level"] for d in res["dimensions"]] == [3] * len(REQUIRED_DIMENSIONS)
    assert res["max"] == 100 and res["manual_rated"]


def test_not_evaluated_dimension_leaves_the_formula(rubric):
    """Is a dimension rated None left out of both sums rather than counted as 0?"""
    manual = {d: 5 for d in rubric.dimension_ids}
    manual["cost_of_errors"] = None
    assert rubric.combine(_full(rubric), manual)["total"] == 100


@pytest.mark.parametrize("auto,manual,hints,message", [
    ({"charm": 1}, None, 0, r"autograded: unknown item 'charm'"),
    ({"family": 16}, None, 0, r"autograded\.family: 16 is not allowed; allowed: a number from 0 to 15"),
    ({"family": -1}, None, 0, r"autograded\.family: -1 is not allowed"),
    ({"family": True}, None, 0, r"autograded\.family: True is not allowed"),
    ({}, {"use_of_evidence": 3}, 0, r"manual\.hypothesis_driven_diagnosis: missing"),
    ({}, {d: 6 for d in REQUIRED_DIMENSIONS}, 0, r"manual\.hypothesis_driven_diagnosis: 6 is not allowed"),
    ({}, {"charm": 3}, 0, r"manual: unknown dimension 'charm'"),
    ({}, None, 4, r"hints must be an integer from 0 to 3"),
])
def test_combine_refuses_bad_input(rubric, auto, manual, hints, message):
    """Does combine() refuse unknown ids, out-of-range points or levels, and bad hint counts?"""
    with pytest.raises(RubricError, match=message):
        rubric.combine(auto, manual, hints=hints)


# --- hints ---------------------------------------------------------------------------------------
def _hint_ladders():
    yield "defaults", None
    for s in list_rubric_scenarios():
        yield s, s


def _culprit_names(scenario: str) -> set[str]:
    names = set()
    for entry in load_scenario(scenario).spec["failures"]:
        params = entry.get("params", {})
        names |= set(params.get("culprits", [])) | set(params.get("names", []))
        names |= {params[k] for k in ("segment_column", "segment_level") if isinstance(params.get(k), str)}
    return names


@pytest.mark.parametrize("label,scenario", list(_hint_ladders()))
def test_hints_do_not_name_the_family(label, scenario):
    """Do the hints avoid every family name, the words that give a family away, and the culprit?"""
    r = load_rubric(scenario)
    forbidden = set(GIVEAWAYS)
    forbidden |= {f.replace("_", " ") for f in FAMILIES} | set(FAMILIES)
    forbidden |= {t for f in FAMILIES for t in f.split("_") if t not in GENERIC_TOKENS}
    if scenario is not None:
        forbidden |= _culprit_names(scenario)
    for h in r.hint_ladder:
        text = h.text.lower()
        found = sorted(w for w in forbidden if re.search(r"(?<![a-z])" + re.escape(w.lower()), text))
        assert not found, f"{label} hint {h.level} gives away {found}: {h.text}"


def _pool_ladders():
    for s in list_scenarios():
        for fam in load_scenario(s).pool:
            yield s, fam


@pytest.mark.parametrize("scenario,family", list(_pool_ladders()))
def test_the_ladder_comes_from_the_drawn_family(scenario, family):
    """Are a session's hints the scenario's first hint and the drawn family's own two (from its
    module), never a ladder written for another family of the pool, and do they name no family,
    no giveaway word and no culprit?"""
    from data_generators import registry
    r = load_rubric(scenario)
    ladder = r.ladder(family)
    assert [h.level for h in ladder] == list(HINT_LEVELS) and ladder[0] == r.hint_ladder[0]
    assert [h.text for h in ladder[1:]] == [" ".join(t.split()) for t in registry.get_family(family).hints]
    assert [h.prompts for h in ladder] == [h.prompts for h in r.hint_ladder]
    others = {h.text for f in load_scenario(scenario).pool if f != family for h in r.ladder(f)[1:]}
    assert not others & {h.text for h in ladder[1:]}, "two families of a pool share a hint"
    forbidden = set(GIVEAWAYS) | {f.replace("_", " ") for f in FAMILIES} | set(FAMILIES)
    forbidden |= {t for f in FAMILIES for t in f.split("_") if t not in GENERIC_TOKENS} | _culprit_names(scenario)
    for h in ladder:
        found = sorted(w for w in forbidden if re.search(r"(?<![a-z])" + re.escape(w.lower()), h.text.lower()))
        assert not found, f"{scenario}/{family} hint {h.level} gives away {found}: {h.text}"


@pytest.mark.parametrize("label,scenario", list(_hint_ladders()))
def test_hints_reveal_more_as_they_go(label, scenario):
    """Does each hint prompt at least the items the one before it prompted, ending with the family?"""
    ladder = load_rubric(scenario).hint_ladder
    for before, after in zip(ladder, ladder[1:]):
        assert set(before.prompts) <= set(after.prompts)
    assert "family" in ladder[-1].prompts
    assert len({h.text for h in ladder}) == len(ladder)
