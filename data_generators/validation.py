"""Is a variant fair? Measured with plain numpy and scikit-learn on the variant's data.

Three questions, per the family's documented thresholds:
(a) is the failure's symptom visible where a candidate looks, at the size the scenario targets
    (within +/-15%), while the team's own offline report looks healthy;
(b) does the family's reference experiment resolve it;
(c) does no decoy resolve it, and is each decoy visible enough to be a red herring.

The **difficulty index** of a variant, from the same measurements: ``L / (L + S)``, where ``S`` is
the symptom against the family's findability floor (``symptom / measure.minimum``; 1 for the control,
whose symptom is noise by design) and ``L`` the strongest decoy's loudness against its own
visibility bar (a PSI over 0.15, a null-rate rise over 10 points, an importance rank within the
top 3). 0.5 means the loudest decoy stands out as much as the failure does; higher is harder.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .evaluation import Evaluation, evaluate

EFFECT_TOLERANCE = 0.15
MIN_TEAM_AUC = 0.70
DECOY_KEEPS = 0.6  # after removing a decoy, at least this share of the symptom remains


@dataclass
class Check:
    name: str
    value: float
    threshold: str
    passed: bool


@dataclass
class ValidationReport:
    scenario: str
    seed: int
    family: str
    target: float
    effect: float
    checks: list[Check] = field(default_factory=list)
    difficulty: float = float("nan")

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def figure(self, name: str) -> float:
        return next(c.value for c in self.checks if c.name == name)

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def validate_variant(variant) -> ValidationReport:
    """Measure that the planted failure is findable but not obvious; see the module docstring.

    Returns
    -------
    ValidationReport
        ``.passed`` and one ``Check`` (name, value, threshold, passed) per figure.
    """
    family = variant._family
    ev = evaluate(variant)
    symptom = family.symptom(ev)
    target = family.target
    rep = ValidationReport(scenario=variant.scenario, seed=variant.truth.seed, family=family.name,
                           target=round(target, 4), effect=round(symptom, 4))
    add = lambda name, value, thr, ok: rep.checks.append(  # noqa: E731
        Check(name, round(float(value), 4), thr, bool(ok)))
    loud = []
    if family.control:
        # Nothing planted: what a candidate sees must be within noise, and the decoys still show.
        for name, value, thr, ok in family.control_checks(ev):
            add(name, value, thr, ok)
        team = ev.offline_auc
        add("team_offline_auc", team, f">= {MIN_TEAM_AUC} (the team's report looks healthy)", team >= MIN_TEAM_AUC)
        for i, d in enumerate(variant._decoys):
            value, thr, ok = d.visible(variant)
            add(f"decoy_{i}_{d.kind}_visible", value, thr, ok)
            loud.append(d.loudness(value))
        rep.difficulty = _difficulty(1.0, loud)
        return rep
    measure = family.measure
    add("symptom", symptom, f">= {measure.minimum} ({measure.label})", symptom >= measure.minimum)
    rel = symptom / target - 1 if target else float("inf")
    add("effect_band", rel, f"|effect/target - 1| <= {EFFECT_TOLERANCE}", abs(rel) <= EFFECT_TOLERANCE)
    team = ev.offline_auc
    add("team_offline_auc", team, f">= {MIN_TEAM_AUC} (the team's report looks healthy)", team >= MIN_TEAM_AUC)
    residual = family.reference(variant)
    reference_experiment = family.reference_experiment
    limit = reference_experiment.resolve_fraction * symptom
    add("reference", residual, f"<= {reference_experiment.resolve_fraction} x symptom = {limit:.4f} "
        f"({reference_experiment.label})", residual <= limit)
    for name, value, thr, ok in family.extra_checks(variant):
        add(name, value, thr, ok)
    for i, d in enumerate(variant._decoys):
        cols = variant.truth.decoys[i]["columns"]
        if d.fix == "exclude" and d.segment:
            ev_d = _leave_out(ev, d.segment)
        else:
            ev_d = _refit_without(variant, cols)
        left = family.symptom(ev_d)
        add(f"decoy_{i}_{d.kind}_does_not_resolve", left,
            f">= {DECOY_KEEPS} x symptom = {DECOY_KEEPS * symptom:.4f}", left >= DECOY_KEEPS * symptom)
        value, thr, ok = d.visible(variant)
        add(f"decoy_{i}_{d.kind}_visible", value, thr, ok)
        loud.append(d.loudness(value))
    rep.difficulty = _difficulty(symptom / measure.minimum if measure.minimum else 1.0, loud)
    return rep


def _difficulty(signal: float, loudness: list) -> float:
    """``L / (L + S)``: the loudest decoy against the failure's own strength (see the module docstring)."""
    loud = max((x for x in loudness if x is not None), default=0.0)
    signal = max(float(signal), 1e-9)
    return round(float(loud / (loud + signal)), 4)


def _leave_out(ev: Evaluation, segment: dict) -> Evaluation:
    """The team's evaluation without a segment's rows. The team's own model is not refitted: its
    scores of the remaining rows are the served ones, already in ``ev`` (a row's score does not
    depend on which other rows are scored with it)."""
    keep = lambda f: f[~_in_segment(f, segment)]  # noqa: E731
    return Evaluation(features=ev.features, offline_test=keep(ev.offline_test), production=keep(ev.production),
                      label=ev.label, timestamp=ev.timestamp)


def _refit_without(variant, cols) -> Evaluation:
    """The team's recipe retrained without ``cols``, scoring what a symptom reads: the offline test
    rows and the production rows whose label is known (``Evaluation.labelled``). The other
    production rows keep a NaN score, so a symptom that read them would show NaN, not a figure."""
    lab = variant.production[variant.schema["label"]].notna().to_numpy()
    ev = evaluate(variant, drop=cols, production=variant.production[lab])
    score = np.full(len(lab), np.nan)
    score[lab] = ev.production["score"].to_numpy()
    ev.production = variant.production.assign(score=score)
    return ev


def _in_segment(frame, segment: dict):
    mask = None
    for col, val in segment.items():
        m = (frame[col].astype(str) == str(val)).to_numpy()
        mask = m if mask is None else mask & m
    return mask
