"""`livescreen scenario new` and the static part of `scenario check`: every bad input is one line,
exit 2, naming file, line and field path, and nothing is written. No variant is built here."""
from __future__ import annotations

import re

import pytest
import yaml

from data_generators import load_scenario, registry
from data_generators.authoring import cause_word_warnings, scaffold_text, static_check
from livescreen.cli import main

NAME = "warehouse_demand"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scaffold():
    return scaffold_text(NAME, like="saas_churn")


def write(tmp_path, spec_or_text, name=NAME):
    path = tmp_path / f"{name}.yaml"
    path.write_text(spec_or_text if isinstance(spec_or_text, str) else yaml.safe_dump(spec_or_text, sort_keys=False))
    return path


def test_new_writes_a_commented_yaml_that_loads(tmp_path, capsys):
    code, out, err = run(capsys, "scenario", "new", NAME, "--like", "saas_churn", "--out", str(tmp_path))
    assert code == 0, err
    path = tmp_path / f"{NAME}.yaml"
    sc = load_scenario(path)  # valid as generated: the engine's own loader accepts it
    assert sc.name == NAME and sc.pool == load_scenario("saas_churn").pool
    text = path.read_text()
    # every field is explained, with its allowed values
    for line in ("# threshold: the score above which the decision is taken; allowed: number > 0 < 1",
                 "# kind: the team's model; allowed: gradient_boosting, logistic_regression",
                 "# kind: numeric or categorical; allowed: numeric, categorical"):
        assert line in text
    fam_comment = next(x for x in text.splitlines() if x.strip().startswith("# family:"))
    for fam in registry.family_names(control=True):
        assert fam in fam_comment
    assert "# optional, not set here: rows_per_entity:" in text
    assert static_check(path).pool == sc.pool


def test_new_refuses_shipped_name_and_existing_file(tmp_path, capsys):
    code, _, err = run(capsys, "scenario", "new", "saas_churn", "--out", str(tmp_path / "x"))
    assert code == 2 and "shipped scenario" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
    (tmp_path / f"{NAME}.yaml").write_text("keep me")
    code, _, err = run(capsys, "scenario", "new", NAME, "--out", str(tmp_path))
    assert code == 2 and "already exists" in err
    assert (tmp_path / f"{NAME}.yaml").read_text() == "keep me"
    code, _, err = run(capsys, "scenario", "new", "Bad-Name", "--out", str(tmp_path))
    assert code == 2 and "bad scenario name" in err


def mutate(scaffold, fn):
    spec = yaml.safe_load(scaffold)
    fn(spec)
    return spec


def _col(spec, key):
    return next(c for c in spec["world"]["columns"] if c["names"][0] == key)


BAD = {
    "malformed": (lambda s: s.replace("  threshold: 0.5", "  threshold: [0.5"), r":\d+: column \d+: malformed YAML"),
    "unknown_column_kind": (lambda s: mutate(s, lambda d: _col(d, "plan").update(kind="text")),
                            r":\d+: world\.columns\.9\.kind: 'text' is not allowed; allowed: numeric, categorical"),
    "negative_sd": (lambda s: mutate(s, lambda d: _col(d, "seats").update(transform={"dist": "normal", "mean": 3, "sd": -1})),
                    r":\d+: world\.columns\.1\.transform\.sd: -1 is less than or equal to the minimum of 0"),
    "uniform_low_above_high": (lambda s: mutate(s, lambda d: _col(d, "seats").update(
        transform={"dist": "uniform", "low": 9, "high": 2})), r":\d+: world\.columns\.1\.transform: uniform needs low < high"),
    "group_leakage_without_entity": (lambda s: mutate(s, lambda d: d["failures"].__setitem__(1, {"family": "group_leakage"})),
                                     r":\d+: failures\.1\.family: group_leakage needs an entity id .*rows_per_entity > 1"),
    "concept_drift_short_production": (
        lambda s: mutate(s, lambda d: (d["failures"].__setitem__(1, {"family": "concept_drift"}),
                                       d["world"].update(production_days=30))),
        r":\d+: failures\.1\.family: concept_drift needs a production period .* make it at least \d+"),
    "decoy_on_culprit": (
        lambda s: mutate(s, lambda d: (d["failures"].__setitem__(1, {"family": "covariate_shift",
                                                                   "params": {"culprits": ["seats"]}}),
                                       d["decoys"].__setitem__(0, {"kind": "harmless_drift",
                                                                   "params": {"column": "seats"}}))),
        r":\d+: decoys\.0\.params\.column: decoy on column 'seats', the culprit of failures\.1"),
    "decoy_column_not_numeric": (
        lambda s: mutate(s, lambda d: d["decoys"].__setitem__(0, {"kind": "harmless_drift", "params": {"column": "plan"}})),
        r":\d+: decoys\.0\.params\.column: harmless_drift needs a numeric column; params\.column 'plan' is categorical"),
    "pool_below_minimum": (lambda s: mutate(s, lambda d: d.__setitem__("failures", d["failures"][:2])),
                           r":\d+: failures: the pool holds 2 families; a pool needs at least 4"),
    "unknown_family": (lambda s: mutate(s, lambda d: d["failures"][0].update(family="gremlins")),
                       r":\d+: failures\.0\.family: 'gremlins' is not allowed; allowed: .*target_leakage"),
    "name_not_file": (lambda s: mutate(s, lambda d: d.update(name="other_name")),
                      r":\d+: name: 'other_name' must equal the file name"),
    "not_a_date": (lambda s: mutate(s, lambda d: d["world"].update(start="2025-13-45")),
                   r":\d+: world\.start: '2025-13-45' is not a calendar date; write YYYY-MM-DD"),
    "too_few_columns": (lambda s: mutate(s, lambda d: d["world"].update(columns=d["world"]["columns"][:2])),
                        r":\d+: world\.columns: has 2 items; needs at least 4$"),
    # found by planting each family once in a tiny world (the families' and decoys' own rules)
    "segment_decoy_without_categorical": (
        lambda s: mutate(s, lambda d: d["world"].update(columns=[c for c in d["world"]["columns"] if c["kind"] == "numeric"])),
        r":\d+: decoys\.3\.kind: noise_segment needs a categorical column .*drop the decoy"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_with_line_and_path(case, scaffold, tmp_path, capsys):
    edit, pattern = BAD[case]
    path = write(tmp_path, edit(scaffold))
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "scenario", "check", str(path), "--seeds", "0")
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(rf"{NAME}\.yaml{pattern}", lines[0]), lines[0]
    assert out == ""  # refused before anything was measured or printed
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_shipped_name_is_refused_by_check(scaffold, tmp_path, capsys):
    path = write(tmp_path, scaffold.replace(f"name: \"{NAME}\"", 'name: "saas_churn"'), name="saas_churn")
    code, out, err = run(capsys, "scenario", "check", str(path), "--static")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert re.search(r"saas_churn\.yaml:\d+: name: 'saas_churn' is the name of a shipped scenario; choose another name", err), err


def test_line_number_points_at_the_field(scaffold, tmp_path, capsys):
    text = scaffold.replace('      kind: "categorical"', '      kind: "text"', 1)
    path = write(tmp_path, text)
    code, _, err = run(capsys, "scenario", "check", str(path), "--static")
    line = int(re.search(r"\.yaml:(\d+):", err).group(1))
    assert code == 2 and 'kind: "text"' in text.splitlines()[line - 1]


def test_cause_words_in_candidate_text_warn(scaffold, tmp_path, capsys):
    spec = mutate(scaffold, lambda d: d["brief"].update(production_note="We think the data drifted after launch."))
    path = write(tmp_path, spec)
    warns = cause_word_warnings(path)
    assert len(warns) == 1 and "brief.production_note" in warns[0] and "'drift'" in warns[0]
    code, out, _ = run(capsys, "scenario", "check", str(path), "--static")
    assert code == 0 and "warning:" in out and "drift" in out
    assert cause_word_warnings(write(tmp_path, scaffold)) == []


def test_scenario_folders_list_and_clash(scaffold, tmp_path, capsys, monkeypatch):
    d = tmp_path / "mine"
    d.mkdir()
    write(d, scaffold)
    monkeypatch.delenv("LIVESCREEN_SCENARIOS", raising=False)
    code, out, _ = run(capsys, "--scenarios", str(d), "scenarios")
    assert code == 0 and NAME in out.split() and "saas_churn" in out.split()
    monkeypatch.setenv("LIVESCREEN_SCENARIOS", str(d))
    assert load_scenario(NAME).path == d / f"{NAME}.yaml"
    code, out, _ = run(capsys, "scenarios")
    assert NAME in out.split()
    (d / "saas_churn.yaml").write_text(scaffold.replace(NAME, "saas_churn"))
    code, out, err = run(capsys, "scenarios")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "clashes with the shipped scenario" in err
    monkeypatch.setenv("LIVESCREEN_SCENARIOS", str(tmp_path / "missing"))
    code, _, err = run(capsys, "scenarios")
    assert code == 2 and "is not a folder" in err


def test_preview_refuses_bad_input_and_writes_nothing(scaffold, tmp_path, capsys):
    good = write(tmp_path, scaffold)
    code, _, err = run(capsys, "scenario", "preview", str(good), "--seed", "1", "--family", "concept_drift",
                       "--out", str(tmp_path / "prev"))
    assert code == 2 and "not in warehouse_demand's pool" in err and len(err.strip().splitlines()) == 1
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = write(bad_dir, scaffold.replace("  threshold: 0.5", "  threshold: 1.5"))
    code, _, err = run(capsys, "scenario", "preview", str(bad), "--seed", "1", "--out", str(tmp_path / "prev"))
    assert code == 2 and re.search(r"warehouse_demand\.yaml:\d+: brief\.threshold: 1\.5", err), err
    code, _, err = run(capsys, "scenario", "preview", str(good), "--seed", "x", "--out", str(tmp_path / "prev"))
    assert code == 2 and "bad seed" in err
    assert not (tmp_path / "prev").exists() and not list(tmp_path.glob(".prev-*"))


def test_family_figures_hint_the_effect_to_write():
    from data_generators.authoring import FamilyFigures
    f = FamilyFigures(family="prior_shift", seeds=[0, 1], passed=0, effects=[0.25, 0.20], measured=[0.18, 0.1728],
                      target=0.144)
    assert f.hint().startswith("set failures[prior_shift].effect to 0.176")
    assert "FAIL 0/2" in f.line() and "effect vs target +20%..+25%" in f.line()
    ok = FamilyFigures(family="simpson_mix", seeds=[0], passed=1, effects=[0.05], measured=[0.107], target=0.102)
    assert ok.hint() is None and "pass 1/1" in ok.line()


def test_brief_that_reads_the_same_under_every_family_warns(scaffold, tmp_path, monkeypatch):
    from data_generators import authoring
    from data_generators.scenario import Scenario
    spec = yaml.safe_load(scaffold)
    sc = Scenario(name=NAME, spec=spec)
    assert authoring.brief_warnings(sc) == []  # the shipped pool's families show different symptoms
    same = ("Since launch the model ranks {entity}s less well than promised.",)
    real = registry.get_family
    monkeypatch.setattr(authoring.registry, "get_family",
                        lambda n: type("F", (), {"symptoms": same}) if n in sc.pool else real(n))
    warns = authoring.brief_warnings(sc)
    assert len(warns) == 1 and "reads the same under every family" in warns[0]
