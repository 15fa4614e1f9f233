"""Shared fixtures: a private store per test module, and a small saas_churn card."""
from __future__ import annotations

import pytest

from livescreen.sessions import store

ROWS = {"n_offline": 1000, "n_production": 1000}


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh interviewer store for one test (and no engine cached from another)."""
    h = tmp_path / "store"
    monkeypatch.setenv("LIVESCREEN_HOME", str(h))
    monkeypatch.delenv("LIVESCREEN_DB", raising=False)
    store.dispose()
    yield h
    store.dispose()


def card_for(truth: dict, brief: dict | None = None) -> dict:
    from grading.answers import reference_card
    return reference_card(truth, brief=brief)
