"""A case: one candidate folder (offline.csv, production.csv, recomputed.csv, schema.json) in memory.

``open_case(path)`` reads a folder with its dtypes restored; ``Case.from_frames`` builds the same
object from frames already in memory. Everything else in the toolkit takes a ``Case``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .model import one_thread  # noqa: F401 (the toolkit's fits and scoring use it)

FILES = {"offline": "offline.csv", "production": "production.csv", "recomputed": "recomputed.csv"}
SCHEMA_FILE = "schema.json"
METADATA_KEYS = ("schema", "categorical", "brief", "model", "columns")
SCHEMA_KEYS = ("label", "score", "timestamp", "split", "id", "features")
FIX = "ask for a fresh copy of the candidate folder (or write it again with `livescreen generate`)"


class CaseError(ValueError):
    """A candidate folder that is missing or malformed; the message names the file and the fix."""


@dataclass(eq=False)
class Case:
    """The data a candidate has: offline rows, the production log, its recomputation, the schema.

    Attributes
    ----------
    offline : DataFrame
        The team's training and test rows (``split`` column), with the team's score on test rows.
    production : DataFrame
        The production log: features as served, the served score, the label (NaN while unknown).
    recomputed : DataFrame
        The feature store's offline recomputation of the production rows' features.
    metadata : dict
        The content of ``schema.json``.
    folder : Path or None
        Where the case was read from (None when built from frames).
    """

    offline: pd.DataFrame
    production: pd.DataFrame
    recomputed: pd.DataFrame
    metadata: dict
    folder: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_frames(cls, *, offline: pd.DataFrame, production: pd.DataFrame,
                    recomputed: pd.DataFrame, metadata: dict, folder=None) -> "Case":
        """A case from frames in memory (e.g. a variant's), with the same dtypes as ``open_case``."""
        _check_metadata(metadata, SCHEMA_FILE)
        frames = {"offline": offline, "production": production, "recomputed": recomputed}
        for name, frame in frames.items():
            if not isinstance(frame, pd.DataFrame):
                raise CaseError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
        frames = _restore(frames, metadata)
        return cls(offline=frames["offline"], production=frames["production"],
                   recomputed=frames["recomputed"], metadata=metadata,
                   folder=Path(folder) if folder is not None else None)

    # -- schema --------------------------------------------------------------------------
    @property
    def schema(self) -> dict:
        return self.metadata["schema"]

    label = property(lambda self: self.schema["label"], doc="The label column's name.")
    score = property(lambda self: self.schema["score"], doc="The served score's column.")
    timestamp = property(lambda self: self.schema["timestamp"], doc="When a row was scored.")
    split = property(lambda self: self.schema["split"], doc="The offline rows' train/test column.")
    id = property(lambda self: self.schema["id"], doc="The entity (or row) id column.")

    @property
    def features(self) -> list[str]:
        """The team model's input columns."""
        return list(self.metadata["model"].get("features") or self.schema["features"])

    @property
    def columns(self) -> list[str]:
        """Every feature column of the data (the model's and any others)."""
        return list(self.schema["features"])

    @property
    def categorical(self) -> list[str]:
        return list(self.metadata.get("categorical", []))

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.columns if c not in set(self.categorical)]

    @property
    def brief(self) -> dict:
        return self.metadata["brief"]

    @property
    def model_card(self) -> dict:
        return self.metadata["model"]

    @property
    def dictionary(self) -> dict:
        """The data dictionary: ``{column: {type, unit, description}}``."""
        return self.metadata.get("columns", {})

    def unit(self, column: str) -> str:
        return (self.dictionary.get(column) or {}).get("unit") or ""

    @property
    def threshold(self) -> float:
        return float(self.model_card.get("threshold", self.brief.get("threshold", 0.5)))

    @property
    def cost_fp(self) -> float:
        return float((self.brief.get("cost_false_positive") or {}).get("amount", 1.0))

    @property
    def cost_fn(self) -> float:
        return float((self.brief.get("cost_false_negative") or {}).get("amount", 1.0))

    @property
    def currency(self) -> str:
        return str(self.brief.get("currency", ""))

    @property
    def label_lag_days(self) -> float:
        return float(self.brief.get("label_lag_days", 0) or 0)

    # -- row groups ------------------------------------------------------------------------
    @property
    def train(self) -> pd.DataFrame:
        return self._rows("train")

    @property
    def test(self) -> pd.DataFrame:
        return self._rows("test")

    def _rows(self, which: str) -> pd.DataFrame:
        key = ("rows", which)
        if key not in self._cache:
            self._cache[key] = self.offline[(self.offline[self.split] == which).to_numpy()]
        return self._cache[key]

    @property
    def labelled(self) -> pd.DataFrame:
        """Production rows whose label is known."""
        key = ("rows", "labelled")
        if key not in self._cache:
            self._cache[key] = self.production[self.production[self.label].notna().to_numpy()]
        return self._cache[key]

    @property
    def export_time(self) -> pd.Timestamp:
        """When the production log was exported: the end of its last day."""
        return self.production[self.timestamp].max().normalize() + pd.Timedelta(days=1)

    def matured(self, frame: pd.DataFrame | None = None, *, days: float | None = None) -> np.ndarray:
        """Mask of rows scored at least ``days`` (default: the label lag) before the export."""
        frame = self.production if frame is None else frame
        days = self.label_lag_days if days is None else float(days)
        age = (self.export_time - frame[self.timestamp]) / pd.Timedelta(days=1)
        return (age >= days).to_numpy()

    def team_model(self):
        """The team's recipe refit on the offline training rows (cached; deterministic)."""
        if "team_model" not in self._cache:
            from . import model as team_model
            with one_thread():
                self._cache["team_model"] = team_model.fit(self.model_card, self.train,
                                                           features=self.features, label=self.label)
        return self._cache["team_model"]

    def __repr__(self) -> str:
        where = f" from {self.folder}" if self.folder else ""
        return (f"Case({self.brief.get('title', 'untitled')!r}{where}: {len(self.offline):,} offline rows, "
                f"{len(self.production):,} production rows, {len(self.features)} model features)")


def open_case(path=".") -> Case:
    """Read a candidate folder into a ``Case``.

    Parameters
    ----------
    path : str or Path
        The folder holding ``schema.json``, ``offline.csv``, ``production.csv`` and
        ``recomputed.csv``.

    Returns
    -------
    Case
        Categorical columns as pandas ``category`` (the offline levels first), timestamps as
        datetimes, the production label as float with NaN where it is not yet known.

    Raises
    ------
    CaseError
        When the folder or one of its files is missing or malformed; the message names the file.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CaseError(f"no candidate folder at {folder}: pass the folder that holds {SCHEMA_FILE} "
                        f"and the CSV files, or {FIX}")
    meta_path = folder / SCHEMA_FILE
    if not meta_path.is_file():
        raise CaseError(f"{meta_path} is missing: {FIX}")
    try:
        metadata = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CaseError(f"{meta_path} is not valid JSON ({exc}): {FIX}") from None
    _check_metadata(metadata, str(meta_path))
    files = {**FILES, **(metadata.get("files") or {})}
    frames = {}
    for name in FILES:
        p = folder / files[name]
        if not p.is_file():
            raise CaseError(f"{p} is missing: {FIX}")
        try:
            frames[name] = pd.read_csv(p, low_memory=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise CaseError(f"{p} is not a readable CSV file ({str(exc).splitlines()[0]}): {FIX}") from None
    frames = _restore(frames, metadata, files=files, folder=folder)
    return Case(offline=frames["offline"], production=frames["production"],
                recomputed=frames["recomputed"], metadata=metadata, folder=folder)


def _check_metadata(metadata, where: str) -> None:
    if not isinstance(metadata, dict):
        raise CaseError(f"{where} must hold a JSON object: {FIX}")
    missing = [k for k in METADATA_KEYS if k not in metadata]
    if missing:
        raise CaseError(f"{where} has no {missing[0]!r} entry: {FIX}")
    schema = metadata["schema"]
    missing = [k for k in SCHEMA_KEYS if k not in (schema if isinstance(schema, dict) else {})]
    if missing:
        raise CaseError(f"{where} has no schema.{missing[0]} entry: {FIX}")
    if not isinstance(schema["features"], list) or not schema["features"]:
        raise CaseError(f"{where}: schema.features must be a non-empty list of column names: {FIX}")


def _restore(frames: dict, metadata: dict, *, files=FILES, folder=None) -> dict:
    s = metadata["schema"]
    feats = list(s["features"])
    need = {
        "offline": [s["id"], s["timestamp"], *feats, s["label"], s["split"], s["score"]],
        "production": [s["id"], s["timestamp"], *feats, s["score"], s["label"]],
        "recomputed": [s["id"], s["timestamp"], *feats],
    }
    out = {}
    for name, frame in frames.items():
        where = str(Path(folder) / files[name]) if folder is not None else name
        missing = [c for c in need[name] if c not in frame.columns]
        if missing:
            raise CaseError(f"{where} has no column {missing[0]!r}: {FIX}")
        frame = frame.copy()
        try:
            frame[s["timestamp"]] = pd.to_datetime(frame[s["timestamp"]])
        except (ValueError, TypeError):
            raise CaseError(f"{where}: column {s['timestamp']!r} does not hold timestamps: {FIX}") from None
        for col in (s["score"],) if name != "recomputed" else ():
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        if name == "production":
            frame[s["label"]] = pd.to_numeric(frame[s["label"]], errors="coerce").astype(float)
        if name == "offline":
            lab = pd.to_numeric(frame[s["label"]], errors="coerce")
            if lab.isna().any():
                raise CaseError(f"{where}: column {s['label']!r} has missing labels: {FIX}")
            frame[s["label"]] = lab.astype(int)
            frame[s["split"]] = frame[s["split"]].astype(str)
            bad = sorted(set(frame[s["split"]]) - {"train", "test"})
            if bad:
                raise CaseError(f"{where}: column {s['split']!r} has value {bad[0]!r}; expected train or test: {FIX}")
        out[name] = frame
    # Categorical levels: the offline levels (sorted) first, then any level seen only later, so a
    # case read from files and one built from frames get identical codes.
    for col in metadata.get("categorical", []):
        offline_levels = sorted(out["offline"][col].dropna().astype(str).unique())
        later = set()
        for name in ("production", "recomputed"):
            later |= set(out[name][col].dropna().astype(str).unique())
        levels = offline_levels + sorted(later - set(offline_levels))
        dtype = pd.CategoricalDtype(levels)
        for name in out:
            vals = out[name][col]
            out[name][col] = vals.astype(object).map(str, na_action="ignore").astype(dtype)
    for name in out:
        out[name] = out[name].reset_index(drop=True)
    return out
