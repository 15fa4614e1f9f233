"""Score an experiment by the rival hypotheses it can rule out, from measured outcomes.

A variant's hypothesis set H holds the true cause, one rival per planted decoy (what a candidate
who believed the decoy would suspect: the decoy kind's ``rival``) and the other families of the
scenario's pool (what this world could have planted instead). An experiment e discriminates a
rival r when what e gives in r's world differs from what it gives on the candidate's own data; the
discrimination score is the share of rivals it separates. A red-flag experiment ("tune the
hyperparameters") scores 0 whatever it measures.

The outcomes are **measured** (``grading.measured``): the true outcome on the candidate's data,
a pool rival's in the same seed's world with that family planted instead, a decoy rival's in the
same seed's world with nothing planted but the decoys. They are stored in the truth when the
candidate folder is made, so grading is a look-up; an experiment with other parameters is measured
in the grader's process. An experiment that cannot run on the candidate's data separates nothing.

The outcome table each family declares (``Family.outcomes``, read by ``declared_outcome``) is
documentation: ``tests/grading/test_discrimination.py`` reports how often it agrees with the
measurements. The grader reads it only for the direction a card's own hypothesis predicts when
that hypothesis is outside H (``outcome_under``), and for a truth whose scenario file the grading
process cannot see (nothing to rebuild the worlds from, ``measured.Unmeasurable``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The experiment catalogue belongs to the candidate toolkit; the families' outcomes to the registry.
from data_generators import registry  # noqa: E402
from livescreen.toolkit.experiments import CATALOGUE, OUTCOMES, RED_FLAGS  # noqa: E402,F401

# Experiments whose parameters name columns: the family's positive outcome needs its culprit named.
COLUMN_TARGETED = {"drop_columns_retrain"}


def decoy_hypothesis() -> dict[str, str]:
    """What a candidate chasing each decoy kind would suspect (the decoys' ``rival``)."""
    return {kind: cls.rival for kind, cls in registry.decoys().items() if cls.rival}


# Rivals every scenario shares when the scenario's pool is not known (a scenario file elsewhere).
GENERIC_RIVALS = ("concept_drift", "label_delay", "temporal_leakage", "prior_shift")


@dataclass(frozen=True)
class Hypothesis:
    family: str
    columns: tuple[str, ...] = ()
    segment: tuple[tuple[str, str], ...] = ()
    source: str = "generic"  # "truth", "decoy:<kind>" or "generic"
    # the world it lives in: the variant's decoys as (kind, first column), there whatever the cause
    world: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def decoy_column(self, kind: str) -> str | None:
        return next((c for k, c in self.world if k == kind), None)

    @property
    def segment_column(self) -> str | None:
        return self.segment[0][0] if self.segment else None


@dataclass
class Discrimination:
    score: float
    true_outcome: str
    rivals: list[dict] = field(default_factory=list)  # each: hypothesis, outcome, separated
    red_flag: bool = False


def hypothesis_set(truth: dict, *, id_column: str | None = None) -> tuple[Hypothesis, list[Hypothesis]]:
    """The true cause and its rivals for a variant's truth."""
    seg = tuple((truth.get("segment") or {}).items())
    world = tuple((d["kind"], d["columns"][0]) for d in truth.get("decoys", []) if d.get("columns"))
    true = Hypothesis(truth["family"], tuple(truth.get("culprits") or ()), seg, "truth", world)
    rivals: list[Hypothesis] = []
    rival_of = decoy_hypothesis()
    for d in truth.get("decoys", []):
        fam = rival_of.get(d["kind"])
        if fam is None:
            continue
        dseg = tuple((d.get("segment") or {}).items())
        rivals.append(Hypothesis(fam, tuple(d.get("columns") or ()), dseg, f"decoy:{d['kind']}", world))
    for fam in pool_rivals(truth):
        if fam != true.family:
            rivals.append(Hypothesis(fam, world=world))
    uniq, seen = [], {true}
    for r in rivals:
        if r not in seen:
            uniq.append(r)
            seen.add(r)
    return true, uniq


def pool_rivals(truth: dict) -> tuple[str, ...]:
    """The other families of the scenario's pool (what else this world could have planted), or
    the generic rivals when this process cannot load the scenario (``measured.scenario_of``: the
    file the truth's measurement recorded, else its name); the control is not a rival."""
    try:
        from .measured import scenario_of
        pool = scenario_of(truth).pool
    except Exception:  # a scenario file the grading side cannot see
        return GENERIC_RIVALS
    return tuple(f for f in pool if registry.kind_of(f) != "control")


def declared(h: Hypothesis, etype: str) -> str | None:
    """The family's declared outcome of ``etype`` when it is the cause, or None (the negative)."""
    cls = registry.families().get(h.family)
    o = cls.outcomes.get(etype) if cls else None
    if o is None:
        return None
    if "{culprit}" in o and not h.columns or "{segment}" in o and not h.segment:
        return None
    return o.format(culprit=h.columns[0] if h.columns else "", segment=h.segment_column or "")


def declared_outcome(experiment: dict, h: Hypothesis) -> str:
    """What ``experiment`` would show if ``h`` were the cause, by the families' declared tables
    (documentation, checked against measurements; not what the grader scores by)."""
    etype = experiment.get("type")
    if etype in RED_FLAGS or etype is None:
        return "no_information"
    cols = set(_as_list(experiment.get("columns")) + _as_list(experiment.get("column")))
    negative = OUTCOMES.get(etype, ("", "unknown"))[1]
    mine = declared(h, etype)
    if etype in COLUMN_TARGETED:
        return mine if mine and cols & set(h.columns) else negative
    if etype == "segment_metrics":
        if mine and h.segment_column in cols | {None}:
            return mine
        return negative
    drift, nulls = h.decoy_column("harmless_drift"), h.decoy_column("null_jump")
    if etype == "domain_classifier":
        # the harmless drift is a real shift: the classifier finds it whatever the cause
        return mine or (f"shift_found:{drift}" if drift else negative)
    if etype == "compare_profiles_before_after":
        if cols:  # the comparison is restricted to the card's columns
            if mine and mine.split(":", 1)[1] in cols:
                return mine
            return next((f"changed:{c}" for c in (nulls, drift) if c and c in cols), negative)
        # a null-rate jump is the largest change of profile there is; then the cause's own change
        if nulls:
            return f"changed:{nulls}"
        return mine or (f"changed:{drift}" if drift else negative)
    return mine or negative


def discrimination(experiment: dict | str | None, truth: dict) -> Discrimination:
    """Share of rival hypotheses whose measured outcome under ``experiment`` differs from the
    candidate's (see ``grading.measured``)."""
    from .measured import CANNOT_RUN, Unmeasurable, outcomes_of, world_of
    if not isinstance(experiment, dict):
        return Discrimination(0.0, "no_information", red_flag=False)
    true, rivals = hypothesis_set(truth)
    if experiment.get("type") in RED_FLAGS or experiment.get("type") not in CATALOGUE:
        return Discrimination(0.0, "no_information",
                              [{"hypothesis": _h(r), "outcome": "no_information", "separated": False} for r in rivals],
                              red_flag=experiment.get("type") in RED_FLAGS)
    try:
        outs = outcomes_of(experiment, truth)
    except Unmeasurable:  # a scenario file the grading side cannot see: the declared tables
        outs = {world_of(h): declared_outcome(experiment, h) for h in [true, *rivals]}
    o_true = outs[world_of(true)]
    rows = []
    for r in rivals:
        o = outs[world_of(r)]
        rows.append({"hypothesis": _h(r), "world": world_of(r), "outcome": o,
                     "separated": o != o_true and o_true != CANNOT_RUN})
    score = sum(r["separated"] for r in rows) / len(rows) if rows else 0.0
    return Discrimination(score, o_true, rows)


def outcome_under(experiment: dict, h: Hypothesis, truth: dict) -> str:
    """What ``experiment`` shows if ``h`` is the cause: measured when ``h``'s family is the true one
    or a pool rival (its world), declared otherwise."""
    from .measured import TRUE_WORLD, Unmeasurable, outcomes_of
    etype = (experiment or {}).get("type")
    if etype not in CATALOGUE:
        return "no_information"
    _, rivals = hypothesis_set(truth)
    world = TRUE_WORLD if h.family == truth["family"] else next(
        (f"pool:{r.family}" for r in rivals if r.source == "generic" and r.family == h.family), None)
    if world is None:
        return declared_outcome(experiment, h)
    try:
        return outcomes_of(experiment, truth)[world]
    except Unmeasurable:
        return declared_outcome(experiment, h)


def _h(h: Hypothesis) -> dict:
    return {"family": h.family, "columns": list(h.columns), "segment": dict(h.segment) or None,
            "source": h.source}


def _as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple, set)) else [v]


def candidate_experiments(truth: dict) -> list[dict]:
    """Every catalogue experiment, with each parameter a hypothesis in H could suggest."""
    true, rivals = hypothesis_set(truth)
    cols = {c for h in [true, *rivals] for c in h.columns}
    segcols = {h.segment_column for h in [true, *rivals] if h.segment}
    out: list[dict] = []
    for etype in CATALOGUE:
        if etype == "drop_columns_retrain":
            out += [{"type": etype, "columns": [c]} for c in sorted(cols)]
        elif etype == "segment_metrics":
            out += [{"type": etype, "column": c} for c in sorted(segcols)]
        elif etype == "compare_profiles_before_after":
            # the whole table, and each suspect column on its own (from the truth's onset when it has one)
            out.append({"type": etype})
            onset = {"onset": str(truth["onset"])[:10]} if truth.get("onset") else {}
            out += [{"type": etype, "columns": [c], **onset} for c in sorted(cols | segcols)]
        else:
            out.append({"type": etype})
    return out


def best_share(truth: dict) -> float:
    """The highest discrimination share any catalogue experiment reaches for this truth."""
    return max((discrimination(e, truth).score for e in candidate_experiments(truth)), default=1.0) or 1.0
