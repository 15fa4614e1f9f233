"""The check's speed-ups change no figure (the speed itself is benchmarks/bench_authoring.py's).

`scenario check` spreads its variants over worker processes, each on one native thread, and the
suspicious-legit decoy's permutation importance is computed from one batched prediction. Each is
checked here against the plain path on small worlds: the same numbers, not merely close ones.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.inspection import permutation_importance

from data_generators import build_variant, load_scenario, validate_variant
from data_generators.authoring import measure
from data_generators.decoys.suspicious_legit import permutation_auc_importance
from data_generators.scenario import Scenario

SMALL = {"n_offline": 1500, "n_production": 1500}


@pytest.mark.parametrize("name", ["saas_churn", "telecom_churn"])  # gradient boosting, logistic regression
def test_batched_permutation_importance_is_scikit_learns(name):
    v = build_variant(name, 3, **SMALL)
    s = v.schema
    test = v.offline[v.offline[s["split"]] == "test"]
    feats = v.model.features_
    y = test[s["label"]].astype(int)
    ours = permutation_auc_importance(v.model, test[feats], y, n_repeats=2, random_state=0)
    theirs = permutation_importance(v.model, test[feats], y, scoring="roc_auc", n_repeats=2,
                                    random_state=0).importances_mean
    assert v.model_card["kind"] in ("gradient_boosting", "logistic_regression")
    np.testing.assert_array_equal(ours, theirs)


def test_measure_in_worker_processes_gives_the_plain_figures():
    base = load_scenario("saas_churn")
    spec = {**base.spec, "failures": base.spec["failures"][:2]}
    sc = Scenario(name=base.name, spec=spec, path=base.path)
    figs = measure(sc, seeds=[1], compare_shipped=False, jobs=2, **SMALL)
    for fam, f in zip(sc.pool, figs):
        plain = validate_variant(build_variant(sc, 1, family=fam, **SMALL))  # this process, default threads
        assert f.family == fam and f.measured == [plain.effect] and f.difficulty == [plain.difficulty]
        assert f.passed == int(plain.passed) and f.auc == [plain.figure("team_offline_auc")]
        assert f.failures == [f"seed 1: {c.name}={c.value} ({c.threshold})" for c in plain.failed]


@pytest.mark.parametrize("family", ["prior_shift", "simpson_mix"])
def test_evaluation_without_changes_reads_the_served_scores(family):
    """``evaluate(variant)`` reuses the scores the variant was built with; they are the model's own."""
    from data_generators.evaluation import evaluate
    from livescreen.toolkit import model as team_model
    v = build_variant("saas_churn", 2, family=family, **SMALL)
    ev = evaluate(v)
    np.testing.assert_array_equal(ev.offline_test["score"].to_numpy(), team_model.predict(v.model, ev.offline_test))
    np.testing.assert_array_equal(ev.production["score"].to_numpy(), team_model.predict(v.model, ev.production))
