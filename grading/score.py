"""Score a first-experiment card against a variant's truth, item by item.

Items (ids, points and wording live in ``grading/rubrics/autograded.yaml``):

- ``family``: the card names the planted failure family (half for a sibling in the same group).
- ``culprit``: it names the culprit columns, the failing segment or the onset.
- ``discrimination``: its experiment separates the true cause from the rivals (see
  ``grading.discrimination``), relative to the best catalogue experiment for this variant;
  red-flag experiments earn nothing and raise a flag.
- ``expectations``: it states a falsifiable result for both outcomes, in the direction the
  experiment would really move under the candidate's own hypothesis.
- ``decision``: the decision is conditional on the result.
- ``cost``: it weighs the cost of a false positive against a false negative.

Every function here is pure: the same card and truth give the same score, whoever grades.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

from data_generators import registry

from .discrimination import RED_FLAGS, Hypothesis, best_share, discrimination, outcome_under

# The control's answer: nothing planted (``data_generators.NO_FAILURE``).
NO_FAILURE = registry.NO_FAILURE
# A red-flag experiment ("tune the hyperparameters", ...) earns at most this share of the total.
RED_FLAG_CAP = 0.10
DEFAULT_POINTS = {"family": 2, "culprit": 2, "discrimination": 3, "expectations": 1, "decision": 1, "cost": 1}

_POSITIVE = {
    "gap_closes": r"clos|drop|fall|decreas|lower|down|match|near|similar|shrink|disappear|vanish|reduc|converg|in line|back|level",
    "segment_worse": r"wors|lower|drop|below|fail|poor|weak|bad",
    "mix_moved": r"\bmix|share|dominat|concentrat|moved|composition|each level|every level|keeps",
    "shift_found": r"separat|distinguish|drift|shift|differ|above|high|find|found|detect",
    "changed": r"chang|differ|jump|scale|unit|spike|shift|factor|x\s?\d+|times",
    "differs": r"differ|mismatch|disagree|not match|inconsistent|diverg|skew",
    "miscalibrated": r"above|overestim|higher|exceed|too high|miscalib|inflat|match",
    "threshold_change_helps": r"more|recall|catch|lower|reduc|improv|cheaper|fewer",
    "threshold_change_hurts": r"rais|increas|higher|cost more|more cost|wors|more expensive|flags more|hurt",
    "recovers": r"recover|improv|back|restor|better|return|regain",
    "signal_spurious": r"above 0\.5|still|well above|spurious|high|stays? (?:good|high)",
}
_NEGATIVE = (r"stay|remain|unchanged|same|no change|persist|similar|still|not|no |n't|none|flat|neither|"
             r"equal|0\.5|random|agree|match|little|barely|small|leaves|already")
_CONDITIONAL = r"\bif\b|\botherwise\b|\belse\b|\bwhen\b|\bunless\b|\bin that case\b|\bif not\b|\bfalse\b"


@dataclass
class ItemScore:
    id: str
    points: float
    max: float
    evidence: str


@dataclass
class CardScore:
    items: list[ItemScore] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    interpreted: dict | None = None  # the card as the grader read it (free text mapped)
    discrimination: dict | None = None

    @property
    def total(self) -> float:
        return round(sum(i.points for i in self.items), 4)

    @property
    def max(self) -> float:
        return round(sum(i.max for i in self.items), 4)

    def item(self, item_id: str) -> ItemScore:
        return next(i for i in self.items if i.id == item_id)

    def to_dict(self) -> dict:
        return {"total": self.total, "max": self.max, "items": [asdict(i) for i in self.items],
                "flags": list(self.flags), "interpreted": self.interpreted,
                "discrimination": self.discrimination}


# ----------------------------------------------------------------------------- reading a card
_FREE_TEXT_EXPERIMENTS = [
    (r"hyper.?param|\btun(e|ing)\b|grid search|learning rate|random search|optuna", "tune_hyperparameters"),
    (r"more data|collect more|bigger (data|sample)|more samples|more rows", "more_data"),
    (r"bigger model|deeper|neural net|larger model|more trees|deep learning|xgboost|ensemble", "bigger_model"),
    (r"\b(drop|remove|exclude|without|ablat)\w*\b.*\b(feature|column|variable)|retrain without", "drop_columns_retrain"),
    (r"out.of.time|time.based split|split by time|temporal split|forward.chaining|time split", "out_of_time_split"),
    (r"group.?k.?fold|group split|split by (customer|patient|user|entity|account|id)", "group_split"),
    (r"dedup|duplicate", "dedup_then_split"),
    (r"domain classifier|adversarial validation", "domain_classifier"),
    (r"served|recomput|training.serving|feature store|row.by.row", "served_vs_recomputed"),
    (r"before and after|profile", "compare_profiles_before_after"),
    (r"calibrat|reliability", "recalibrate"),
    (r"matur|label lag|wait for (the )?labels|labels? (arrive|delay)", "matured_labels_only"),
    (r"prior|base rate|reweight", "reweight_for_prior"),
    (r"randomi[sz]ed|holdout of random|explore", "randomized_holdout"),
    (r"permut", "label_permutation_test"),
    (r"threshold", "threshold_by_cost"),
    (r"recent|last (few )?weeks|retrain on new", "retrain_on_recent"),
    (r"segment|slice|per (region|group|plan|device|country)|by (region|device|plan|country)", "segment_metrics"),
    (r"\bretrain", "retrain_as_is"),
]
_FREE_TEXT_FAMILIES = [
    (r"nothing (is )?(wrong|broken)|no (real )?(failure|problem)|(within|just|only) noise|not broken", NO_FAILURE),
    (r"after the (outcome|fact|label)|target leak|label leak|future information|leak", "target_leakage"),
    (r"duplicate", "duplicate_leakage"),
    (r"same (customer|patient|user|entity)|group leak|entity leak", "group_leakage"),
    (r"random split|time.travel|temporal leak", "temporal_leakage"),
    (r"unit|schema|upstream|pipeline change|scale chang", "schema_change"),
    (r"train.serv|serving|skew|served", "train_serve_skew"),
    (r"label delay|matur|not yet labelled|immature", "label_delay"),
    (r"prior|base rate|class balance chang", "prior_shift"),
    (r"concept|relationship chang", "concept_drift"),
    (r"covariate|input drift|distribution shift|drift", "covariate_shift"),
    (r"segment|slice|subgroup", "slice_failure"),
    (r"imbalanc|accuracy is the wrong|wrong metric", "imbalance_wrong_metric"),
    (r"calibrat", "calibration_mismatch"),
]


def _match(text: str, table) -> str | None:
    t = text.lower()
    for pattern, name in table:
        if re.search(pattern, t):
            return name
    return None


def _columns_in(text: str, known: list[str]) -> list[str]:
    return [c for c in known if re.search(rf"\b{re.escape(c)}\b", text)]


def _known_families() -> set[str]:
    """The family names a card can give (the engine's vocabulary and the control)."""
    from data_generators.scenario import FAMILIES
    return set(FAMILIES) | {NO_FAILURE}


def interpret(card: dict, *, known_columns: list[str] = ()) -> tuple[dict, list[str]]:
    """Normalise a card: free-text hypothesis or experiment mapped to catalogue names."""
    flags: list[str] = []
    hyp = card.get("hypothesis")
    if isinstance(hyp, str):
        fam = _match(hyp, _FREE_TEXT_FAMILIES)
        hyp = {"family": fam, "columns": _columns_in(hyp, list(known_columns))}
        flags.append("free_text_interpreted")
    hyp = dict(hyp or {})
    fam = hyp.get("family")
    if isinstance(fam, str) and fam.strip() and fam not in _known_families():
        # free text in the family field (a draft the toolkit refused): matched as the rubric promises
        hyp["family"] = _match(fam, _FREE_TEXT_FAMILIES)
        hyp["columns"] = list(hyp.get("columns") or []) or _columns_in(fam, list(known_columns))
        flags.append("free_text_interpreted")
    exp = card.get("experiment")
    if isinstance(exp, str):
        etype = _match(exp, _FREE_TEXT_EXPERIMENTS)
        cols = _columns_in(exp, list(known_columns))
        exp = {"type": etype, "columns": cols} if etype else None
        flags.append("free_text_interpreted")
    exp = dict(exp) if isinstance(exp, dict) else None
    out = {**card, "hypothesis": hyp, "experiment": exp}
    return out, sorted(set(flags))


def _text(card: dict, *keys) -> str:
    return " ".join(str(card.get(k) or "") for k in keys).strip()


def _frac_columns(named: set[str], truth_cols: set[str]) -> float:
    if not truth_cols:
        return 1.0
    hit = named & truth_cols
    if hit == truth_cols and len(named - truth_cols) <= 1:
        return 1.0
    return 0.5 if hit else 0.0


def _onset_frac(named, truth_onset) -> float:
    try:
        a = datetime.fromisoformat(str(named)[:19])
        b = datetime.fromisoformat(str(truth_onset)[:19])
    except (TypeError, ValueError):
        return 0.0
    days = abs((a - b).total_seconds()) / 86400
    return 1.0 if days <= 7 else 0.5 if days <= 21 else 0.0


# ----------------------------------------------------------------------------- the items
def score_card(card: dict | None, truth: dict, *, brief: dict | None = None,
               known_columns: list[str] = (), points: dict | None = None) -> CardScore:
    """Score ``card`` against ``truth``; ``points`` maps item id to its maximum."""
    pts = {**DEFAULT_POINTS, **(points or {})}
    res = CardScore()
    if not card or not isinstance(card, dict) or not any(card.get(k) for k in
                                                         ("hypothesis", "experiment", "evidence", "decision")):
        res.flags.append("card_not_committed")
        res.items = [ItemScore(i, 0.0, float(m), "no card") for i, m in pts.items()]
        return res
    c, flags = interpret(card, known_columns=list(known_columns))
    res.flags += flags
    res.interpreted = {"hypothesis": c["hypothesis"], "experiment": c["experiment"]}
    hyp, exp = c["hypothesis"], c["experiment"]
    fam, tfam = hyp.get("family"), truth["family"]

    # family
    if fam == tfam:
        f, ev = 1.0, f"names {fam}"
    elif fam and registry.kind_of(fam) == registry.kind_of(tfam) not in (None, "control"):
        f, ev = 0.5, f"names {fam}, a sibling of the planted family"
    else:
        f, ev = 0.0, f"names {fam or 'no family'}"
    res.items.append(ItemScore("family", round(f * pts["family"], 4), float(pts["family"]), ev))

    # culprit
    named = set(hyp.get("columns") or []) | set((exp or {}).get("columns") or [])
    if (exp or {}).get("column"):
        named.add(exp["column"])
    parts, ev = [], []
    if truth.get("culprits"):
        fr = _frac_columns(named, set(truth["culprits"]))
        parts.append(fr)
        ev.append(f"columns {sorted(named) or 'none'}: {'right' if fr == 1 else 'partly right' if fr else 'wrong'}")
    if truth.get("segment"):
        seg = hyp.get("segment") or {}
        tcol, tval = next(iter(truth["segment"].items()))
        fr = 1.0 if str(seg.get(tcol)) == str(tval) else 0.5 if (tcol in seg or tcol in named) else 0.0
        parts.append(fr)
        ev.append(f"segment {seg or 'none'}")
    if truth.get("onset"):
        fr = _onset_frac(hyp.get("onset"), truth["onset"])
        parts.append(fr)
        ev.append(f"onset {hyp.get('onset') or 'none'}")
    if parts:
        cf = sum(parts) / len(parts)
    else:
        cf, ev = f, ["nothing to name beyond the family"]
    res.items.append(ItemScore("culprit", round(cf * pts["culprit"], 4), float(pts["culprit"]), "; ".join(ev)))

    # discrimination
    etype = (exp or {}).get("type")
    if etype in RED_FLAGS:
        res.flags.append("red_flag_experiment")
    d = discrimination(exp, truth)
    best = best_share(truth)
    df = min(1.0, d.score / best) if best else 0.0
    res.discrimination = {"share": round(d.score, 4), "best_share": round(best, 4),
                          "true_outcome": d.true_outcome, "rivals": d.rivals}
    sep = sum(r["separated"] for r in d.rivals)
    res.items.append(ItemScore("discrimination", round(df * pts["discrimination"], 4), float(pts["discrimination"]),
                               f"{etype or 'no experiment'} separates {sep} of {len(d.rivals)} rival hypotheses"
                               + (" (red flag: same result whatever the cause)" if d.red_flag else "")))

    # expectations
    yes, no = _text(c, "expected_if_true"), _text(c, "expected_if_false")
    if len(yes) >= 10 and len(no) >= 10 and yes.lower() != no.lower():
        if fam == NO_FAILURE:
            # "nothing is wrong" predicts a null result; its rival predicts that something moves
            right_true = bool(re.search(_NEGATIVE, yes.lower()))
            right_false = any(re.search(p, no.lower()) for p in _POSITIVE.values())
        else:
            own = outcome_under(exp or {}, Hypothesis(fam or "", tuple(hyp.get("columns") or ()),
                                                      tuple((hyp.get("segment") or {}).items())), truth)
            # the direction the experiment really moves under the card's hypothesis: a positive
            # outcome ("gap_closes") or, where it measures its negative one, a null result
            pos = _POSITIVE.get(own.split(":")[0], _NEGATIVE)
            right_true = bool(re.search(pos, yes.lower()))
            right_false = bool(re.search(_NEGATIVE, no.lower()))
        ef = 1.0 if (right_true and right_false) else 0.5
        ev = ("both outcomes stated, in the right direction" if ef == 1
              else "both outcomes stated; the direction does not match what the experiment would show")
    elif yes or no:
        ef, ev = 0.25, "only one outcome stated"
    else:
        ef, ev = 0.0, "no expected result stated"
    res.items.append(ItemScore("expectations", round(ef * pts["expectations"], 4), float(pts["expectations"]), ev))

    # decision
    dec = _text(c, "decision")
    if len(dec) >= 20 and re.search(_CONDITIONAL, dec.lower()):
        df2, ev = 1.0, "decision conditional on the result"
    elif len(dec) >= 10:
        df2, ev = 0.5, "a decision, not tied to the result"
    else:
        df2, ev = 0.0, "no decision"
    res.items.append(ItemScore("decision", round(df2 * pts["decision"], 4), float(pts["decision"]), ev))

    # cost
    alltext = _text(c, "evidence", "expected_if_true", "expected_if_false", "decision").lower()
    fp = re.search(r"false positive|\bfps?\b|wasted|unnecessary", alltext)
    fn = re.search(r"false negative|\bfns?\b|missed|miss\b", alltext)
    amounts = []
    if brief:
        amounts = [brief["cost_false_positive"]["amount"], brief["cost_false_negative"]["amount"]]
    amt = sum(1 for a in amounts if re.search(rf"\b{re.escape(format(a, 'g'))}\b", alltext))
    if (fp and fn) or amt == 2:
        cf2, ev = 1.0, "weighs false positives against false negatives"
    elif fp or fn or amt or re.search(r"cost|precision|recall|money|revenue|loss", alltext):
        cf2, ev = 0.5, "mentions cost or precision/recall, not both error types"
    else:
        cf2, ev = 0.0, "no business cost"
    res.items.append(ItemScore("cost", round(cf2 * pts["cost"], 4), float(pts["cost"]), ev))
    if "red_flag_experiment" in res.flags and res.total > RED_FLAG_CAP * res.max:
        # a random intervention is not a first experiment, however well the rest is phrased
        factor = RED_FLAG_CAP * res.max / res.total
        # rounded down, so the capped items never sum above the cap
        res.items = [ItemScore(i.id, math.floor(i.points * factor * 1e4) / 1e4, i.max,
                               i.evidence + f" (x{factor:.2f}: capped, red-flag experiment)") for i in res.items]
    return res
