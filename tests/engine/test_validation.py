"""The validator itself: does it fail what it should?"""
from __future__ import annotations

import copy

import yaml

import data_generators as dg


def test_a_variant_without_its_failure_fails_validation(tmp_path):
    """Does a variant whose planted column carries no signal fail the symptom and band checks?"""
    spec = copy.deepcopy(dg.load_scenario("saas_churn").spec)
    spec["name"] = "no_signal"
    spec["failures"][0]["params"]["strength"] = 0.0  # target_leakage
    path = tmp_path / "no_signal.yaml"
    path.write_text(yaml.safe_dump(spec))
    rep = dg.validate_variant(dg.build_variant(str(path), 0, family="target_leakage"))
    names = {c.name for c in rep.failed}
    assert not rep.passed and {"symptom", "effect_band"} <= names


def test_report_has_the_figures():
    """Does the report carry a figure and a threshold for every check?"""
    rep = dg.validate_variant(dg.build_variant("saas_churn", 0, family="target_leakage"))
    d = rep.to_dict()
    assert d["passed"] is True, rep.failed
    assert {"symptom", "effect_band", "team_offline_auc", "reference"} <= {c["name"] for c in d["checks"]}
    assert sum(c["name"].endswith("_does_not_resolve") for c in d["checks"]) >= 2
    assert all(isinstance(c["value"], float) and c["threshold"] for c in d["checks"])
