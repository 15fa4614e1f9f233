"""Loading a candidate folder."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from livescreen.toolkit import Case, CaseError, open_case


def test_dtypes_restored(cases):
    """Are categoricals, timestamps and the production label restored with the right dtypes?"""
    case = cases["saas_churn"]
    for col in case.categorical:
        assert isinstance(case.offline[col].dtype, pd.CategoricalDtype)
        assert isinstance(case.production[col].dtype, pd.CategoricalDtype)
        assert case.offline[col].dtype == case.production[col].dtype
        offline_levels = set(case.offline[col].dropna().astype(str))
        assert list(case.offline[col].cat.categories[: len(offline_levels)]) == sorted(offline_levels)
    for frame in (case.offline, case.production, case.recomputed):
        assert pd.api.types.is_datetime64_any_dtype(frame[case.timestamp])
    assert case.production[case.label].dtype == float
    assert case.production[case.label].isna().any(), "some production labels are not yet known"
    assert set(case.offline[case.split]) == {"train", "test"}
    assert set(np.unique(case.offline[case.label])) == {0, 1}


def test_from_frames_matches_files(cases, variants):
    """Does a Case built from a variant's frames equal the one read from its written folder?"""
    v = variants("saas_churn")
    mem = Case.from_frames(offline=v.offline, production=v.production, recomputed=v.recomputed,
                           metadata=v.metadata())
    disk = cases["saas_churn"]
    for name in ("offline", "production", "recomputed"):
        a, b = getattr(mem, name), getattr(disk, name)
        assert list(a.columns) == list(b.columns)
        for col in disk.categorical:
            assert a[col].dtype == b[col].dtype
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-9)


def test_schema_properties(cases):
    """Does the case expose the schema, the threshold and the costs from schema.json?"""
    case = cases["saas_churn"]
    meta = json.loads((case.folder / "schema.json").read_text())
    assert case.features == meta["model"]["features"]
    assert case.threshold == meta["model"]["threshold"]
    assert case.cost_fp == meta["brief"]["cost_false_positive"]["amount"]
    assert case.cost_fn == meta["brief"]["cost_false_negative"]["amount"]
    assert len(case.train) + len(case.test) == len(case.offline)
    assert case.labelled[case.label].notna().all()


def test_missing_folder():
    """Is a one-line error naming the folder raised when it does not exist?"""
    with pytest.raises(CaseError, match=r"no candidate folder at .*nowhere") as e:
        open_case("/nonexistent/nowhere")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("victim, pattern", [
    ("schema.json", r"schema\.json is missing"),
    ("production.csv", r"production\.csv is missing"),
])
def test_missing_file(tmp_path, folders, victim, pattern):
    """Is a missing file named, with how to fix it?"""
    dst = tmp_path / "c"
    shutil.copytree(folders["saas_churn"], dst)
    (dst / victim).unlink()
    with pytest.raises(CaseError, match=pattern) as e:
        open_case(dst)
    assert "fresh copy" in str(e.value)


def test_malformed_files(tmp_path, folders):
    """Are malformed JSON, a missing schema entry and a missing column reported by file?"""
    dst = tmp_path / "c"
    shutil.copytree(folders["saas_churn"], dst)
    good = (dst / "schema.json").read_text()
    (dst / "schema.json").write_text("{not json")
    with pytest.raises(CaseError, match=r"schema\.json is not valid JSON"):
        open_case(dst)
    meta = json.loads(good)
    del meta["schema"]["label"]
    (dst / "schema.json").write_text(json.dumps(meta))
    with pytest.raises(CaseError, match=r"schema\.label"):
        open_case(dst)
    (dst / "schema.json").write_text(good)
    off = pd.read_csv(dst / "offline.csv")
    off.drop(columns=[json.loads(good)["schema"]["split"]]).to_csv(dst / "offline.csv", index=False)
    with pytest.raises(CaseError, match=r"offline\.csv has no column 'split'"):
        open_case(dst)


def test_error_is_value_error():
    """Is CaseError a ValueError, so callers can catch either?"""
    assert issubclass(CaseError, ValueError)
