"""Scenarios: one YAML file per scenario in ``data_generators/scenarios/``, validated on load.

A scenario is data. It declares a domain world (the entity, its columns with types and
distributions, how the label depends on them, a time axis), the team's model and offline evaluation,
``failures:`` (the pool of families the world can host, at least ``MIN_POOL`` of at least two kinds,
each with its params, target effect and optional weight; the seed draws one), its decoys, the brief a
candidate reads and, optionally, ``session: {phases: {brief: 3, explore: 12, card: 5, discussion: 5}}``
(minutes per phase of the live session). Errors name the file, the field path and what is allowed.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import registry
from .errors import ScenarioError
from .paths import SCENARIO_DIR

if TYPE_CHECKING:  # pragma: no cover
    import jsonschema

# The control: a scenario that plants nothing (only decoys), so a grader that rewards any
# plausible story can be caught. A hypothesis on the card may name it too.
NO_FAILURE = registry.NO_FAILURE


def __getattr__(name: str):
    # The vocabularies derive from the registry (plug-ins included), so they are computed on use.
    if name == "FAMILIES":
        return registry.family_names()
    if name == "PLANTABLE":
        return registry.family_names(control=True)
    if name == "DECOY_KINDS":
        return tuple(registry.decoys())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


TRANSFORMS = ("normal", "lognormal", "uniform", "count")
MODEL_KINDS = ("gradient_boosting", "logistic_regression")
# A pool holds at least this many families, of at least two kinds (leakage, shift, evaluation).
MIN_POOL = 4

_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_NAMES = {"type": "array", "items": _NAME, "minItems": 1, "uniqueItems": True}
_COST = {
    "type": "object", "additionalProperties": False, "required": ["amount", "what"],
    "properties": {"amount": {"type": "number", "exclusiveMinimum": 0},
                   "what": {"type": "string", "minLength": 3}},
}
_NUMERIC = {
    "type": "object", "additionalProperties": False,
    "required": ["names", "kind", "transform", "effect"],
    "properties": {
        "key": _NAME, "names": _NAMES, "kind": {"const": "numeric"},
        "transform": {
            "type": "object", "additionalProperties": False, "required": ["dist"],
            "properties": {
                "dist": {"enum": list(TRANSFORMS)},
                "mean": {"type": "number"}, "sd": {"type": "number", "exclusiveMinimum": 0},
                "median": {"type": "number", "exclusiveMinimum": 0},
                "sigma": {"type": "number", "exclusiveMinimum": 0},
                "low": {"type": "number"}, "high": {"type": "number"},
                "decimals": {"type": "integer", "minimum": 0, "maximum": 6},
            },
        },
        "effect": {"type": "number", "minimum": -3, "maximum": 3},
        "unit": {"type": "string"}, "description": {"type": "string"},
        "entity_level": {"type": "boolean"},
    },
}
_CATEGORICAL = {
    "type": "object", "additionalProperties": False,
    "required": ["names", "kind", "levels", "effects"],
    "properties": {
        "key": _NAME, "names": _NAMES, "kind": {"const": "categorical"},
        "levels": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
        "weights": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}},
        "effects": {"type": "array", "items": {"type": "number", "minimum": -3, "maximum": 3}},
        "description": {"type": "string"}, "entity_level": {"type": "boolean"},
    },
}
def scenario_schema() -> dict[str, Any]:
    """The JSON schema of a scenario file; family and decoy names come from the registry."""
    return {
        "type": "object", "additionalProperties": False,
        "required": ["name", "title", "domain", "entity", "brief", "world", "model", "failures", "decoys"],
        "properties": {
            "name": _NAME,
            "title": {"type": "string", "minLength": 3},
            "domain": {"type": "string", "minLength": 2},
            "entity": {"type": "string", "minLength": 2},
            "brief": {
                "type": "object", "additionalProperties": False,
                "required": ["context", "decision", "positive", "threshold",
                             "cost_false_positive", "cost_false_negative", "currency"],
                "properties": {
                    "context": {"type": "string", "minLength": 10},
                    "decision": {"type": "string", "minLength": 10},
                    "positive": {"type": "string", "minLength": 3},
                    "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                    "currency": {"type": "string", "minLength": 1},
                    "cost_false_positive": _COST, "cost_false_negative": _COST,
                    "production_note": {"type": "string"},
                    "labels_note": {"type": "string"},
                },
            },
            "world": {
                "type": "object", "additionalProperties": False,
                "required": ["prevalence", "start", "offline_days", "production_days", "columns",
                             "id_names", "label_names"],
                "properties": {
                    "prevalence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                    "start": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                    "offline_days": {"type": "integer", "minimum": 28, "maximum": 1500},
                    "production_days": {"type": "integer", "minimum": 14, "maximum": 365},
                    "label_lag_days": {"type": "integer", "minimum": 0, "maximum": 120},
                    "n_offline": {"type": "integer", "minimum": 500, "maximum": 5_000_000},
                    "n_production": {"type": "integer", "minimum": 500, "maximum": 5_000_000},
                    "id_names": _NAMES, "id_prefix": {"type": "string", "pattern": "^[A-Z]{1,4}$"},
                    "label_names": _NAMES,
                    "timestamp_names": _NAMES,
                    "rows_per_entity": {"type": "number", "minimum": 1, "maximum": 50},
                    "columns": {"type": "array", "minItems": 4, "items": {
                        "type": "object", "required": ["kind"],
                        "properties": {"kind": {"enum": ["numeric", "categorical"]}},
                        "if": {"properties": {"kind": {"const": "categorical"}}},
                        "then": _CATEGORICAL, "else": _NUMERIC}},
                },
            },
            "model": {
                "type": "object", "additionalProperties": False, "required": ["kind"],
                "properties": {
                    "kind": {"enum": list(MODEL_KINDS)},
                    "params": {"type": "object"},
                    "description": {"type": "string"},
                    "split": {"enum": ["random", "time"]},
                    "test_size": {"type": "number", "exclusiveMinimum": 0.05, "maximum": 0.5},
                    "metric": {"enum": ["roc_auc", "accuracy", "precision", "recall"]},
                },
            },
            "failures": {
                "type": "array", "minItems": MIN_POOL,
                "items": {
                    "type": "object", "additionalProperties": False, "required": ["family"],
                    "properties": {
                        "family": {"enum": list(registry.family_names(control=True))},
                        "effect": {"type": "number", "exclusiveMinimum": 0},
                        "weight": {"type": "number", "exclusiveMinimum": 0},
                        "params": {"type": "object"},
                    },
                },
            },
            "session": {
                "type": "object", "additionalProperties": False,
                "properties": {"phases": {
                    "type": "object", "minProperties": 1,
                    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 120},
                }},
            },
            "decoys": {
                "type": "array", "minItems": 2,
                "items": {"type": "object", "additionalProperties": False, "required": ["kind"],
                          "properties": {"kind": {"enum": list(registry.decoys())},
                                         "params": {"type": "object"}}},
            },
        },
    }


@dataclass(frozen=True)
class Scenario:
    """A validated scenario spec. ``spec`` is the parsed YAML; ``path`` where it came from."""

    name: str
    spec: dict = field(repr=False)
    path: Path | None = None

    @property
    def pool(self) -> list[str]:
        """The families this world can host (the scenario's secret pool; grading side only)."""
        return [f["family"] for f in self.spec["failures"]]

    def entry(self, family: str) -> dict:
        """The pool entry (family, effect, weight, params) of ``family``."""
        for f in self.spec["failures"]:
            if f["family"] == family:
                return f
        raise ScenarioError(f"family {family!r} is not in the pool of scenario {self.name!r}; "
                            f"its pool has {len(self.pool)} families (see the scenario file)")

    @property
    def title(self) -> str:
        return self.spec["title"]


def _where(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _say(error: jsonschema.ValidationError) -> str:
    # A oneOf failure (numeric vs categorical column) is clearest as the best sub-error.
    import jsonschema
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    msg = best.message
    if best.validator == "enum":
        msg = f"{best.instance!r} is not allowed; allowed: {', '.join(map(str, best.validator_value))}"
    elif best.validator == "additionalProperties":
        allowed = ", ".join(sorted(best.schema.get("properties", {})))
        msg = f"{msg}; allowed fields: {allowed}"
    return f"{_where(best)}: {msg}"


def validate_spec(spec: Any, *, source: str) -> dict:
    """Check a parsed scenario against the schema and the cross-field rules; return it.

    Raises
    ------
    ScenarioError
        One line naming ``source``, the field path and what is allowed.
    """
    if not isinstance(spec, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping, got {type(spec).__name__}")
    # imported here: jsonschema's import compiles format grammars (about 1 CPU-second), which the
    # check's worker processes, given scenarios already validated, do not need
    import jsonschema
    validator = jsonschema.Draft202012Validator(scenario_schema())
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ScenarioError(f"{source}: {_say(errors[0])}")
    cols = spec["world"]["columns"]
    keys = [c.get("key", c["names"][0]) for c in cols]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"{source}: world.columns: two columns share the key/first name; make them unique")
    all_names = [n for c in cols for n in c["names"]]
    if len(set(all_names)) != len(all_names):
        raise ScenarioError(f"{source}: world.columns: a name appears in two columns' vocabularies; make them disjoint")
    for i, c in enumerate(cols):
        if c["kind"] == "categorical":
            n = len(c["levels"])
            if len(c["effects"]) != n or ("weights" in c and len(c["weights"]) != n):
                raise ScenarioError(f"{source}: world.columns.{i}: effects and weights need one entry per level ({n})")
        else:
            t = c["transform"]
            need = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
                    "uniform": ("low", "high"), "count": ("median", "sigma")}[t["dist"]]
            missing = [k for k in need if k not in t]
            if missing:
                raise ScenarioError(f"{source}: world.columns.{i}.transform: dist {t['dist']} needs {', '.join(need)}")
    for i, d in enumerate(spec["decoys"]):
        col = d.get("params", {}).get("column")
        if col is not None and col not in keys:
            raise ScenarioError(f"{source}: decoys.{i}.params.column: unknown column {col!r}; "
                                f"known column keys: {', '.join(keys)}")
    fams = [f["family"] for f in spec["failures"]]
    dup = sorted({f for f in fams if fams.count(f) > 1})
    if dup:
        raise ScenarioError(f"{source}: failures: {dup[0]!r} appears twice; list each family once")
    kinds = {registry.kind_of(f) for f in fams} - {"control"}
    if len(kinds) < 2:
        raise ScenarioError(f"{source}: failures: the pool holds only {'/'.join(sorted(kinds)) or 'the control'} "
                            f"families; mix at least two kinds of {', '.join(registry.KINDS[:3])}")
    moving = [f for f in fams if registry.get_family(f).placeholder_moves]
    if registry.NO_FAILURE in fams and moving:
        raise ScenarioError(f"{source}: failures: {moving[0]!r} adds a column that drifts under every draw, so it "
                            f"cannot share a pool with {registry.NO_FAILURE!r} (where nothing may move)")
    for i, f in enumerate(spec["failures"]):
        try:
            registry.get_family(f["family"]).check_params(f.get("params", {}), spec)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: failures.{i}.params: {exc}") from None
    return spec


def read_yaml(path: Path) -> tuple[str, Any]:
    """The text of a scenario file and what it parses to.

    Raises
    ------
    ScenarioError
        An unreadable file, or malformed YAML as ``file.yaml:LINE: column C: malformed YAML: ...``.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror})") from None
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}: column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ScenarioError(f"{path.name}{where}: malformed YAML: {problem}") from None


def _load_path(path: Path) -> Scenario:
    _, spec = read_yaml(path)
    validate_spec(spec, source=path.name)
    if spec["name"] != path.stem:
        raise ScenarioError(f"{path.name}: name {spec['name']!r} must equal the file name {path.stem!r}")
    return Scenario(name=spec["name"], spec=spec, path=path)


ENV_DIRS = "LIVESCREEN_SCENARIOS"  # a path list (os.pathsep) of extra scenario folders


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in the repository, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def scenario_dirs() -> list[Path]:
    """Extra scenario folders from ``LIVESCREEN_SCENARIOS`` (``--scenarios DIR`` adds to it).

    Raises
    ------
    ScenarioError
        A folder that does not exist, or a file in it named like a shipped scenario (a clash).
    """
    dirs, shipped = [], set(shipped_scenarios())
    for part in os.environ.get(ENV_DIRS, "").split(os.pathsep):
        if not part.strip():
            continue
        d = Path(part).expanduser()
        if not d.is_dir():
            raise ScenarioError(f"{ENV_DIRS}/--scenarios: {part} is not a folder; give folders of scenario YAMLs")
        for f in sorted(d.glob("*.yaml")):
            if f.stem in shipped:
                raise ScenarioError(f"{f}: {f.stem!r} clashes with the shipped scenario of that name; rename the file "
                                    "and its name: field")
        dirs.append(d)
    return dirs


def _extra_path(name: str) -> Path | None:
    for d in scenario_dirs():
        if (d / f"{name}.yaml").is_file():
            return d / f"{name}.yaml"
    return None


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios and those of the extra folders (``scenario_dirs``), sorted."""
    extra = {f.stem for d in scenario_dirs() for f in d.glob("*.yaml")}
    return sorted(set(shipped_scenarios()) | extra)


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> Scenario:
    return _load_path(Path(path))


def load_scenario(scenario: "str | Path | Scenario") -> Scenario:
    """Load a scenario by shipped name, by path to a YAML file, or pass a Scenario through.

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the known ones), unreadable or malformed file.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, (str, Path)):
        raise ScenarioError(f"scenario must be a name or a path, got {type(scenario).__name__}")
    text = str(scenario)
    path = Path(text)
    if text.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise ScenarioError(f"{text}: no such scenario file")
    else:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
            raise ScenarioError(f"unknown scenario {text!r}; known: {', '.join(list_scenarios())}")
        path = SCENARIO_DIR / f"{text}.yaml"
        extra = _extra_path(text)  # also refuses a clash with a shipped name
        if not path.is_file():
            if extra is None:
                raise ScenarioError(f"unknown scenario {text!r}; known: {', '.join(list_scenarios())}")
            path = extra
    return _load_cached(str(path.resolve()), path.stat().st_mtime)
