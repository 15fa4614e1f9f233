"""Rubrics as data: load, validate and combine the grading rubric of a scenario.

A rubric is three kinds of YAML file in ``grading/rubrics/``:

- ``autograded.yaml``: the autograded items (id, points, title, what earns full, partial and no
  credit), the scorecard flags, the formula that combines scores, and the settings a scenario
  without its own file falls back to;
- ``manual.yaml``: the manually graded dimensions, each an anchored scale of 5 levels with an
  example answer per failure family;
- ``<scenario>.yaml``: per-scenario settings: the cell timeout, optional item point overrides and
  optionally a hint ladder (3 hints, least to most revealing; interviewer-only) that must hold
  under every family of the scenario's pool.

The ladder an interviewer gives comes from the family the seed drew (``Rubric.ladder``): hint 1 is
the scenario's (or the defaults'), hints 2 and 3 the drawn family's (``Family.hints`` in its
module), so no ladder written for one family points a candidate at it when another was drawn.

Every file is checked against a JSON schema and cross-checked on load; a problem raises
:class:`RubricError` with one line naming the file, the field path and what is allowed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import jsonschema
import yaml

RUBRIC_DIR = Path(__file__).resolve().parent / "rubrics"
AUTOGRADED_FILE = "autograded.yaml"
MANUAL_FILE = "manual.yaml"
SHARED_FILES = (AUTOGRADED_FILE, MANUAL_FILE)
LEVELS = (1, 2, 3, 4, 5)
HINT_LEVELS = (1, 2, 3)
DEFAULT_CELL_TIMEOUT = 120
_EPS = 1e-9

_SCENARIO_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RubricError(ValueError):
    """A rubric file that does not validate, or a bad argument to :meth:`Rubric.combine`.

    The message is one line: the file, the field path and what is allowed.
    """


# --- schemas -------------------------------------------------------------------------------------
_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 3}
_WEIGHTS = {"type": "object", "minProperties": 1,
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0}}
_HINT = {
    "type": "object", "additionalProperties": False, "required": ["level", "text", "prompts"],
    "properties": {
        "level": {"enum": list(HINT_LEVELS)},
        "text": {"type": "string", "minLength": 10},
        # Items whose credit counts as prompted when earned after this hint.
        "prompts": {"type": "array", "items": _ID, "uniqueItems": True},
    },
}
_HINT_LADDER = {"type": "array", "minItems": len(HINT_LEVELS), "maxItems": len(HINT_LEVELS),
                "items": _HINT}
_TIMEOUT = {"type": "integer", "minimum": 1, "maximum": 3600}

AUTOGRADED_SCHEMA: dict = {
    "type": "object", "additionalProperties": False,
    "required": ["version", "items", "flags", "formula", "scenario_defaults"],
    "properties": {
        "version": {"const": 1},
        "items": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "points", "title", "description"],
                "properties": {
                    "id": _ID,
                    "points": {"type": "number", "exclusiveMinimum": 0},
                    "title": _TEXT,
                    "card_fields": {"type": "array", "items": {"type": "string"}},
                    "description": {
                        "type": "object", "additionalProperties": False,
                        "required": ["full", "partial", "nothing"],
                        "properties": {"full": _TEXT, "partial": _TEXT, "nothing": _TEXT},
                    },
                },
            },
        },
        "flags": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "additionalProperties": False,
                      "required": ["id", "description"],
                      "properties": {"id": _ID, "description": _TEXT}},
        },
        "formula": {
            "type": "object", "additionalProperties": False,
            "required": ["scale", "items", "dimensions", "prompted_credit", "explanation"],
            "properties": {
                "scale": {"type": "number", "exclusiveMinimum": 0},
                "items": _WEIGHTS,
                "dimensions": _WEIGHTS,
                "prompted_credit": {"type": "number", "minimum": 0, "maximum": 1},
                "explanation": {"type": "string", "minLength": 20},
            },
        },
        "scenario_defaults": {
            "type": "object", "additionalProperties": False,
            "required": ["cell_timeout", "hint_ladder"],
            "properties": {"cell_timeout": _TIMEOUT, "hint_ladder": _HINT_LADDER},
        },
    },
}

SCENARIO_SCHEMA: dict = {
    "type": "object", "additionalProperties": False, "required": ["scenario"],
    "properties": {
        "scenario": _ID,
        "cell_timeout": _TIMEOUT,
        "points": {"type": "object",
                   "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
        "hint_ladder": _HINT_LADDER,
    },
}


def manual_schema(families: tuple[str, ...]) -> dict:
    """The JSON schema of ``manual.yaml``: every level needs an example for each of ``families``."""
    examples = {"type": "object", "required": list(families),
                "propertyNames": {"enum": list(families)},
                "additionalProperties": {"type": "string", "minLength": 10}}
    level = {"type": "object", "additionalProperties": False,
             "required": ["level", "anchor", "examples"],
             "properties": {"level": {"enum": list(LEVELS)},
                            "anchor": {"type": "string", "minLength": 10},
                            "examples": examples}}
    return {
        "type": "object", "additionalProperties": False,
        "required": ["version", "labels", "dimensions"],
        "properties": {
            "version": {"const": 1},
            "labels": {"type": "object", "required": list(LEVELS),
                       "propertyNames": {"enum": list(LEVELS)},
                       "additionalProperties": {"type": "string", "minLength": 1}},
            "dimensions": {
                "type": "array", "minItems": 1,
                "items": {"type": "object", "additionalProperties": False,
                          "required": ["id", "title", "question", "levels"],
                          "properties": {"id": _ID, "title": _TEXT, "question": _TEXT,
                                         "levels": {"type": "array", "minItems": len(LEVELS),
                                                    "maxItems": len(LEVELS), "items": level}}},
            },
        },
    }


# --- the rubric ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """An autograded rubric item: what the hidden tests score on the card, and for how many points."""

    id: str
    points: float
    title: str
    description: Mapping[str, str]  # full / partial / nothing
    card_fields: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The description as one paragraph, for a scorecard."""
        d = self.description
        return f"Full: {d['full']} Partial: {d['partial']} Nothing: {d['nothing']}"


@dataclass(frozen=True)
class Flag:
    """A scorecard flag: a prompt for the interviewer to ask about, never a change to the total."""

    id: str
    description: str


@dataclass(frozen=True)
class Formula:
    """How item points and manual levels combine into a total (see ``autograded.yaml``)."""

    scale: float
    item_weights: Mapping[str, float]
    dimension_weights: Mapping[str, float]
    prompted_credit: float
    explanation: str


@dataclass(frozen=True)
class Level:
    """One anchored level of a manual dimension, with an example answer per failure family."""

    level: int
    label: str
    anchor: str
    examples: Mapping[str, str]


@dataclass(frozen=True)
class Dimension:
    """A manually graded dimension: an anchored scale of levels 1 to 5."""

    id: str
    title: str
    question: str
    levels: tuple[Level, ...]

    def level(self, n: int) -> Level:
        """The anchored level ``n`` (1 to 5)."""
        return self.levels[LEVELS.index(n)]


@dataclass(frozen=True)
class Hint:
    """A hint an interviewer may give; ``prompts`` are the items it counts as prompting."""

    level: int
    text: str
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioSettings:
    """Per-scenario grading settings; ``source`` is None when the defaults were used."""

    scenario: str | None
    cell_timeout: int
    points: Mapping[str, float]
    hint_ladder: tuple[Hint, ...]
    source: Path | None = None


@dataclass(frozen=True)
class Rubric:
    """The whole rubric for one scenario (or the defaults): items, flags, formula, manual scales.

    Build it with :func:`load_rubric`. Item points already include the scenario's overrides.
    """

    items: tuple[Item, ...]
    flags: tuple[Flag, ...]
    formula: Formula
    dimensions: tuple[Dimension, ...]
    settings: ScenarioSettings
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def scenario(self) -> str | None:
        return self.settings.scenario

    @property
    def hint_ladder(self) -> tuple[Hint, ...]:
        """The scenario's own hints (or the defaults), least to most revealing: the ladder when the
        drawn family is not known. Interviewer-only; sessions use ``ladder(family)``."""
        return self.settings.hint_ladder

    def ladder(self, family: str | None) -> tuple[Hint, ...]:
        """The hints for a variant that planted ``family``: hint 1 the scenario's, hints 2 and 3
        the family's own (``Family.hints``), each prompting what the scenario's hint of that level
        prompts. A family without hints (or None) gets the scenario's ladder."""
        from data_generators import registry
        cls = registry.families().get(family) if family else None
        own = tuple(getattr(cls, "hints", ()) or ())
        if len(own) != len(self.hint_ladder) - 1:
            return self.hint_ladder
        first, *rest = self.hint_ladder
        return (first,) + tuple(Hint(h.level, " ".join(t.split()), h.prompts) for h, t in zip(rest, own))

    @property
    def cell_timeout(self) -> int:
        return self.settings.cell_timeout

    @property
    def max_points(self) -> float:
        """The autograded maximum: the sum of the items' points (after overrides)."""
        return sum(i.points for i in self.items)

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise RubricError(f"unknown rubric item {item_id!r}; known: {', '.join(self.item_ids)}")

    def dimension(self, dimension_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise RubricError(f"unknown manual dimension {dimension_id!r}; "
                          f"known: {', '.join(self.dimension_ids)}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    def prompted_items(self, hints: int) -> tuple[str, ...]:
        """Items prompted once the interviewer has given hints 1 to ``hints`` of the ladder."""
        if isinstance(hints, bool) or not isinstance(hints, int) or not 0 <= hints <= len(self.hint_ladder):
            raise RubricError(f"hints must be an integer from 0 to {len(self.hint_ladder)}, got {hints!r}")
        seen: dict[str, None] = {}
        for h in self.hint_ladder[:hints]:
            seen.update(dict.fromkeys(h.prompts))
        return tuple(seen)

    def combine(self, autograded: Mapping[str, float],
                manual: Mapping[str, int | None] | None = None, *, hints: int = 0) -> dict:
        """Combine autograded item points and manual levels into a total out of the formula's scale.

        The formula (``autograded.yaml``, ``formula``) is a weighted sum normalised to 100::

            earned   = sum_i w_i * p_i * (prompted_credit if i was prompted else 1)
                       + sum_d w_d * (level_d - 1)
            possible = sum_i w_i * max_i + sum_d w_d * 4
            total    = scale * earned / possible

        over every item i and every rated dimension d. With ``manual=None`` (or a dimension rated
        None, "not evaluated") that part leaves both sums, so the total is the autograded score
        scaled to 100. Flags never enter the total; logged hints do, through ``prompted_credit``.

        Parameters
        ----------
        autograded : mapping of item id to the points earned, each from 0 to the item's points.
            An item left out earned 0.
        manual : mapping of every manual dimension id to a level from 1 to 5, or None for a
            dimension not evaluated; None when nobody has rated the conversation yet.
        hints : how many hints of the ladder the interviewer logged before the card was committed
            (0 to 3); the items they prompt keep ``prompted_credit`` of their points.

        Returns
        -------
        dict
            JSON-ready: ``total`` and ``max`` (the scale), ``earned`` and ``possible`` (the sums
            above), ``autograded`` (``points`` and ``max`` before weights), ``items`` (each ``id``,
            ``points``, ``max``, ``weight``, ``prompted``, ``credit``), ``dimensions`` (each ``id``,
            ``level``, ``label``, ``weight``, ``credit``, ``max``), ``manual_rated``, ``hints``,
            ``prompted``.

        Raises
        ------
        RubricError
            An unknown item or dimension, points outside 0..max, a level outside 1..5, a manual
            mapping that leaves out a dimension, or ``hints`` outside 0..3.
        """
        f = self.formula
        if not isinstance(autograded, Mapping):
            raise RubricError(f"autograded must be a mapping of item id to points, got {type(autograded).__name__}")
        unknown = sorted(set(autograded) - set(self.item_ids))
        if unknown:
            raise RubricError(f"autograded: unknown item {unknown[0]!r}; known: {', '.join(self.item_ids)}")
        prompted = set(self.prompted_items(hints))
        earned = possible = 0.0
        items = []
        for it in self.items:
            p = autograded.get(it.id, 0)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) \
                    or not -_EPS <= p <= it.points + _EPS:
                raise RubricError(f"autograded.{it.id}: {p!r} is not allowed; allowed: a number from 0 to {it.points:g}")
            p = min(max(p, 0), it.points)  # absorb float rounding from partial-credit arithmetic
            w = f.item_weights[it.id]
            credit = w * p * (f.prompted_credit if it.id in prompted else 1.0)
            earned += credit
            possible += w * it.points
            items.append({"id": it.id, "points": p, "max": it.points, "weight": w,
                          "prompted": it.id in prompted, "credit": credit})
        dims = []
        if manual is not None:
            if not isinstance(manual, Mapping):
                raise RubricError(f"manual must be a mapping of dimension id to level, got {type(manual).__name__}")
            unknown = sorted(set(manual) - set(self.dimension_ids))
            if unknown:
                raise RubricError(f"manual: unknown dimension {unknown[0]!r}; known: {', '.join(self.dimension_ids)}")
            missing = [d for d in self.dimension_ids if d not in manual]
            if missing:
                raise RubricError(f"manual.{missing[0]}: missing; rate every dimension 1 to 5, "
                                  "or None for not evaluated")
            top = LEVELS[-1] - LEVELS[0]
            for d in self.dimensions:
                lv = manual[d.id]
                w = f.dimension_weights[d.id]
                if lv is None:
                    dims.append({"id": d.id, "level": None, "label": "not evaluated", "weight": w,
                                 "credit": None, "max": w * top})
                    continue
                if isinstance(lv, bool) or not isinstance(lv, int) or lv not in LEVELS:
                    raise RubricError(f"manual.{d.id}: {lv!r} is not allowed; allowed: 1, 2, 3, 4, 5 or None")
                credit = w * (lv - LEVELS[0])
                earned += credit
                possible += w * top
                dims.append({"id": d.id, "level": lv, "label": self.labels.get(lv, str(lv)),
                             "weight": w, "credit": credit, "max": w * top})
        total = f.scale * earned / possible
        return {
            "total": round(total, 2),
            "max": f.scale,
            "earned": earned,
            "possible": possible,
            "autograded": {"points": sum(i["points"] for i in items), "max": self.max_points},
            "items": items,
            "dimensions": dims,
            "manual_rated": any(d["level"] is not None for d in dims),
            "hints": hints,
            "prompted": sorted(prompted),
        }


# --- loading -------------------------------------------------------------------------------------
def _label(container: Any, key: Any) -> str:
    """A readable path step: a list entry by its id or level where it has one."""
    if isinstance(key, int) and isinstance(container, list) and key < len(container):
        entry = container[key]
        if isinstance(entry, dict):
            for name in ("id", "level"):
                if isinstance(entry.get(name), (str, int)) and not isinstance(entry.get(name), bool):
                    return f"[{entry[name]}]"
        return f"[{key}]"
    return f".{key}"


def _where(path: list, doc: Any) -> str:
    out, node = "", doc
    for key in path:
        out += _label(node, key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return out.lstrip(".") or "(top level)"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _say(error: jsonschema.ValidationError, doc: Any) -> str:
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    where = _where(list(best.absolute_path), doc)
    v, vv = best.validator, best.validator_value
    if v == "required":
        missing = [k for k in vv if not isinstance(best.instance, dict) or k not in best.instance]
        return f"{where}: missing {missing[0]!r}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
    if v == "additionalProperties":
        allowed = ", ".join(map(str, best.schema.get("properties", {}))) or "none"
        extra = sorted(set(best.instance) - set(best.schema.get("properties", {})), key=str)
        return f"{where}: unknown field {extra[0]!r}; allowed fields: {allowed}"
    if v == "propertyNames":
        bad = [k for k in best.instance if k not in best.schema["propertyNames"].get("enum", [])]
        allowed = ", ".join(best.schema["propertyNames"].get("enum", []))
        return f"{where}: unknown key {bad[0]!r}; allowed: {allowed}" if bad else f"{where}: {best.message}"
    if v == "enum":
        return f"{where}: {_short(best.instance)} is not allowed; allowed: {', '.join(map(str, vv))}"
    if v == "const":
        return f"{where}: {_short(best.instance)} is not allowed; allowed: {vv!r}"
    if v == "type":
        kinds = [vv] if isinstance(vv, str) else list(vv)
        named = " or ".join(("an " if k[0] in "aeiou" else "a ") + k for k in kinds)
        return f"{where}: {_short(best.instance)} is not allowed; allowed: {named}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"{where}: {_short(best.instance)} is not allowed; allowed: a number {word} {vv}"
    if v in ("minItems", "maxItems"):
        lo, hi = best.schema.get("minItems", 0), best.schema.get("maxItems")
        allowed = f"exactly {lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
        return f"{where}: has {len(best.instance)} entries; allowed: {allowed}"
    if v == "minLength":
        return f"{where}: {_short(best.instance)} is too short; allowed: text of at least {vv} characters"
    if v == "pattern":
        return f"{where}: {_short(best.instance)} is not allowed; allowed: lower-case letters, digits and _"
    return f"{where}: {best.message}".replace("\n", " ")[:300]


def _validate(doc: Any, schema: dict, source: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        # The deepest error under the first failing top-level field reads best.
        first = errors[0]
        return_error = max((e for e in errors if list(e.absolute_path)[:1] == list(first.absolute_path)[:1]),
                           key=lambda e: len(e.absolute_path))
        raise RubricError(f"{source}: {_say(return_error, doc)}")


def _read(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise RubricError(f"{path.name}: cannot read the rubric file ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RubricError(f"{path.name}: malformed YAML{where}: {problem}") from None


def _families() -> tuple[str, ...]:
    from data_generators.scenario import FAMILIES  # the one list of failure families
    return tuple(FAMILIES)


def _dupes(ids: list[str]) -> str | None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return i
        seen.add(i)
    return None


def _hints(ladder: list[dict], item_ids: set[str], source: str, where: str) -> tuple[Hint, ...]:
    levels = [h["level"] for h in ladder]
    if levels != list(HINT_LEVELS):
        raise RubricError(f"{source}: {where}: levels are {levels}; allowed: exactly "
                          f"{list(HINT_LEVELS)}, least to most revealing")
    for h in ladder:
        bad = [p for p in h["prompts"] if p not in item_ids]
        if bad:
            raise RubricError(f"{source}: {where}[{h['level']}].prompts: unknown item {bad[0]!r}; "
                              f"allowed: {', '.join(sorted(item_ids))}")
    return tuple(Hint(h["level"], " ".join(h["text"].split()), tuple(h["prompts"])) for h in ladder)


@lru_cache(maxsize=32)
def _load_shared(directory: str, stamp: tuple) -> tuple:
    d = Path(directory)
    auto = _read(d / AUTOGRADED_FILE)
    _validate(auto, AUTOGRADED_SCHEMA, AUTOGRADED_FILE)
    families = _families()
    man = _read(d / MANUAL_FILE)
    _validate(man, manual_schema(families), MANUAL_FILE)

    src = AUTOGRADED_FILE
    dup = _dupes([i["id"] for i in auto["items"]])
    if dup:
        raise RubricError(f"{src}: items[{dup}]: item id {dup!r} is used twice; ids must be unique")
    dup = _dupes([f["id"] for f in auto["flags"]])
    if dup:
        raise RubricError(f"{src}: flags[{dup}]: flag id {dup!r} is used twice; ids must be unique")
    dup = _dupes([x["id"] for x in man["dimensions"]])
    if dup:
        raise RubricError(f"{MANUAL_FILE}: dimensions[{dup}]: dimension id {dup!r} is used twice; ids must be unique")
    for dim in man["dimensions"]:
        levels = [lv["level"] for lv in dim["levels"]]
        if levels != list(LEVELS):
            raise RubricError(f"{MANUAL_FILE}: dimensions[{dim['id']}].levels: levels are {levels}; "
                              f"allowed: exactly {list(LEVELS)} in order")
    item_ids = [i["id"] for i in auto["items"]]
    dim_ids = [x["id"] for x in man["dimensions"]]
    for part, known, what in (("items", item_ids, "item"), ("dimensions", dim_ids, "manual dimension")):
        weights = auto["formula"][part]
        bad = [k for k in weights if k not in known]
        if bad:
            raise RubricError(f"{src}: formula.{part}.{bad[0]}: no such {what}; allowed: {', '.join(known)}")
        missing = [k for k in known if k not in weights]
        if missing:
            raise RubricError(f"{src}: formula.{part}: missing a weight for {missing[0]!r}; "
                              f"give every {what} a weight")
    defaults = auto["scenario_defaults"]
    default_hints = _hints(defaults["hint_ladder"], set(item_ids), src, "scenario_defaults.hint_ladder")

    f = auto["formula"]
    formula = Formula(scale=f["scale"], item_weights=MappingProxyType(dict(f["items"])),
                      dimension_weights=MappingProxyType(dict(f["dimensions"])),
                      prompted_credit=f["prompted_credit"], explanation=" ".join(f["explanation"].split()))
    items = tuple(Item(i["id"], i["points"], i["title"],
                       MappingProxyType({k: " ".join(v.split()) for k, v in i["description"].items()}),
                       tuple(i.get("card_fields", ()))) for i in auto["items"])
    flags = tuple(Flag(x["id"], " ".join(x["description"].split())) for x in auto["flags"])
    dims = tuple(
        Dimension(x["id"], x["title"], " ".join(x["question"].split()), tuple(
            Level(lv["level"], str(man["labels"][lv["level"]]), " ".join(lv["anchor"].split()),
                  MappingProxyType(dict(lv["examples"])))
            for lv in x["levels"]))
        for x in man["dimensions"])
    labels = MappingProxyType({int(k): str(v) for k, v in man["labels"].items()})
    default_settings = ScenarioSettings(None, defaults["cell_timeout"], MappingProxyType({}), default_hints)
    return items, flags, formula, dims, labels, default_settings


@lru_cache(maxsize=64)
def _load_scenario_file(path: str, stamp: float, item_ids: tuple[str, ...], default_timeout: int) -> ScenarioSettings:
    p = Path(path)
    doc = _read(p)
    _validate(doc, SCENARIO_SCHEMA, p.name)
    if doc["scenario"] != p.stem:
        raise RubricError(f"{p.name}: scenario: {doc['scenario']!r} must equal the file name {p.stem!r}")
    points = doc.get("points", {})
    bad = [k for k in points if k not in item_ids]
    if bad:
        raise RubricError(f"{p.name}: points.{bad[0]}: no such item; allowed: {', '.join(item_ids)}")
    hints = _hints(doc["hint_ladder"], set(item_ids), p.name, "hint_ladder") if "hint_ladder" in doc else None
    return ScenarioSettings(doc["scenario"], doc.get("cell_timeout", default_timeout),
                            MappingProxyType(dict(points)), hints, p)


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1.0


def list_rubric_scenarios(directory: str | Path | None = None) -> list[str]:
    """Scenarios with their own rubric file in ``directory`` (default ``grading/rubrics``), sorted."""
    d = Path(directory) if directory is not None else RUBRIC_DIR
    return sorted(p.stem for p in d.glob("*.yaml") if p.name not in SHARED_FILES)


def load_rubric(scenario: str | None = None, *, directory: str | Path | None = None) -> Rubric:
    """Load and validate the rubric, with a scenario's settings when one is named.

    Parameters
    ----------
    scenario : a scenario name (``saas_churn``). Its ``<scenario>.yaml`` supplies the cell timeout,
        item point overrides and the hint ladder; a scenario without its own file gets the
        ``scenario_defaults`` of ``autograded.yaml``. None gives the defaults.
    directory : the folder holding the rubric files (default ``grading/rubrics`` next to this
        module); tests point it at a temporary copy.

    Returns
    -------
    Rubric
        Items (points after overrides), flags, formula, manual dimensions, labels and settings.

    Raises
    ------
    RubricError
        A file that is unreadable, not YAML, or breaks its schema or a cross-check: duplicate ids,
        non-positive points, a manual dimension without exactly levels 1 to 5, a level without an
        example for every failure family, formula weights naming no item or dimension, hints not
        exactly levels 1 to 3, an override or hint naming an unknown item. One line naming the
        file, the field path and what is allowed.
    """
    d = (Path(directory) if directory is not None else RUBRIC_DIR).resolve()
    stamp = tuple(_stamp(d / name) for name in SHARED_FILES)
    items, flags, formula, dims, labels, settings = _load_shared(str(d), stamp)
    if scenario is not None:
        if not isinstance(scenario, str) or not _SCENARIO_NAME.match(scenario) or scenario in ("autograded", "manual"):
            raise RubricError(f"scenario must be a scenario name (lower-case letters, digits and _), got {scenario!r}")
        path = d / f"{scenario}.yaml"
        if path.is_file():
            own = _load_scenario_file(str(path), _stamp(path), tuple(i.id for i in items),
                                      settings.cell_timeout)
            settings = own if own.hint_ladder is not None else ScenarioSettings(
                own.scenario, own.cell_timeout, own.points, settings.hint_ladder, own.source)
        else:
            settings = ScenarioSettings(scenario, settings.cell_timeout, settings.points,
                                        settings.hint_ladder, None)
    if settings.points:
        items = tuple(Item(i.id, settings.points.get(i.id, i.points), i.title, i.description, i.card_fields)
                      for i in items)
    return Rubric(items=items, flags=flags, formula=formula, dimensions=dims, settings=settings, labels=labels)


def combine(autograded: Mapping[str, float], manual: Mapping[str, int | None] | None = None, *,
            scenario: str | None = None, hints: int = 0, rubric: Rubric | None = None) -> dict:
    """Combine scores by the rubric's formula; a shortcut for ``load_rubric(scenario).combine(...)``.

    Parameters
    ----------
    autograded : mapping of item id to points earned (0 to the item's points); missing items earn 0.
    manual : mapping of every manual dimension to a level 1 to 5 (None: not evaluated), or None.
    scenario : whose rubric (point overrides, hint ladder) to use, when ``rubric`` is not given.
    hints : how many hints the interviewer logged before the card was committed (0 to 3).
    rubric : an already loaded rubric.

    Returns
    -------
    dict
        The total out of 100 and its breakdown; see :meth:`Rubric.combine`.
    """
    r = rubric if rubric is not None else load_rubric(scenario)
    return r.combine(autograded, manual, hints=hints)
