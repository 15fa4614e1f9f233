"""The check's speed-ups change no figure (the speed itself is benchmarks/bench_authoring.py's).

`scenario check` spreads its variants over worker processes, each on one native thread, and the
suspicious-legit decoy's permutation importance is computed from one batched prediction. Each is
checked here against the plain path on small worlds: the same numbers, not merely close ones (the
importances to 1e-14, their AUCs being rank statistics, and in the same order, which is the figure).
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


def _same_scores(a, b):
    """The same scores, to the last bit or two: a linear model's matrix product over a subset of rows
    may sum in another order than over all rows (seen: 1 score of 337 off by 2.2e-16)."""
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


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
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)  # the AUCs: ranks vs scikit-learn's curve
    assert list(np.argsort(-ours, kind="stable")) == list(np.argsort(-theirs, kind="stable"))


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


@pytest.mark.parametrize("name", ["saas_churn", "telecom_churn"])  # gradient boosting, logistic regression
def test_validators_shortcuts_score_as_the_plain_evaluation(name):
    """Do the validator's shortcuts give the plain evaluation's scores: a segment left out reads the
    served scores instead of predicting them again, a decoy's refit scores only the rows a symptom
    reads (the others NaN), and the served model on changed production reads its test scores?"""
    from data_generators.evaluation import evaluate
    from data_generators.validation import _in_segment, _leave_out, _refit_without
    from livescreen.toolkit import model as team_model
    v = build_variant(name, 4, **SMALL)
    s = v.schema
    (d,) = [d for d in v._decoys if d.fix == "exclude" and d.segment]
    ev = evaluate(v)
    fast = _leave_out(ev, d.segment)
    keep = lambda f: ~_in_segment(f, d.segment)  # noqa: E731
    plain = evaluate(v, test=ev.offline_test[keep(ev.offline_test)].drop(columns="score"),
                     production=v.production[keep(v.production)], refit=False)
    for a, b in ((fast.offline_test, plain.offline_test), (fast.production, plain.production)):
        _same_scores(a["score"].to_numpy(), b["score"].to_numpy())
    cols = v.truth.decoys[0]["columns"]
    fast, plain = _refit_without(v, cols), evaluate(v, drop=cols)
    lab = v.production[s["label"]].notna().to_numpy()
    assert 0 < lab.sum() < len(lab)
    np.testing.assert_array_equal(fast.offline_test["score"].to_numpy(), plain.offline_test["score"].to_numpy())
    _same_scores(fast.production["score"].to_numpy()[lab], plain.production["score"].to_numpy()[lab])
    assert np.isnan(fast.production["score"].to_numpy()[~lab]).all()
    changed = v.production.assign(**{cols[0]: v.production[cols[0]] * 2})
    served = evaluate(v, production=changed, refit=False)
    np.testing.assert_array_equal(served.offline_test["score"].to_numpy(), team_model.predict(v.model, served.offline_test))
