"""Authoring a scenario outside the repository: the scaffold and the check.

``scaffold(name, like=..., out=...)`` writes a commented scenario YAML modelled on a shipped one:
every field carries a comment with its meaning and its allowed values (taken from the schema and the
registry, so a plug-in family shows up in the comments too). The file is valid as written.

``static_check(path)`` reads a scenario file and refuses, in one line naming the file, the line and
the field path, what cannot work: malformed YAML, schema errors (an unknown column kind, a bad
enum), impossible distribution parameters, a family the world cannot host, a decoy on the culprit,
a pool below the minimum. ``measure(path, seeds=...)`` then builds and validates one variant per
(pool family, seed) and summarises per family: the validator's pass rate, the effect band, the
difficulty index against the shipped scenarios' band, decoy visibility and the team's offline AUC.
Nothing is written by either.
"""
from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import registry
from .errors import ScenarioError
from .scenario import MIN_POOL, Scenario, scenario_schema, validate_spec

# --------------------------------------------------------------------------- field documentation
# The meaning of each field, by schema path ("*" for a list item). Allowed values are appended from
# the schema itself (enums, bounds) so the comments cannot drift from what the loader accepts.
DOCS = {
    "name": "the scenario's identifier: lower-case letters, digits and _; must equal the file name",
    "title": "the notebook's title, shown to the candidate",
    "domain": "a short domain tag (e.g. retail, insurance), shown in `livescreen scenarios --long`",
    "entity": "what one row scores (an order, a claim, an account); shown to the candidate",
    "brief": "what the candidate reads first: the business, the decision, the costs",
    "brief.context": "two or three sentences on the business and how the model is used (candidate-visible; never name a cause)",
    "brief.decision": "the decision the score drives",
    "brief.positive": "what a positive label means",
    "brief.threshold": "the score above which the decision is taken",
    "brief.currency": "the currency of the costs below (e.g. USD, EUR)",
    "brief.cost_false_positive": "cost of acting on a row that was negative: amount and what it buys",
    "brief.cost_false_negative": "cost of missing a positive: amount and what is lost",
    "brief.production_note": "why the team asks for help; the drawn family's symptom sentence is appended (never name a cause)",
    "brief.labels_note": "when a row's outcome becomes known",
    "world": "the synthetic world: its size, time axis and columns",
    "world.prevalence": "share of positive labels offline",
    "world.start": "first day of the offline period, YYYY-MM-DD",
    "world.offline_days": "days of offline (training) data",
    "world.production_days": "days of production data after the offline period; concept_drift and schema_change need room for an onset",
    "world.label_lag_days": "days before a production row's label is known",
    "world.n_offline": "offline rows at live size",
    "world.n_production": "production rows at live size",
    "world.id_names": "candidate names for the id column; the seed picks one",
    "world.id_prefix": "prefix of the generated ids",
    "world.label_names": "candidate names for the label column; the seed picks one",
    "world.timestamp_names": "candidate names for the timestamp column; the seed picks one",
    "world.rows_per_entity": "mean rows per entity; group_leakage and preprocessing_leakage need more than 1",
    "world.columns": "the features; a numeric or a categorical column per item (at least 4)",
    "world.columns.*.names": "candidate names; the seed picks one; the first (or key) identifies the column",
    "world.columns.*.key": "a stable identifier for the column (default: its first name)",
    "world.columns.*.kind": "numeric or categorical",
    "world.columns.*.transform": "the column's distribution: dist and its parameters",
    "world.columns.*.transform.dist": "normal (mean, sd), lognormal (median, sigma), uniform (low < high), count (median, sigma)",
    "world.columns.*.transform.mean": "normal: the mean",
    "world.columns.*.transform.sd": "normal: the standard deviation (> 0)",
    "world.columns.*.transform.median": "lognormal/count: the median (> 0)",
    "world.columns.*.transform.sigma": "lognormal/count: the log-scale spread (> 0)",
    "world.columns.*.transform.low": "uniform: the lower bound (< high)",
    "world.columns.*.transform.high": "uniform: the upper bound",
    "world.columns.*.transform.decimals": "digits kept when written",
    "world.columns.*.effect": "the column's log-odds effect on the label per standard deviation",
    "world.columns.*.unit": "unit shown in the schema",
    "world.columns.*.description": "one line shown to the candidate (never name a cause)",
    "world.columns.*.entity_level": "true when the column is constant per entity (group_leakage needs one)",
    "world.columns.*.levels": "categorical: the levels (at least 2)",
    "world.columns.*.weights": "categorical: relative frequency of each level (one per level)",
    "world.columns.*.effects": "categorical: log-odds effect of each level (one per level)",
    "model": "the team's model and its offline evaluation",
    "model.kind": "the team's model",
    "model.params": "keyword arguments of the model (scikit-learn names)",
    "model.description": "one line the candidate reads about the model",
    "model.split": "how the team split its offline data",
    "model.test_size": "share held out",
    "model.metric": "the team's headline metric",
    "failures": f"the secret pool: the families a seed may draw (at least {MIN_POOL}, of at least two kinds)",
    "failures.*.family": "the family planted when drawn",
    "failures.*.effect": "the target size of the family's symptom (the validator's effect band is +/-15% around it)",
    "failures.*.weight": "relative draw weight (default 1)",
    "failures.*.params": "the family's knobs (see `livescreen scenarios --long`); e.g. culprits: [column keys]",
    "session": "optional: the live session's phases",
    "session.phases": "minutes per phase name",
    "decoys": "red herrings planted in every variant (at least 2)",
    "decoys.*.kind": "the decoy kind",
    "decoys.*.params": "the decoy's knobs; column: a column key (never a failure's culprit)",
}

# Words that name a cause; candidate-visible text must not contain them (a warning, not an error).
CAUSE_WORDS = ("leak", "drift", "shift", "skew", "simpson", "confound", "selection bias", "imbalance",
               "duplicat", "miscalibrat", "calibration", "schema change", "label delay", "prior shift",
               "train-serve", "train/serve")


def _schema_at(schema: dict, path: list[str]) -> dict | None:
    node = schema
    for part in path:
        if node is None:
            return None
        if part == "*":
            node = node.get("items")
            continue
        node = node.get("properties", {}).get(part)
    return node


def _allowed(node: dict | None) -> str:
    if not node:
        return ""
    if "enum" in node:
        return "allowed: " + ", ".join(map(str, node["enum"]))
    if "const" in node:
        return f"allowed: {node['const']}"
    bits = []
    typ = node.get("type")
    if typ:
        bits.append(typ)
    for key, sym in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in node:
            bits.append(f"{sym} {node[key]}")
    if "pattern" in node:
        bits.append(f"matching {node['pattern']}")
    if "minItems" in node:
        bits.append(f"at least {node['minItems']} items")
    return "allowed: " + " ".join(bits) if bits else ""


def _doc(path: list[str], schema: dict) -> str:
    key = ".".join(path)
    text = DOCS.get(key, "")
    node = _schema_at(schema, path)
    if path and path[-1] == "kind" and path[:-1] == ["world", "columns", "*"]:
        allowed = "allowed: numeric, categorical"
    elif path == ["failures", "*", "family"]:
        allowed = "allowed: " + ", ".join(f"{n} ({c.kind})" for n, c in registry.families().items())
    elif path == ["decoys", "*", "kind"]:
        allowed = "allowed: " + ", ".join(registry.decoys())
    elif path[:3] == ["world", "columns", "*"] and len(path) > 3:
        col = {**_schema_at(schema, ["world", "columns", "*"])["then"]["properties"],
               **_schema_at(schema, ["world", "columns", "*"])["else"]["properties"]}
        sub = col.get(path[3])
        for part in path[4:]:
            sub = (sub or {}).get("properties", {}).get(part)
        allowed = _allowed(sub)
    else:
        allowed = _allowed(node)
    return "; ".join(x for x in (text, allowed) if x)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _emit(value: Any, path: list[str], indent: int, schema: dict, out: list[str], *, documented: set) -> None:
    pad = " " * indent
    for key, val in value.items():
        p = path + [key]
        doc = _doc(p, schema)
        dkey = ".".join(p)
        if doc and dkey not in documented:
            documented.add(dkey)
            out.append(f"{pad}# {key}: {doc}")
        if isinstance(val, dict) and val:
            out.append(f"{pad}{key}:")
            _emit(val, p, indent + 2, schema, out, documented=documented)
        elif isinstance(val, list) and val and all(isinstance(v, dict) for v in val):
            out.append(f"{pad}{key}:")
            for item in val:
                sub: list[str] = []
                _emit(item, p + ["*"], indent + 4, schema, sub, documented=documented)
                first = next(i for i, line in enumerate(sub) if not line.lstrip().startswith("#"))
                sub[first] = f"{pad}  - " + sub[first][indent + 4:]
                out.extend(sub)
        else:
            out.append(f"{pad}{key}: {_scalar(val)}")
    node = _schema_at(schema, path) if path else schema
    for key in (node or {}).get("properties", {}):
        if key not in value and ".".join(path + [key]) not in documented and ".".join(path + [key]) in DOCS:
            documented.add(".".join(path + [key]))
            out.append(f"{pad}# optional, not set here: {key}: {_doc(path + [key], schema)}")


def scaffold_text(name: str, *, like: str) -> str:
    """The commented YAML of a new scenario ``name`` modelled on the shipped scenario ``like``."""
    from .scenario import load_scenario
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ScenarioError(f"bad scenario name {name!r}: use lower-case letters, digits and _, starting with a letter")
    base = load_scenario(like)
    spec = json.loads(json.dumps(base.spec))
    spec["name"] = name
    spec["title"] = f"{spec['title']} (new scenario {name}: rewrite for your domain)"
    schema = scenario_schema()
    out = [f"# Scenario {name}, scaffolded from the shipped scenario {base.name} by `livescreen scenario new`.",
           "# Edit the values for your domain; each field's comment says what it means and what is allowed.",
           f"# Check it with `livescreen scenario check {name}.yaml` and look at it with `livescreen scenario preview`.",
           "# Candidate-visible text (title, brief, column descriptions) must never name the cause."]
    _emit(spec, [], 0, schema, out, documented=set())
    text = "\n".join(out) + "\n"
    validate_spec(yaml.safe_load(text), source=f"{name}.yaml")  # valid as generated, or a bug here
    return text


def scaffold(name: str, *, like: str, out: str | Path, force: bool = False) -> Path:
    """Write ``out/<name>.yaml`` (see ``scaffold_text``); refuses a shipped name or an existing file."""
    from .scenario import shipped_scenarios
    if name in shipped_scenarios():
        raise ScenarioError(f"{name!r} is the name of a shipped scenario; choose another name")
    text = scaffold_text(name, like=like)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out} is a file; give a folder")
    path = out / f"{name}.yaml"
    if path.exists() and not force:
        raise ScenarioError(f"{path} already exists; choose another --out or name (nothing written)")
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- static check
def _line_of(root, path: list[str]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (a field path such as world.columns.3.kind)."""
    node, line = root, None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == part:
                    nxt, line = v, k.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    if line is None and root is not None:
        line = root.start_mark.line + 1
    return line


_HOST_DRIFT_MIN_POST = 10  # labelled production days after the latest onset (concept_drift, schema_change)


def _host_rules(spec: dict) -> tuple[list[str], str] | None:
    """The first reason the world cannot host its pool or decoys: (field path, message), or None."""
    w = spec["world"]
    try:
        datetime.date.fromisoformat(w["start"])
    except ValueError:
        return ["world", "start"], f"{w['start']!r} is not a calendar date; write YYYY-MM-DD, e.g. 2025-01-06"
    cols = w["columns"]
    keys = [c.get("key", c["names"][0]) for c in cols]
    for i, c in enumerate(cols):
        t = c.get("transform", {})
        if t.get("dist") == "uniform" and t["low"] >= t["high"]:
            return (["world", "columns", str(i), "transform"],
                    f"uniform needs low < high, got low={t['low']}, high={t['high']}; swap or widen them")
        if c["kind"] == "categorical" and "weights" in c and sum(c["weights"]) <= 0:
            return ["world", "columns", str(i), "weights"], "weights must sum to more than 0"
    rows = w.get("rows_per_entity", 1)
    entity_cols = [k for k, c in zip(keys, cols) if c.get("entity_level")]
    culprits: dict[str, int] = {}
    for i, f in enumerate(spec["failures"]):
        fam, params = f["family"], f.get("params", {})
        for key in ("culprit", "culprits"):
            if key in params:
                for n in params[key] if isinstance(params[key], list) else [params[key]]:
                    culprits[n] = i
        if fam == "group_leakage" and (rows <= 1 or not entity_cols):
            return (["failures", str(i), "family"],
                    "group_leakage needs an entity id with several rows per entity: set world.rows_per_entity > 1 "
                    "and mark at least one column entity_level: true, or drop the family")
        if fam == "preprocessing_leakage" and (rows <= 1 or entity_cols):
            return (["failures", str(i), "family"],
                    "preprocessing_leakage needs world.rows_per_entity > 1 and no entity_level column, or drop the family")
        if fam in ("concept_drift", "schema_change"):
            # concept_drift's reference retrains on labelled post-onset rows; schema_change needs days
            # after the onset to show. The shipped worlds have 12+ labelled post-onset days.
            hi = params.get("onset_range", (0.2, 0.4))[1]
            lag = w.get("label_lag_days", 0) if fam == "concept_drift" else 0
            post = w["production_days"] * (1 - hi) - lag
            if post < _HOST_DRIFT_MIN_POST:
                need = int((_HOST_DRIFT_MIN_POST + lag) / (1 - hi)) + 1
                return (["failures", str(i), "family"],
                        f"{fam} needs a production period long enough for an onset and {_HOST_DRIFT_MIN_POST} "
                        f"{'labelled ' if lag else ''}days after it: world.production_days is {w['production_days']}, "
                        f"make it at least {need}" + (f" (label_lag_days is {lag})" if lag else ""))
    for i, d in enumerate(spec["decoys"]):
        col = d.get("params", {}).get("column")
        if col is not None and col in culprits:
            return (["decoys", str(i), "params", "column"],
                    f"decoy on column {col!r}, the culprit of failures.{culprits[col]}; put the decoy on another column")
    return None


def static_check(path: str | Path) -> Scenario:
    """Read and check a scenario file without building anything; return the Scenario.

    Raises
    ------
    ScenarioError
        ``file:line: field.path: what is wrong; allowed values / how to fix``, one line.
    """
    from .scenario import read_yaml, shipped_scenarios
    path = Path(path)
    text, spec = read_yaml(path)
    root = yaml.compose(text)  # the node tree: line numbers for the field paths below

    def fail(field_path: list[str], msg: str):
        line = _line_of(root, field_path)
        raise ScenarioError(f"{path.name}:{line}: {'.'.join(field_path) or '(top level)'}: {msg}")

    if isinstance(spec, dict) and isinstance(spec.get("failures"), list) and len(spec["failures"]) < MIN_POOL:
        fail(["failures"], f"the pool holds {len(spec['failures'])} families; a pool needs at least {MIN_POOL} "
                           f"(of at least two kinds): add families from {', '.join(registry.family_names())}")
    cols = (spec.get("world") or {}).get("columns") if isinstance(spec, dict) and isinstance(spec.get("world"), dict) else None
    for i, c in enumerate(cols if isinstance(cols, list) else []):
        if isinstance(c, dict) and c.get("kind") not in ("numeric", "categorical"):
            # the schema would report the fields of the wrong branch; the kind is the real mistake
            fail(["world", "columns", str(i), "kind"], f"{c.get('kind')!r} is not allowed; allowed: numeric, categorical")
    try:
        validate_spec(spec, source=path.name)
    except ScenarioError as exc:
        msg = str(exc)
        m = re.match(rf"^{re.escape(path.name)}: (\(top level\)|[\w.]+): (.*)$", msg, re.S)
        if m:
            field_path = [] if m.group(1) == "(top level)" else m.group(1).split(".")
            fail(field_path, _readable(spec, field_path, m.group(2)))
        raise
    bad = _host_rules(spec)
    if bad:
        fail(*bad)
    if spec["name"] != path.stem:
        fail(["name"], f"{spec['name']!r} must equal the file name {path.stem!r}; rename one of them")
    if spec["name"] in shipped_scenarios():
        fail(["name"], f"{spec['name']!r} is the name of a shipped scenario; choose another name")
    scenario = Scenario(name=spec["name"], spec=spec, path=path)
    bad = _dry_build(scenario)
    if bad:
        fail(*bad)
    return scenario


def _readable(spec, field_path: list[str], msg: str) -> str:
    """The schema's "[...whole list...] is too short" as "has N items; needs at least M"."""
    if msg.endswith(" is too short"):
        node = spec
        for part in field_path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        need = (_schema_at(scenario_schema(), ["*" if p.isdigit() else p for p in field_path]) or {}).get("minItems")
        return f"has {len(node)} item{'s' if len(node) != 1 else ''}; needs at least {need}" if need else msg
    return msg


def _dry_build(scenario: Scenario) -> tuple[list[str], str] | None:
    """Plant every pool family (and the decoys) in a tiny world, without a model: what the families'
    and decoys' own rules refuse (a segment family without a categorical column, no eligible
    culprit, a plug-in family's requirement) as (field path, message), or None. About 30 ms a family."""
    from .variant import build_world
    spec = scenario.spec
    for i, fam in enumerate(scenario.pool):
        try:
            build_world(scenario, 0, family=fam, n_offline=500, n_production=500)
        except ScenarioError as exc:
            msg = str(exc)
            for j, d in enumerate(spec["decoys"]):
                if msg.startswith(d["kind"]) and "params.column" in msg:
                    return ["decoys", str(j), "params", "column"], msg
                if msg.startswith(d["kind"]):
                    return ["decoys", str(j), "kind"], f"{msg} (with {fam} planted); add such a column or drop the decoy"
            return ["failures", str(i), "family"], f"{msg}; change the world or drop the family"
    return None


def cause_word_warnings(path: str | Path) -> list[str]:
    """Warnings for candidate-visible text (title, brief, column names and descriptions) naming a cause."""
    path = Path(path)
    text = path.read_text()
    root = yaml.compose(text)
    spec = yaml.safe_load(text)
    words = tuple(CAUSE_WORDS) + tuple(n.replace("_", " ") for n in registry.family_names())
    found = []

    def look(value, fp):
        if isinstance(value, str):
            low = value.lower().replace("_", " ")
            for w in words:
                if w in low:
                    found.append(f"{path.name}:{_line_of(root, fp)}: {'.'.join(fp)}: candidate-visible text "
                                 f"contains {w!r}, which names a cause; reword it as a symptom")
                    break
        elif isinstance(value, dict):
            for k, v in value.items():
                look(v, fp + [k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                look(v, fp + [str(i)])

    look(spec.get("title"), ["title"])
    look(spec.get("brief"), ["brief"])
    for i, c in enumerate(spec.get("world", {}).get("columns", [])):
        look(c.get("names"), ["world", "columns", str(i), "names"])
        look(c.get("description"), ["world", "columns", str(i), "description"])
    return found


def brief_warnings(scenario: Scenario) -> list[str]:
    """A warning when the candidate's brief would read the same under every family of the pool.

    The production note a candidate reads is the scenario's note followed by the drawn family's
    first symptom sentence (``data_generators.variant``); when every pool family gives the same
    sentence the brief cannot point the candidate anywhere, and the families are told apart only by
    the data.
    """
    entity = scenario.spec["entity"]
    notes = {f: registry.get_family(f).symptoms[0].format(entity=entity) for f in scenario.pool}
    if len(set(notes.values())) == 1 and len(notes) > 1:
        return [f"{scenario.name}: the brief reads the same under every family of the pool "
                f"({', '.join(notes)}): mix families whose stakeholders see different symptoms"]
    return []


# --------------------------------------------------------------------------- measured check
@dataclass
class FamilyFigures:
    """What the validator measured for one pool family over the seeds."""

    family: str
    seeds: list[int]
    passed: int = 0
    effects: list[float] = field(default_factory=list)  # effect / target - 1 per seed
    measured: list[float] = field(default_factory=list)  # the symptom measured per seed
    target: float = float("nan")
    difficulty: list[float] = field(default_factory=list)
    decoys_visible: list[float] = field(default_factory=list)  # share of decoys visible per seed
    auc: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "seed 3: check=value (threshold)"
    shipped_band: tuple[float, float] | None = None
    compared: bool = False  # whether the shipped band was measured

    @property
    def ok(self) -> bool:
        return self.passed == len(self.seeds)

    def hint(self) -> str | None:
        """When the measured effects miss the band: the ``effect`` to write, their mean (the target
        is the validator's yardstick, not a knob of the planted strength)."""
        if not self.measured or all(abs(e) <= 0.15 for e in self.effects):
            return None
        mean = sum(self.measured) / len(self.measured)
        spread = (max(self.measured) - min(self.measured)) / mean if mean else float("inf")
        tip = (f"set failures[{self.family}].effect to {mean:.3f} (the measured mean; target {self.target:.3f})")
        if spread > 0.3:
            tip += f"; the seeds spread {spread:.0%} around it: strengthen the family's params or its culprit's effect"
        return tip

    def line(self) -> str:
        band = (f"{min(self.difficulty):.2f}-{max(self.difficulty):.2f}" if self.difficulty else "-")
        ship = (f" (shipped {self.shipped_band[0]:.2f}-{self.shipped_band[1]:.2f})" if self.shipped_band else
                " (no shipped scenario hosts it)" if self.compared else " (shipped band not measured)")
        eff = (f"{min(self.effects):+.0%}..{max(self.effects):+.0%}" if self.effects else "-")
        vis = f"{sum(self.decoys_visible) / len(self.decoys_visible):.0%}" if self.decoys_visible else "-"
        auc = f"{min(self.auc):.3f}-{max(self.auc):.3f}" if self.auc else "-"
        return (f"{self.family:24s} {'pass' if self.ok else 'FAIL':4s} {self.passed}/{len(self.seeds)}  "
                f"effect vs target {eff}  difficulty {band}{ship}  decoys visible {vis}  offline AUC {auc}")


def shipped_hosts(family: str, *, limit: int = 2) -> list[str]:
    """Up to ``limit`` shipped scenarios whose pool holds ``family`` (the difficulty band's yardstick)."""
    from .scenario import load_scenario, shipped_scenarios
    return [n for n in shipped_scenarios() if family in load_scenario(n).pool][:limit]


def shipped_band(family: str, *, seeds=(0,), n_offline=None, n_production=None, limit: int = 2):
    """Difficulty index range of ``family`` on up to ``limit`` shipped scenarios hosting it (measured now)."""
    vals = [_validate((name, family, s, n_offline, n_production)).difficulty
            for name in shipped_hosts(family, limit=limit) for s in seeds]
    return (min(vals), max(vals)) if vals else None


def _one_thread_worker() -> None:
    """Each worker process runs its native pools (OpenMP, BLAS) on one thread: the processes are the
    parallelism, and threads on top of them only wait on each other (results are the same)."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1)


def _validate(task):
    """Build and validate one variant: ``(scenario, family, seed, n_offline, n_production)``."""
    scenario, fam, seed, n_offline, n_production = task
    from livescreen.toolkit.model import one_thread
    from .validation import validate_variant
    from .variant import build_variant
    with one_thread():
        return validate_variant(build_variant(scenario, seed, family=fam, n_offline=n_offline,
                                              n_production=n_production))


def default_jobs() -> int:
    """The processes ``measure`` uses by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def measure(scenario: Scenario, *, seeds: list[int], n_offline=None, n_production=None,
            compare_shipped: bool = True, jobs: int | None = None, progress=None) -> list[FamilyFigures]:
    """Build and validate every (pool family, seed) of ``scenario``; return one summary per family.

    Every variant is independent (seeded by itself), so the (family, seed) pairs and the shipped
    band's variants (``shipped_band``) go into one queue served by ``jobs`` worker processes
    (default: the cores available), each on one native thread; the figures are the same as one
    process would measure. ``progress(family, seed, report)`` is called as pool variants finish.
    """
    jobs = default_jobs() if jobs is None else jobs
    pairs = [(scenario, fam, seed, n_offline, n_production) for fam in scenario.pool for seed in seeds]
    hosts = {fam: shipped_hosts(fam) for fam in scenario.pool} if compare_shipped else {}
    # the shipped scenarios go as loaded here (validated once), not by name for each worker to load again
    from .scenario import load_scenario
    band_tasks = [(load_scenario(name), fam, 0, n_offline, n_production)
                  for fam in scenario.pool for name in hosts.get(fam, [])]
    # The shipped band's variants first: a shipped world can take several times a pool variant's
    # time, and started last it would keep one worker busy while the other waits.
    tasks = band_tasks + pairs
    if jobs > 1 and len(tasks) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_one_thread_worker,
                                 mp_context=multiprocessing.get_context("spawn")) as ex:
            reports = []
            for task, rep in zip(tasks, ex.map(_validate, tasks)):
                reports.append(rep)
                if progress and len(reports) > len(band_tasks):
                    progress(task[1], task[2], rep)
    else:
        reports = []
        for task in tasks:
            reports.append(_validate(task))
            if progress and len(reports) > len(band_tasks):
                progress(task[1], task[2], reports[-1])
    by_pair = dict(zip([(p[1], p[2]) for p in pairs], reports[len(band_tasks):]))
    band = {}
    for (_, fam, *_), rep in zip(band_tasks, reports[:len(band_tasks)]):
        band.setdefault(fam, []).append(rep.difficulty)
    out = []
    for fam in scenario.pool:
        figs = FamilyFigures(family=fam, seeds=list(seeds))
        for seed in seeds:
            rep = by_pair[(fam, seed)]
            figs.passed += rep.passed
            figs.target = rep.target
            figs.measured.append(rep.effect)
            if rep.target:
                figs.effects.append(rep.effect / rep.target - 1)
            figs.difficulty.append(rep.difficulty)
            vis = [c.passed for c in rep.checks if c.name.endswith("_visible")]
            figs.decoys_visible.append(sum(vis) / len(vis) if vis else 0.0)
            figs.auc.append(rep.figure("team_offline_auc"))
            figs.failures += [f"seed {seed}: {c.name}={c.value} ({c.threshold})" for c in rep.failed]
        if compare_shipped:
            vals = band.get(fam)
            figs.shipped_band = (min(vals), max(vals)) if vals else None
            figs.compared = True
        out.append(figs)
    return out
