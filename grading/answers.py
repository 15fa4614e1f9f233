"""Answer keys: the reference first experiment for each failure family, built from a truth.

Also the synthetic submissions the grader's own tests rank (reference, blank, "tune the
hyperparameters", right family with the wrong culprit, a decoy-chaser, a good experiment with no
stated expectation). Grading side only.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

TRUTH_ENV = "LIVESCREEN_TRUTH"

# family -> (experiment type, how its parameters follow from the truth)
REFERENCE_EXPERIMENT = {
    "target_leakage": "drop_columns_retrain",
    "temporal_leakage": "out_of_time_split",
    "group_leakage": "group_split",
    # a label-permutation test cannot re-run the team's encoding on the candidate's data (see
    # grading.discrimination.KNOWN_DISAGREEMENTS); retraining without the encoded column can
    "preprocessing_leakage": "drop_columns_retrain",
    "duplicate_leakage": "dedup_then_split",
    "covariate_shift": "domain_classifier",
    "prior_shift": "reweight_for_prior",
    "concept_drift": "retrain_on_recent",
    "schema_change": "compare_profiles_before_after",
    "train_serve_skew": "served_vs_recomputed",
    "selection_bias": "randomized_holdout",
    "slice_failure": "segment_metrics",
    "simpson_mix": "segment_metrics",
    "imbalance_wrong_metric": "threshold_by_cost",
    "calibration_mismatch": "threshold_by_cost",  # recalibrate fails under most failures (measured)
    "label_delay": "matured_labels_only",
    # the control: an experiment that would show a real failure if there were one
    "no_failure": "retrain_on_recent",
}

_EXPECT = {
    "target_leakage": ("offline AUC falls to about the online level once {cols} is dropped",
                       "offline AUC stays well above online without {cols}"),
    "temporal_leakage": ("an out-of-time split scores near the online AUC, far below the random split",
                         "the out-of-time split scores like the random split"),
    "group_leakage": ("grouping the split by {cols} brings offline AUC down to the online level",
                      "the grouped split scores like the random split"),
    "preprocessing_leakage": ("retrained without {cols}, offline AUC falls to about the online level",
                              "offline AUC stays well above online without {cols}"),
    "duplicate_leakage": ("after removing duplicates before the split, offline AUC drops to the online level",
                          "deduplicating changes offline AUC by little"),
    "covariate_shift": ("a domain classifier separates offline from production, driven by {cols}",
                        "the domain classifier is near AUC 0.5 or points elsewhere"),
    "prior_shift": ("reweighting for the new positive rate brings scores and rates back in line",
                    "reweighting for the prior leaves the gap"),
    "concept_drift": ("a model retrained on data after {onset} recovers the offline level",
                      "retraining on recent data does not recover"),
    "schema_change": ("{cols} changes scale or profile sharply at {onset}",
                      "profiles before and after {onset} match"),
    "train_serve_skew": ("served {cols} differs row by row from its offline recomputation",
                         "served and recomputed values agree"),
    "selection_bias": ("on a randomized holdout the model scores below its approved-only estimate",
                       "the randomized holdout agrees with the approved-only estimate"),
    "slice_failure": ("{segment} scores far below the rest, with non-overlapping intervals",
                      "no segment is worse beyond noise"),
    "simpson_mix": ("standardised to one segment mix the comparison reverses",
                    "the comparison holds after standardising the mix"),
    "imbalance_wrong_metric": ("a cost-based threshold catches many more positives at lower total cost",
                               "moving the threshold does not lower the cost"),
    "calibration_mismatch": ("scores sit far above the observed rate, so a threshold set by cost on them flags far fewer and lowers the cost",
                             "moving the threshold does not lower the cost"),
    "label_delay": ("on matured rows only, precision and AUC are back at the offline level",
                    "matured rows show the same drop"),
    "no_failure": ("the result stays within its confidence band: no segment, feature or period differs beyond noise",
                   "a segment, a feature or a period drops below the rest outside its confidence band"),
}

_DECIDE = {
    "target_leakage": "If true, remove {cols} from the features (it is recorded after the outcome) and retrain; if false, look at drift next.",
    "temporal_leakage": "If true, evaluate with out-of-time splits and drop the time proxy; if false, look for a failing segment.",
    "group_leakage": "If true, split by entity and re-estimate before any launch decision; if false, check drift.",
    "preprocessing_leakage": "If true, move the encoding inside the cross-validation pipeline; if false, investigate drift.",
    "duplicate_leakage": "If true, deduplicate and split before resampling; if false, check the features.",
    "covariate_shift": "If true, reweight or retrain on production-like data for {cols}; if false, check for label issues.",
    "prior_shift": "If true, correct for the new prior and reset the threshold; if false, look for concept drift.",
    "concept_drift": "If true, retrain on recent data and monitor; if false, check the data pipeline.",
    "schema_change": "If true, fix the unit of {cols} upstream and backfill; if false, look at the labels.",
    "train_serve_skew": "If true, serve {cols} from the same code path as training; if false, look at drift.",
    "selection_bias": "If true, keep a randomized holdout and reweight; if false, keep the model.",
    "slice_failure": "If true, fix {segment} (features or a segment model) before rollout; if false, look at drift.",
    "simpson_mix": "If true, compare at a fixed mix before deciding; if false, keep the new model.",
    "imbalance_wrong_metric": "If true, set the threshold by cost and report recall/PR-AUC; if false, retrain with more signal.",
    "calibration_mismatch": "If true, recalibrate or prior-correct and re-set the threshold; if false, check drift.",
    "label_delay": "If true, evaluate only matured cohorts and wait before alarming; if false, investigate drift.",
    "no_failure": "If nothing moves beyond noise, keep the model and set an alert on the weekly band; otherwise investigate what moved.",
}

COST_SENTENCE = ("A false negative costs {fn} {cur} against {fp} {cur} for a false positive, so the "
                 "threshold should favour recall.")


def _fmt(text: str, truth: dict) -> str:
    seg = truth.get("segment") or {}
    return text.format(cols=", ".join(truth.get("culprits") or []) or "the culprit",
                       onset=truth.get("onset") or "the change",
                       segment=", ".join(f"{k}={v}" for k, v in seg.items()) or "the segment")


def experiment_for(family: str, truth: dict, *, schema: dict | None = None) -> dict:
    """The reference experiment (type and parameters) for a truth."""
    etype = REFERENCE_EXPERIMENT[family]
    exp: dict = {"type": etype}
    culprits = truth.get("culprits") or []
    if etype == "drop_columns_retrain":
        exp["columns"] = list(culprits)
    elif etype == "group_split":
        exp["column"] = culprits[0] if culprits else (schema or {}).get("id")
    elif etype == "segment_metrics":
        seg = truth.get("segment") or {}
        exp["column"] = next(iter(seg), culprits[0] if culprits else None)
    elif etype == "compare_profiles_before_after" and truth.get("onset"):
        exp["onset"] = str(truth["onset"])[:10]
    elif etype in ("domain_classifier", "served_vs_recomputed") and culprits:
        exp["columns"] = list(culprits)
    return exp


def reference_card(truth: dict, *, brief: dict | None = None) -> dict:
    """The full-marks card for a variant's truth."""
    fam = truth["family"]
    hyp = {"family": fam, "columns": list(truth.get("culprits") or []),
           "segment": truth.get("segment"), "onset": str(truth["onset"])[:10] if truth.get("onset") else None}
    experiment = best_experiment(truth)
    # the expected results follow the experiment on the card: the family's own reference, or the
    # family whose reference experiment it is when another experiment separates more rivals
    owner = next((f for f, e in REFERENCE_EXPERIMENT.items() if e == experiment["type"]), fam)
    yes, no = _EXPECT[fam if fam == "no_failure" or experiment["type"] == REFERENCE_EXPERIMENT[fam] else owner]
    cost = ""
    if brief:
        cost = " " + COST_SENTENCE.format(fn=brief["cost_false_negative"]["amount"],
                                          fp=brief["cost_false_positive"]["amount"],
                                          cur=brief.get("currency", ""))
    return {
        "hypothesis": hyp,
        "evidence": _fmt("The offline report and production disagree, and the explorers point at "
                         "{cols}.", truth),
        "experiment": experiment,
        "expected_if_true": _fmt(yes, truth),
        "expected_if_false": _fmt(no, truth),
        "decision": _fmt(_DECIDE[fam], truth) + cost,
    }


def reference_card_for_session() -> dict:
    """The reference card for the variant whose truth file ``$LIVESCREEN_TRUTH`` names.

    Used by the solution notebook on the instructor side; a candidate's environment has no truth.
    """
    path = os.environ.get(TRUTH_ENV)
    if not path or not Path(path).is_file():
        raise RuntimeError(f"set {TRUTH_ENV} to the variant's truth file to build the reference answer")
    truth = json.loads(Path(path).read_text())
    brief = None
    meta = Path("schema.json")
    if meta.is_file():
        brief = json.loads(meta.read_text()).get("brief")
    return reference_card(truth, brief=brief)


def best_experiment(truth: dict) -> dict:
    """The family's reference experiment, unless another catalogue experiment separates more rivals."""
    from .discrimination import candidate_experiments, discrimination
    ref = experiment_for(truth["family"], truth)
    best, best_score = ref, discrimination(ref, truth).score
    for exp in candidate_experiments(truth):
        sc = discrimination(exp, truth).score
        if sc > best_score + 1e-9:
            best, best_score = exp, sc
    return best
