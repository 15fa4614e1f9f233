"""Shared fixtures: a private store per test module, and a small saas_churn card."""
from __future__ import annotations

import pytest

from livescreen.sessions import store

# measure=False: no measuring process at creation; a session whose card is scored (close, grade)
# has its outcomes measured then, in the scoring process (``livescreen.sessions.measuring.ready``).
# Most of these sessions are never scored; test_session.py checks the background measurement.
ROWS = {"n_offline": 3000, "n_production": 3000, "measure": False}

# The secret seeds these tests' sessions draw: two fixed numbers in turn instead of 63 random bits,
# so every session that is scored (close, grade, the console's scorecard) grades the same variant,
# saas_churn seed 4 at 3,000 rows a side, the one tests/grading grades with real nbgrader: its
# outcomes are measured once for the run (tests/conftest.py shared_measurements). The draw itself
# is tested as it runs (REAL_SEED: the tests that check a real draw and that no folder shows it).
SEEDS = (4, 5)
REAL_SEED = {"test_new_session_keeps_the_seed_and_truth_on_the_interviewer_side"}


@pytest.fixture(autouse=True)
def shared_seeds(request, monkeypatch):
    import itertools
    import secrets
    import types

    from livescreen.sessions import session
    if request.node.originalname in REAL_SEED:
        return
    draws = itertools.cycle(SEEDS)
    fake = types.SimpleNamespace(**{k: getattr(secrets, k) for k in dir(secrets) if not k.startswith("_")})
    fake.randbits = lambda k: next(draws) % (1 << k)
    monkeypatch.setattr(session, "secrets", fake)


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
