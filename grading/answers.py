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

from data_generators import registry


def reference_experiment(family: str) -> str:
    """The family's reference experiment: the first of its module's expert first experiments."""
    return registry.get_family(family).expert[0][0]


COST_SENTENCE = ("A false negative costs {fn} {cur} against {fp} {cur} for a false positive, so the "
                 "threshold should favour recall.")


def _fmt(text: str, truth: dict) -> str:
    seg = truth.get("segment") or {}
    return text.format(cols=", ".join(truth.get("culprits") or []) or "the culprit",
                       onset=truth.get("onset") or "the change",
                       segment=", ".join(f"{k}={v}" for k, v in seg.items()) or "the segment")


def experiment_for(family: str, truth: dict, *, schema: dict | None = None, etype: str | None = None) -> dict:
    """The reference experiment (type and parameters) for a truth, or experiment ``etype`` with its
    parameters filled from the truth."""
    etype = etype or reference_experiment(family)
    exp: dict = {"type": etype}
    culprits = truth.get("culprits") or []
    if etype == "drop_columns_retrain":
        exp["columns"] = list(culprits)
    elif etype == "group_split":
        exp["column"] = culprits[0] if culprits else (schema or {}).get("id")
    elif etype == "segment_metrics":
        seg = truth.get("segment") or {}
        exp["column"] = next(iter(seg), culprits[0] if culprits else None)
    elif etype == "compare_profiles_before_after":
        if truth.get("onset"):
            exp["onset"] = str(truth["onset"])[:10]
        seg = list(truth.get("segment") or {})
        if culprits or seg:  # the columns the hypothesis names (the comparison is restricted to them)
            exp["columns"] = list(dict.fromkeys(seg + list(culprits)))
    elif etype in ("domain_classifier", "served_vs_recomputed") and culprits:
        exp["columns"] = list(culprits)
    return exp


def reference_card(truth: dict, *, brief: dict | None = None, experiment: dict | None = None) -> dict:
    """The full-marks card for a variant's truth (with ``experiment``: the same card running that
    experiment instead, its expected results those of the family whose reference it is)."""
    fam = truth["family"]
    hyp = {"family": fam, "columns": list(truth.get("culprits") or []),
           "segment": truth.get("segment"), "onset": str(truth["onset"])[:10] if truth.get("onset") else None}
    experiment = experiment or best_experiment(truth)
    # the expected results follow the experiment on the card: the family's own reference, or the
    # family whose reference experiment it is when another experiment separates more rivals
    fams = registry.families()
    owner = next((f for f, c in fams.items() if c.expert[0][0] == experiment["type"]), fam)
    if fam == registry.NO_FAILURE or experiment["type"] == reference_experiment(fam):
        yes, no = fams[fam].expected
    else:  # the family's own words for that experiment, else those of the family leading with it
        yes, no = fams[fam].expected_with.get(experiment["type"], fams[owner].expected)
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
        "decision": _fmt(fams[fam].decision, truth) + cost,
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
    """The family's reference experiment, unless another catalogue experiment separates more rivals
    by the outcomes measured for this truth (a truth without measured outcomes: the reference)."""
    from .discrimination import candidate_experiments, discrimination
    ref = experiment_for(truth["family"], truth)
    if not (truth.get("outcomes") or {}).get("worlds"):
        return ref
    best, best_score = ref, discrimination(ref, truth).score
    for exp in candidate_experiments(truth):
        sc = discrimination(exp, truth).score
        if sc > best_score + 1e-9:
            best, best_score = exp, sc
    return best
