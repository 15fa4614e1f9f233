"""The domain world a scenario declares, sampled for one variant.

A world is built in latent space first: each numeric column is a standard normal ``z`` and each
categorical column an integer code. The label's log-odds are a sum of per-column contributions
(``effect * z`` or ``effects[code]``) plus whatever a failure family adds. Only at the end are the
latents turned into the domain's display values (amounts, counts, months...). Working in latent
space keeps a family's effect size the same whichever column the seed makes the culprit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

PARTS = ("offline", "production")
_SCRAMBLE_P = 2_147_483_647  # a prime: (a*i + b) mod p is a bijection, so ids never repeat


@dataclass
class Column:
    """One feature column of the world: its key in the spec, the display name the seed drew, its kind."""

    key: str
    name: str
    kind: str  # "numeric" | "categorical"
    spec: dict = field(repr=False)
    effect: float | np.ndarray = 0.0
    description: str = ""
    unit: str = ""
    planted: bool = False  # added by a family or decoy rather than declared by the world

    @property
    def levels(self) -> list[str]:
        return list(self.spec["levels"])


class World:
    """Latent inputs, labels and finally the observed frames of one variant.

    Families and decoys act on a world through its hooks (see ``families.base.Family``); the
    variant builder calls them in order: inputs, labels, observed frames, team evaluation.
    """

    def __init__(self, spec: dict, *, rng: np.random.Generator, n_offline: int, n_production: int):
        self.spec = spec
        self.rng = rng
        w = spec["world"]
        self.n = {"offline": n_offline, "production": n_production}
        self.prevalence = {"offline": w["prevalence"], "production": w["prevalence"]}
        self.label_lag_days = w.get("label_lag_days", 14)
        self.start = np.datetime64(w["start"], "s")
        self.offline_days = w["offline_days"]
        self.production_days = w["production_days"]
        pick = lambda names: names[int(rng.integers(len(names)))]  # noqa: E731
        self.id_name = pick(w["id_names"])
        self.label_name = pick(w["label_names"])
        self.timestamp_name = pick(w.get("timestamp_names", ["event_time"]))
        self.rows_per_entity = float(w.get("rows_per_entity", 1))
        # Names of planted columns come from their own stream, so they are the same whichever
        # family of the pool is drawn (a column's name must not tell the draw).
        self._names_seed = int(rng.integers(2**32))
        self.columns: dict[str, Column] = {}
        for c in w["columns"]:
            key = c.get("key", c["names"][0])
            eff = np.asarray(c["effects"], float) if c["kind"] == "categorical" else float(c["effect"])
            self.columns[key] = Column(key=key, name=pick(c["names"]), kind=c["kind"], spec=c,
                                       effect=eff, description=c.get("description", ""),
                                       unit=c.get("unit", ""))
        self.z: dict[str, dict[str, np.ndarray]] = {p: {} for p in PARTS}
        self.extra_logit = {p: np.zeros(self.n[p]) for p in PARTS}
        self.entity_effect_sd = 0.0
        self.split_method = spec["model"].get("split", "random")
        self.split_drawn = False  # the team's split was drawn at random by ``assign_split``
        self.split_redraw: np.random.Generator | None = None  # see ``assign_split``
        self.test_size = spec["model"].get("test_size", 0.25)
        self.model_spec = {"kind": spec["model"]["kind"], "params": dict(spec["model"].get("params", {}))}
        self.metric = spec["model"].get("metric", "roc_auc")
        self.threshold = spec["brief"]["threshold"]
        self.frames: dict[str, pd.DataFrame] = {}
        self.recomputed: pd.DataFrame | None = None
        self.immature_as_negative = False  # set by the label-delay family
        self.model_excludes: list[str] = []  # columns the team's model does not use

    # ------------------------------------------------------------------ sampling
    def sample_inputs(self) -> None:
        """Draw timestamps, entity ids and every column's latent values for both parts."""
        rng = self.rng
        spans = {"offline": (0, self.offline_days),
                 "production": (self.offline_days, self.offline_days + self.production_days)}
        n_entities_so_far = 0
        a = int(rng.integers(1_000, _SCRAMBLE_P - 1))
        b = int(rng.integers(0, _SCRAMBLE_P))
        for part in PARTS:
            n = self.n[part]
            lo, hi = spans[part]
            secs = np.sort(rng.uniform(lo * 86400.0, hi * 86400.0, n))
            self.z[part]["__t"] = secs / 86400.0  # days since start, float
            # Entities: each row belongs to one; with rows_per_entity > 1 an entity's rows are
            # scattered over the part's time span and its entity-level columns are constant.
            n_ent = max(1, int(round(n / self.rows_per_entity)))
            ent = rng.integers(0, n_ent, n) if n_ent < n else rng.permutation(n)
            self.z[part]["__entity"] = ent
            self.z[part]["__id"] = (a * (ent + n_entities_so_far + 1) + b) % _SCRAMBLE_P
            n_entities_so_far += n_ent
            self.z[part]["__entity_effect"] = (
                rng.standard_normal(n_ent)[ent] if self.rows_per_entity > 1 else np.zeros(n))
            for key, col in self.columns.items():
                entity_level = col.spec.get("entity_level", False) and self.rows_per_entity > 1
                size = n_ent if entity_level else n
                if col.kind == "numeric":
                    v = rng.standard_normal(size)
                else:
                    p = np.asarray(col.spec.get("weights", [1.0] * len(col.levels)), float)
                    v = rng.choice(len(p), size=size, p=p / p.sum())
                self.z[part][key] = v[ent] if entity_level else v

    def contribution(self, key: str, part: str) -> np.ndarray:
        """The column's term in the label's log-odds for ``part``."""
        col = self.columns[key]
        v = self.z[part][key]
        if col.kind == "numeric":
            return col.effect * v
        return col.effect[v]

    def logit(self, part: str, *, intercept: float | None = None) -> np.ndarray:
        total = self.extra_logit[part].copy()
        for key, col in self.columns.items():
            if not col.planted:
                total += self.contribution(key, part)
        total += self.entity_effect_sd * self.z[part]["__entity_effect"]
        return total + (self.intercept if intercept is None else intercept)

    def calibrate_intercept(self) -> None:
        """Solve for the intercept that gives the offline prevalence the scenario declares."""
        self.intercept = 0.0
        base = self.logit("offline", intercept=0.0)
        sub = base if base.size <= 50_000 else base[:: base.size // 50_000 + 1]
        lo, hi = -15.0, 15.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if expit(sub + mid).mean() > self.prevalence["offline"]:
                hi = mid
            else:
                lo = mid
        self.intercept = (lo + hi) / 2

    def sample_labels(self) -> None:
        for part in PARTS:
            p = expit(self.logit(part))
            self.z[part]["__y"] = (self.rng.random(self.n[part]) < p).astype(np.int8)

    # ------------------------------------------------------------------ display values
    def display(self, key: str, part: str) -> np.ndarray | pd.Categorical:
        col = self.columns[key]
        v = self.z[part][key]
        if col.kind == "categorical":
            return pd.Categorical.from_codes(v, categories=col.levels)
        return to_display(v, col.spec["transform"])

    def materialize(self) -> None:
        """Build the observed frames: id, timestamp, features as recorded, label."""
        for part in PARTS:
            data = {
                self.id_name: self.z[part]["__id"],
                self.timestamp_name: self.start + (self.z[part]["__t"] * 86400).astype("timedelta64[s]"),
            }
            for key, col in self.columns.items():
                if not col.planted:  # planted columns are written by their family or decoy
                    data[col.name] = self.display(key, part)
            y = self.z[part]["__y"]
            data[self.label_name] = y.astype(float) if part == "production" else y
            self.frames[part] = pd.DataFrame(data, copy=False)  # no consolidation copy: peak memory
        self.end_of_production = self.start + np.timedelta64(
            int((self.offline_days + self.production_days) * 86400), "s")

    def release_latents(self, *, keep) -> None:
        """Free the latents of columns no hook needs any more (halves peak memory at 1M rows).

        Internal arrays (``__t``, ``__y``, ...) and the ``keep`` keys (culprits, segment and decoy
        columns) stay available to the ``observed`` hooks.
        """
        for part in PARTS:
            for key in [k for k in self.z[part] if not k.startswith("__") and k not in keep]:
                del self.z[part][key]

    def hide_immature_labels(self) -> None:
        """Production labels are not known for rows younger than the label lag: NaN, or 0 where
        the team's pipeline records an unmatured outcome as negative (label-delay family)."""
        prod = self.frames["production"]
        age_days = (self.end_of_production - prod[self.timestamp_name].to_numpy()) / np.timedelta64(1, "D")
        immature = age_days < self.label_lag_days
        if not self.immature_as_negative:
            prod.loc[immature, self.label_name] = np.nan

    def assign_split(self) -> None:
        """The team's train/test split: by time, or each row at random (``test_size``).

        With ``split_redraw`` set, a random split is drawn from that generator instead (one of the
        seed's other splits, ``variant.control_effect``). The world's own generator still makes its
        draws, so every later draw (the column order) is the same whichever split was used.
        """
        off = self.frames["offline"]
        n = len(off)
        if self.split_method == "time":
            cut = int(round(n * (1 - self.test_size)))
            split = np.where(np.arange(n) < cut, "train", "test")
        else:
            u = self.rng.random(n)
            if self.split_redraw is not None:
                u = self.split_redraw.random(n)
            split = np.where(u < self.test_size, "test", "train")
            self.split_drawn = True
        off["split"] = pd.Categorical(split, categories=["train", "test"])

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.columns.values()]

    def name_of(self, key: str) -> str:
        return self.columns[key].name

    def numeric_keys(self, *, exclude=()) -> list[str]:
        return [k for k, c in self.columns.items()
                if c.kind == "numeric" and not c.planted and k not in exclude]

    def categorical_keys(self, *, exclude=()) -> list[str]:
        return [k for k, c in self.columns.items()
                if c.kind == "categorical" and not c.planted and k not in exclude]

    def add_column(self, key: str, *, names: list[str], kind: str = "numeric",
                   transform: dict | None = None, levels: list[str] | None = None,
                   description: str = "", unit: str = "") -> Column:
        """Add a column that a family or decoy plants (it carries no label effect of its own)."""
        taken = {c.name for c in self.columns.values()} | {self.id_name, self.label_name, self.timestamp_name}
        free = [n for n in names if n not in taken] or [f"{names[0]}_{len(self.columns)}"]
        spec = {"transform": transform} if kind == "numeric" else {"levels": levels}
        stream = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
        pick = np.random.default_rng([self._names_seed, stream]).integers(len(free))
        col = Column(key=key, name=free[int(pick)], kind=kind, spec=spec,
                     effect=0.0, description=description, unit=unit, planted=True)
        self.columns[key] = col
        return col


def to_display(z: np.ndarray, transform: dict) -> np.ndarray:
    """Map standard-normal latents to a domain's values (monotone, so ranks are kept)."""
    dist = transform["dist"]
    if dist == "normal":
        v = transform["mean"] + transform["sd"] * z
    elif dist == "lognormal":
        v = transform["median"] * np.exp(transform["sigma"] * z)
    elif dist == "uniform":
        v = transform["low"] + (transform["high"] - transform["low"]) * ndtr(z)
    elif dist == "count":
        return np.floor(transform["median"] * np.exp(transform["sigma"] * z)).astype(np.int64)
    else:  # pragma: no cover - the schema admits only the above
        raise ValueError(dist)
    d = transform.get("decimals")
    return np.round(v, d) if d is not None else v
