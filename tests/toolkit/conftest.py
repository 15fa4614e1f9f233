"""Candidate folders written once per session from real variants at a small size.

The truth is read here, in the tests only, to check that experiments detect what they should; the
toolkit itself never sees it.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

SIZES = {"n_offline": 4000, "n_production": 4000}


@pytest.fixture(scope="session")
def variants(small_variant_factory):
    """Variants by scenario name, built once (seed 0, 4,000 + 4,000 rows unless asked)."""
    cache = {}

    def get(scenario: str, seed: int = 0, n: int = SIZES["n_offline"]):
        if (scenario, seed, n) not in cache:
            cache[(scenario, seed, n)] = small_variant_factory(scenario, seed, n_offline=n, n_production=n)
        return cache[(scenario, seed, n)]
    return get


@pytest.fixture(scope="session")
def folders(tmp_path_factory, variants):
    """Candidate folders written by ``Variant.write`` (saas_churn and telecom_churn, seed 0)."""
    root = tmp_path_factory.mktemp("candidates")
    out = {}
    for name in ("saas_churn", "telecom_churn"):
        out[name] = variants(name).write(root / name)
    return out


@pytest.fixture(scope="session")
def cases(folders):
    """Cases opened from the written folders."""
    from livescreen.toolkit import open_case
    return {name: open_case(path) for name, path in folders.items()}


@pytest.fixture(scope="session")
def case_of(variants):
    """A Case built in memory from a scenario's variant, as the grader builds it."""
    from livescreen.toolkit import Case
    cache = {}

    def get(scenario: str, seed: int = 0, n: int = SIZES["n_offline"]):
        if (scenario, seed, n) not in cache:
            v = variants(scenario, seed, n)
            cache[(scenario, seed, n)] = Case.from_frames(offline=v.offline, production=v.production,
                                                          recomputed=v.recomputed, metadata=v.metadata())
        return cache[(scenario, seed, n)]
    return get


@pytest.fixture
def fresh_case(folders):
    """A case of its own (nothing cached), in a copy of the folder so cards can be committed."""
    import shutil

    from livescreen.toolkit import open_case

    def make(tmp_path, name="saas_churn"):
        dst = tmp_path / name
        shutil.copytree(folders[name], dst)
        return open_case(dst)
    return make
