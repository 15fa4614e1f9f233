"""What every failure family and decoy provides to the variant builder and the validator."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..errors import ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from ..evaluation import Evaluation
    from ..variant import Variant
    from ..world import Column, World

# Symptom sentences (candidate-visible) that several families share: stakeholders see the same thing
# whichever of them is the cause, so each sentence is written here once and named in ``symptoms``.
RANKS_FAR_WORSE_THAN_OFFLINE = "Since launch the model ranks {entity}s far less well than the offline report promised."
RANKS_WORSE_THAN_OFFLINE = "Since launch the model ranks {entity}s less well than the offline report promised."
RANKS_WORSE_LATELY = "For the last few weeks the model ranks {entity}s less well than it did at first."


@dataclass(frozen=True, kw_only=True)
class Measure:
    """How a family's symptom is measured and judged by the validator.

    Parameters
    ----------
    label : str
        What ``Family.symptom`` returns, in words, for reports.
    effect : float
        The default target size of the symptom, in its units. A scenario's pool entry may override
        it with its own ``effect`` (the figure ``livescreen validate`` measures for it); the
        validator checks that a variant's symptom lies within +/-15% of the target.
    minimum : float
        The findability floor: a symptom below it is too weak to find, and the difficulty index
        reads the symptom against it. The control declares 0: its symptom is noise by design and
        its own checks judge it.
    """

    label: str
    effect: float
    minimum: float


@dataclass(frozen=True, kw_only=True)
class ReferenceExperiment:
    """The family's most telling experiment, as the validator runs it (``Family.reference``).

    Parameters
    ----------
    label : str
        What ``Family.reference`` runs and returns, in words, for reports.
    resolve_fraction : float
        ``Family.reference`` must leave at most this share of the symptom for the experiment to
        count as resolving the failure.
    """

    label: str
    resolve_fraction: float


@dataclass(frozen=True, kw_only=True)
class AddedColumn:
    """A column a family adds to the world, in which it plants the failure (``Family.add_column``).

    Parameters
    ----------
    key : str
        The column's key in the world (``World.columns``). It starts with ``__``, which a
        scenario's column keys cannot, and never reaches the candidate, who sees the display name.
    names : tuple of str
        The display names one is drawn from per seed (one not already taken by the scenario's
        columns), unless the scenario's ``params.names`` gives its own; ``params.description`` and
        ``params.unit`` fill the data dictionary.
    """

    # The scenario parameters ``Family.add_column`` honours: allowed for every family declaring one.
    params: ClassVar[tuple[str, ...]] = ("names", "description", "unit")

    key: str
    names: tuple[str, ...]


class Family:
    """A planted failure: one subclass per family, one module each.

    The builder calls the hooks in order: ``choose`` (pick the culprit, effect and segment for this
    seed), ``inputs`` (change latent inputs before labels exist), ``labels`` (change how labels
    arise), ``observed`` (change what is recorded or served, and how the team evaluates).

    The validator calls ``symptom`` (how big the failure looks where a candidate looks, in the
    family's units, compared with ``measure.effect``), and ``reference`` (the symptom left after the
    family's most telling experiment; small when the experiment resolves it).

    Class attributes
    ----------------
    name : family name (one of ``FAMILIES``).
    measure : Measure
        What ``symptom`` measures (label), its default target size (effect) and its findability
        floor (minimum).
    reference_experiment : ReferenceExperiment
        What ``reference`` runs (label) and the share of the symptom it may leave
        (resolve_fraction).
    added_column : AddedColumn or None
        The column the family adds to the world (None: it plants in the scenario's own columns).
        When another family of the pool is drawn, the family's ``placeholder`` hook adds the same
        column without signal, so the column list never tells which family was drawn.
    strength : default knob (a scenario may override with ``params.strength``); each seed draws
        it within +/- ``jitter`` of that.
    strength_response : how the symptom answers the strength, measured on the shipped pools
        (``tests/engine/test_effect_control.py``, 0.7x to 1.3x the drawn strength): +1 it rises
        with the strength, -1 it falls (at most one 0.15x step of noise against it per seed), 0 it
        is not monotone in it or the family has no knob. The builder's effect control
        (``variant.control_effect``) re-plants a seed whose symptom misses its target with the
        strength scaled, for a family declared +1 or -1 only.
    """

    name: ClassVar[str] = ""
    # What the registry needs (see data_generators.registry): group, card help, symptom sentences
    # (candidate-visible, never naming the cause), expert first experiments and their outcomes.
    kind: ClassVar[str] = ""
    help: ClassVar[str] = ""
    symptoms: ClassVar[tuple[str, ...]] = ()
    expert: ClassVar[tuple[tuple[str, str], ...]] = ()
    outcomes: ClassVar[dict[str, str]] = {}
    # The reference card's expected results (if true, if false) when it runs an expert experiment
    # other than the family's reference whose result here differs from what it shows for the
    # family that leads with it (grading.answers.reference_card); otherwise that family's apply.
    expected_with: ClassVar[dict[str, tuple[str, str]]] = {}
    # the interviewer's hints 2 and 3 (hint 1 is the scenario's, the same for every family): nudges
    # toward the deciding check, never naming the cause (grading.rubric.Rubric.ladder)
    hints: ClassVar[tuple[str, ...]] = ()
    added_column: ClassVar[AddedColumn | None] = None
    placeholder_moves: ClassVar[bool] = False  # its placeholder column drifts (not control-safe)
    measure: ClassVar[Measure] = Measure(label="", effect=0.1, minimum=0.05)
    reference_experiment: ClassVar[ReferenceExperiment] = ReferenceExperiment(label="", resolve_fraction=0.5)
    # A control plants nothing: the validator checks that nothing shows beyond noise instead.
    control: ClassVar[bool] = False
    # The scenario parameters the family reads (with its added column's ``AddedColumn.params``).
    params_allowed: ClassVar[tuple[str, ...]] = ("strength",)
    # The family's knob (leak strength, shift size, ...) and the band it is drawn from per seed.
    strength: ClassVar[float] = 1.0
    jitter: ClassVar[float] = 0.04
    # Not controlled unless measured monotone (see the class docstring).
    strength_response: ClassVar[int] = 0

    def __init__(self, *, params: dict, effect: float | None, rng: np.random.Generator):
        self.params = params
        self.target = float(effect if effect is not None else self.measure.effect)
        self.rng = rng
        self.culprit_keys: list[str] = []
        # columns the planted mechanism runs through without being culprits (set in ``choose``):
        # no decoy that moves values is planted on them (``Decoy.moves_values``)
        self.reserved_keys: list[str] = []
        self.segment: dict | None = None
        self.onset: str | None = None
        base = float(params.get("strength", type(self).strength))
        self.strength = base * (1 + rng.uniform(-self.jitter, self.jitter))

    @classmethod
    def check_params(cls, params: dict, spec: dict) -> None:
        allowed = cls.params_allowed + (AddedColumn.params if cls.added_column is not None else ())
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ScenarioError(f"unknown parameter {unknown[0]!r} for {cls.name}; "
                                f"allowed: {', '.join(allowed) or 'none'}")
        for key in ("culprit", "culprits"):
            if key in params:
                names = params[key] if isinstance(params[key], list) else [params[key]]
                known = {c.get("key", c["names"][0]) for c in spec["world"]["columns"]}
                bad = [n for n in names if n not in known]
                if bad:
                    raise ScenarioError(
                        f"unknown column {bad[0]!r} in {key}; known column keys: {', '.join(sorted(known))}")

    # -- builder hooks ------------------------------------------------------------------
    def prepare(self, world: "World") -> None:
        """Before anything is sampled (e.g. sample more rows when the family will drop some, so
        the candidate's row counts do not depend on the draw)."""

    def choose(self, world: "World") -> None:
        """Pick this seed's culprit(s), segment or onset."""

    def inputs(self, world: "World") -> None:
        """Change latent inputs (before labels are drawn)."""

    def labels(self, world: "World") -> None:
        """Change how labels arise (log-odds terms, priors)."""

    def observed(self, world: "World") -> None:
        """Change what is recorded, served or how the team evaluates (after frames exist)."""

    def placeholder(self, world: "World") -> None:
        """Another family of the pool was drawn: add this family's ``added_column`` without signal,
        so the column list looks the same whatever the draw."""

    def placeholder_inputs(self, world: "World") -> None:
        """Another family was drawn: change latent inputs the placeholder needs (before labels)."""

    def placeholder_observed(self, world: "World") -> None:
        """Fill the placeholder columns (after frames exist), harmlessly."""

    def add_column(self, world: "World", *, transform: dict) -> "Column":
        """Add the family's ``added_column`` to ``world`` and make it the culprit.

        Its display name is drawn from the scenario's ``params.names``, else the declared names;
        ``params.description`` and ``params.unit`` go to the data dictionary. ``transform`` is the
        column's display mapping (``data_generators.world.to_display``).
        """
        added = self.added_column
        column = world.add_column(added.key, names=self.params.get("names", list(added.names)),
                                  transform=transform, description=self.params.get("description", ""),
                                  unit=self.params.get("unit", ""))
        self.culprit_keys = [added.key]
        return column

    def culprits(self, world: "World") -> list[str]:
        return [world.name_of(k) for k in self.culprit_keys]

    def candidate_keys(self, world: "World", *, kind: str = "numeric", min_abs_effect: float = 0.0) -> list[str]:
        """Keys eligible as culprit: the scenario's ``culprits`` param, else declared columns of ``kind``."""
        if "culprits" in self.params:
            return list(self.params["culprits"])
        keys = world.numeric_keys() if kind == "numeric" else world.categorical_keys()
        if kind == "numeric" and min_abs_effect:
            keys = [k for k in keys if abs(world.columns[k].effect) >= min_abs_effect]
        return keys

    def pick(self, keys: list[str]) -> str:
        if not keys:
            raise ScenarioError(f"{self.name}: no eligible culprit column in this scenario")
        return keys[int(self.rng.integers(len(keys)))]

    # -- validator ------------------------------------------------------------------------
    def symptom(self, ev: "Evaluation") -> float:  # pragma: no cover - abstract
        """Reads the offline test rows and the production rows whose label is known: when the
        validator retrains without a decoy's column it scores only those (the others' score is NaN)."""
        raise NotImplementedError

    def reference(self, variant: "Variant") -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_checks(self, variant: "Variant") -> list[tuple[str, float, str, bool]]:
        """More (name, value, threshold text, passed) checks a family wants in its report."""
        return []


class Decoy:
    """A red herring: something that looks wrong at a first glance and is not the cause.

    ``columns`` are the display names it acts on; ``segment`` a ``{column: value}`` where it is a
    segment. ``fix`` says how the validator removes it to show it does not resolve the failure:
    ``"drop"`` (retrain without its columns) or ``"exclude"`` (leave its segment out).
    """

    kind: ClassVar[str] = ""
    help: ClassVar[str] = ""
    rival: ClassVar[str] = ""  # the family a candidate chasing this decoy would suspect
    fix: ClassVar[str] = "drop"
    # It changes its column's values (a drift, blanks), so it stays off the columns the planted
    # failure reserves (``Family.reserved_keys``): retrained without such a column, the model
    # would lose part of the failure with it and the decoy would look like the cause.
    moves_values: ClassVar[bool] = True

    def __init__(self, *, params: dict, rng: np.random.Generator):
        self.params = params
        self.rng = rng
        self.keys: list[str] = []
        self.segment: dict | None = None

    def loudness(self, value: float) -> float | None:
        """How loud the decoy is against its visibility bar (1 = just visible); None when its
        visibility is not a loudness (a segment within noise)."""
        return None

    def choose(self, world: "World", *, taken: set[str]) -> None:
        """Pick this decoy's columns among those not ``taken`` (culprits and other decoys)."""

    def pick_weak_numeric(self, world: "World", *, taken: set[str]) -> list[str]:
        """One numeric column drawn among the weaker half (smallest effect on the label) of those
        not ``taken``: a decoy there moves a column that barely matters to the model's ranking.

        The scenario's ``params.column`` (a column key) names the column instead, unless this seed's
        failure took it (a culprit drawn among the columns); a categorical one is refused."""
        col = self.params.get("column")
        if col is not None and col not in taken:
            if world.columns[col].kind != "numeric":
                raise ScenarioError(f"{self.kind} needs a numeric column; params.column {col!r} is "
                                    f"{world.columns[col].kind}: name a numeric column key")
            return [col]
        keys = [k for k in world.numeric_keys(exclude=taken)]
        keys.sort(key=lambda k: abs(world.columns[k].effect))
        low = keys[: max(1, len(keys) // 2)]
        return [low[int(self.rng.integers(len(low)))]]

    def inputs(self, world: "World") -> None:
        pass

    def observed(self, world: "World") -> None:
        pass

    def hold(self, variant) -> None:
        """Keep the built variant's decoy on its side of the validator's line, where planting it
        can overshoot (a segment meant to stay within noise); most decoys need nothing."""

    def record(self, variant, field: str, *, was, now) -> None:
        """Write in the truth where ``hold`` moved this decoy: its entry (its kind, ``field`` still
        reading ``was``) now reads ``now``. Nothing else in the truth changes."""
        for d in variant.truth.decoys:
            if d["kind"] == self.kind and d.get(field) == was:
                d[field] = now

    def to_dict(self, world: "World") -> dict:
        self.names = [world.name_of(k) for k in self.keys]
        d = {"kind": self.kind, "columns": list(self.names)}
        if self.segment is not None:
            d["segment"] = self.segment
        return d
