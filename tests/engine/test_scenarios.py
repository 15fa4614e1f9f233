"""Scenario specs: the shipped set, the schema, and the errors a scenario author sees."""
from __future__ import annotations

import copy
from collections import Counter

import pytest
import yaml

import data_generators as dg
from data_generators.scenario import PLANTABLE, SCENARIO_DIR, load_scenario, validate_spec

MIN_POOLS = 3  # every family, and the control, sits in at least this many scenarios' pools
REVEALING = ("leak", "drift", "skew", "shift", "delay", "bias", "imbalance", "slice", "decoy",
             "planted", "culprit", "simpson", "calibrat", "duplicate", "schema_change")


def _spec(name="saas_churn"):
    return copy.deepcopy(load_scenario(name).spec)


def test_shipped_pools_cover_every_family_and_mix_kinds():
    """Does every pool hold at least 4 families of at least two kinds, and does every family of the
    registry (and the control) sit in at least 3 pools?"""
    names = dg.list_scenarios()
    assert len(names) >= 12, names
    assert len({load_scenario(n).spec["domain"] for n in names}) >= 6
    seats = Counter()
    for n in names:
        pool = load_scenario(n).pool
        assert len(pool) >= 4, (n, pool)
        kinds = {dg.registry.kind_of(f) for f in pool} - {"control"}
        assert len(kinds) >= 2, (n, pool)
        seats.update(pool)
    # group_leakage and preprocessing_leakage included: they need worlds with repeated entities
    # (hospital_readmission, insurance_lapse, invoice_late_payment with constant per-entity attributes;
    # marketplace_seller_risk, support_escalation, food_delivery_late without)
    short = {f: seats[f] for f in (*dg.PLANTABLE, dg.NO_FAILURE) if seats[f] < MIN_POOLS}
    assert not short, f"families in fewer than {MIN_POOLS} pools: {short}"


@pytest.mark.parametrize("name", dg.list_scenarios())
def test_candidate_visible_text_does_not_name_the_family(name):
    """Does nothing a candidate reads of a scenario (name, title, brief, vocabulary) give the family away?"""
    spec = load_scenario(name).spec
    visible = [spec["name"], spec["title"], spec["entity"], spec["model"].get("description", "")]
    visible += [str(v) for v in spec["brief"].values()]
    for c in spec["world"]["columns"]:
        visible += c["names"] + [c.get("description", ""), c.get("unit", "")]
    for entry in spec["failures"]:  # columns a family adds exist under every draw (placeholders)
        params = entry.get("params", {})
        visible += [str(n) for n in params.get("names", [])] + [str(params.get("description", ""))]
    text = " ".join(visible).lower()
    found = [w for w in REVEALING if w in text]
    assert not found, f"{name}: candidate-visible text mentions {found}"


def test_unknown_scenario_lists_the_known_ones():
    """Does an unknown scenario name get the list of known ones?"""
    with pytest.raises(dg.ScenarioError, match="unknown scenario 'nope'; known: .*saas_churn"):
        dg.build_variant("nope", 0)


def _write(tmp_path, spec, name="custom"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec) if not isinstance(spec, str) else spec)
    return path


def test_malformed_yaml_names_file_and_line(tmp_path):
    """Is malformed YAML reported with the file name and the line (file.yaml:LINE)?"""
    path = _write(tmp_path, "name: custom\ntitle: [unclosed\n")
    with pytest.raises(dg.ScenarioError, match=r"custom\.yaml:\d+: column \d+: malformed YAML"):
        load_scenario(path)


@pytest.mark.parametrize("mutate, match", [
    (lambda s: s["failures"][0].__setitem__("family", "gremlins"),
     r"failures.0.family: 'gremlins' is not allowed; allowed: "),
    (lambda s: s.__setitem__("failures", s["failures"][:3]), r"failures: .* is too short"),
    (lambda s: s["failures"].append(dict(s["failures"][1])), r"failures: '\w+' appears twice; list each family once"),
    (lambda s: s.__setitem__("failures", [{"family": f} for f in ("target_leakage", "temporal_leakage",
                                                                   "duplicate_leakage", "no_failure")]),
     r"failures: the pool holds only leakage families; mix at least two kinds of leakage, shift, evaluation"),
    (lambda s: s.__setitem__("session", {"phases": {"explore": 0}}), r"session.phases.explore: 0 is less than"),
    (lambda s: s["world"].__setitem__("prevalence", 1.5), r"world.prevalence: 1.5 is greater than"),
    (lambda s: s["world"]["columns"][0]["transform"].__setitem__("dist", "zipf"),
     r"world.columns.0.transform.dist: 'zipf' is not allowed; allowed: normal, lognormal"),
    (lambda s: s["world"]["columns"][0].__setitem__("colour", "red"), r"world.columns.0: Additional properties are not allowed \('colour' was unexpected\); allowed fields: "),
    (lambda s: s["decoys"].append({"kind": "ghost"}), r"decoys.4.kind: 'ghost' is not allowed; allowed: harmless_drift"),
    (lambda s: s.pop("brief"), r"'brief' is a required property"),
    (lambda s: s["decoys"][2].__setitem__("params", {"column": "no_such_column"}),
     r"decoys.2.params.column: unknown column 'no_such_column'; known column keys: tenure_months"),
    (lambda s: s["failures"][0].setdefault("params", {}).__setitem__("volume", 11),
     r"failures.0.params: unknown parameter 'volume' for target_leakage; allowed: "),
    (lambda s: s["world"]["columns"][9].__setitem__("effects", [0.1]),
     r"world.columns.9: effects and weights need one entry per level"),
])
def test_spec_errors_name_the_field_and_what_is_allowed(tmp_path, mutate, match):
    """Does each malformed spec get one line naming the file, the field path and what is allowed?"""
    spec = _spec()
    spec["name"] = "custom"
    mutate(spec)
    with pytest.raises(dg.ScenarioError, match=match) as info:
        load_scenario(_write(tmp_path, spec))
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("custom.yaml: ")


def test_name_must_match_file(tmp_path):
    """Is a scenario whose name differs from its file name refused?"""
    spec = _spec()
    with pytest.raises(dg.ScenarioError, match="must equal the file name"):
        load_scenario(_write(tmp_path, spec, name="other"))


def test_a_custom_scenario_file_builds(tmp_path):
    """Can a hiring team's own scenario file be built by path?"""
    spec = _spec()
    spec["name"] = "custom"
    v = dg.build_variant(str(_write(tmp_path, spec)), 1, n_offline=1000, n_production=1000)
    assert v.truth.scenario == "custom" and len(v.offline) == 1000


def test_an_added_column_takes_the_scenario_names_else_the_declared_ones(tmp_path):
    """Does the column a family adds (``added_column``) show the scenario's params.names,
    description and unit, and without them one of the family's declared names with neither, both
    when the family is drawn (its column is the culprit) and when another family is drawn?"""
    declared = dg.registry.get_family("target_leakage").added_column.names
    spec = _spec()
    params = next(f["params"] for f in spec["failures"] if f["family"] == "target_leakage")
    given = {"type": "numeric", "unit": params["unit"], "description": params["description"]}
    for names, path in ((params["names"], "saas_churn"), (declared, None)):
        if path is None:
            for key in ("names", "description", "unit"):
                params.pop(key)
            given = {"type": "numeric", "unit": "", "description": ""}
            spec["name"] = "custom"
            path = str(_write(tmp_path, spec))
        for family in ("target_leakage", "prior_shift"):
            v = dg.build_variant(path, 0, family=family, n_offline=600, n_production=600)
            added = [n for n in v.columns if n in names]
            assert len(added) == 1 and v.columns[added[0]] == given, (path, family, v.columns)
            assert (v.truth.culprits == added) == (family == "target_leakage")


@pytest.mark.parametrize("name", dg.list_scenarios())
def test_every_shipped_file_validates(name):
    """Does every shipped YAML pass the schema on its own?"""
    spec = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    assert set(load_scenario(name).pool) <= set(PLANTABLE)
    assert validate_spec(spec, source=f"{name}.yaml") == spec
