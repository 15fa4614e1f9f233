"""Rater calibration: how far interviewers agree on the manual rubric, and who rates high or low.

Agreement is Krippendorff's alpha at the ordinal level (the ``krippendorff`` package, which handles
raters who did not rate every session), per dimension of ``grading/rubrics/manual.yaml`` and over
all of them, with a 95% interval from a bootstrap over sessions; each rater's leniency is the mean
of (their level - the mean of the other raters' levels) over the sessions and dimensions they
share. Alpha is 1 for perfect agreement and about 0 for raters who agree no more than chance.
The README's target is alpha >= 0.8 on the reference sessions for raters who follow the anchors.

Inputs (any mix, each file one or more sessions):

- JSON: ``[{"session": ..., "rater": ..., "levels": {dimension: 1-5 or null}}, ...]``, or a
  session scorecard (``livescreen session scorecard ID``: its ``ratings``);
- CSV: columns ``session``, ``rater`` and one column per dimension (blank or ``none`` for not rated);
- a folder of reference sessions (``grading/calibration/``): their consensus ratings, as the rater
  ``consensus``, so a new interviewer rates the references and sees where they stand.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import yaml

REFERENCE_DIR = Path(__file__).resolve().parent / "calibration"
CONSENSUS = "consensus"


class CalibrationError(ValueError):
    """A ratings file that cannot be read; the message says which and how to fix it."""


def dimensions() -> tuple[str, ...]:
    from .rubric import load_rubric
    return load_rubric().dimension_ids


def reference_sessions(folder: str | Path = REFERENCE_DIR) -> list[dict]:
    """The shipped reference sessions (card, reasoning, conversation summary, consensus ratings)."""
    out = []
    for p in sorted(Path(folder).glob("*.yaml")):
        doc = yaml.safe_load(p.read_text())
        doc.setdefault("id", p.stem)
        out.append(doc)
    return out


def _level(v, where: str):
    if v is None or (isinstance(v, str) and v.strip().lower() in ("", "none", "na", "n/a", "-")):
        return None
    try:
        lv = int(v)
    except (TypeError, ValueError):
        raise CalibrationError(f"{where}: {v!r} is not a level; use 1-5 or leave it blank") from None
    if not 1 <= lv <= 5 or str(v).strip() not in (str(lv), f"{lv}.0"):
        raise CalibrationError(f"{where}: {v!r} is not a level; use 1-5 or leave it blank")
    return lv


def read_ratings(paths) -> list[dict]:
    """Every rating in ``paths`` as ``{"session", "rater", "levels"}``."""
    dims = dimensions()
    rows: list[dict] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            refs = reference_sessions(p)
            if not refs:
                raise CalibrationError(f"{p} holds no reference sessions (*.yaml)")
            rows += [{"session": r["id"], "rater": CONSENSUS, "levels": dict(r["consensus"])} for r in refs]
            continue
        if not p.is_file():
            raise CalibrationError(f"no ratings file {p}: pass JSON or CSV files of ratings, or a reference folder")
        if p.suffix.lower() == ".csv":
            with p.open(newline="") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in ("session", "rater") if c not in (reader.fieldnames or [])]
                if missing:
                    raise CalibrationError(f"{p}: the CSV needs the columns session, rater and one per dimension "
                                           f"({', '.join(dims)}); {missing[0]!r} is missing")
                for i, r in enumerate(reader, start=2):
                    rows.append({"session": r["session"], "rater": r["rater"],
                                 "levels": {d: r.get(d) for d in dims if d in r}, "where": f"{p}:{i}"})
            continue
        try:
            data = json.loads(p.read_text())
        except ValueError as exc:
            raise CalibrationError(f"{p} is not valid JSON ({exc}); fix the file") from None
        if isinstance(data, dict) and "ratings" in data and "session" in data:  # a session scorecard
            sid = (data.get("session") or {}).get("id")
            data = [{"session": sid, **r} for r in data["ratings"]]
        if not isinstance(data, list):
            raise CalibrationError(f"{p}: expected a JSON list of {{session, rater, levels}}")
        for i, r in enumerate(data):
            if not isinstance(r, dict) or not {"session", "rater", "levels"} <= set(r):
                raise CalibrationError(f"{p}: entry {i + 1} needs session, rater and levels")
            rows.append({"session": r["session"], "rater": r["rater"], "levels": r["levels"], "where": f"{p}[{i + 1}]"})
    for r in rows:
        unknown = sorted(set(r["levels"]) - set(dims))
        if unknown:
            raise CalibrationError(f"{r.get('where', r['session'])}: unknown dimension {unknown[0]!r}; "
                                   f"dimensions: {', '.join(dims)}")
        r["levels"] = {d: _level(r["levels"].get(d), f"{r.get('where', r['session'])} {d}") for d in dims}
        r.pop("where", None)
    if not rows:
        raise CalibrationError("no ratings found")
    return rows


def matrix(rows: list[dict], dimension: str) -> tuple[np.ndarray, list[str], list[str]]:
    """``raters x sessions`` levels of one dimension (NaN where a rater did not rate)."""
    raters = sorted({r["rater"] for r in rows})
    units = sorted({str(r["session"]) for r in rows})
    m = np.full((len(raters), len(units)), np.nan)
    for r in rows:
        v = r["levels"].get(dimension)
        if v is not None:
            m[raters.index(r["rater"]), units.index(str(r["session"]))] = v
    return m, raters, units


def alpha(m: np.ndarray) -> float:
    """Krippendorff's alpha, ordinal, on a ``raters x units`` matrix (NaN = missing); NaN when undefined."""
    import krippendorff
    pairable = np.sum(~np.isnan(m), axis=0) >= 2
    m = m[:, pairable]
    if m.shape[1] < 1 or len(np.unique(m[~np.isnan(m)])) < 2:
        # every pairable value identical: no disagreement at all (alpha 1), or nothing to compare
        return 1.0 if m.shape[1] >= 1 else float("nan")
    return float(krippendorff.alpha(reliability_data=m, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]))


def _interval(m: np.ndarray, *, boot: int, rng: np.random.Generator) -> tuple[float, float]:
    if boot <= 0 or m.shape[1] < 2:
        return float("nan"), float("nan")
    vals = []
    for _ in range(boot):
        cols = rng.integers(0, m.shape[1], m.shape[1])
        a = alpha(m[:, cols])
        if np.isfinite(a):
            vals.append(a)
    if not vals:
        return float("nan"), float("nan")
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def leniency(rows: list[dict]) -> dict[str, dict]:
    """Each rater's mean deviation from the mean of the other raters (same session and dimension)."""
    dims = dimensions()
    by_unit: dict[tuple, dict[str, int]] = {}
    for r in rows:
        for d in dims:
            if r["levels"][d] is not None:
                by_unit.setdefault((str(r["session"]), d), {})[r["rater"]] = r["levels"][d]
    dev: dict[str, list[float]] = {}
    for levels in by_unit.values():
        for rater, v in levels.items():
            others = [x for k, x in levels.items() if k != rater]
            if others:
                dev.setdefault(rater, []).append(v - sum(others) / len(others))
    raters = sorted({r["rater"] for r in rows})
    return {r: {"leniency": round(float(np.mean(dev[r])), 3) if dev.get(r) else None,
                "compared": len(dev.get(r, []))} for r in raters}


def calibrate(paths, *, boot: int = 1000, seed: int = 0) -> dict:
    """Agreement per dimension and overall (alpha with a bootstrap 95% interval) and each rater's leniency."""
    if isinstance(boot, bool) or not isinstance(boot, int) or not 0 <= boot <= 100_000:
        raise CalibrationError(f"--boot must be a whole number from 0 to 100000, got {boot!r}")
    rows = read_ratings(paths)
    raters = sorted({r["rater"] for r in rows})
    if len(raters) < 2:
        raise CalibrationError(f"agreement needs at least two raters; only {raters[0]!r} rated. Add another "
                               "rater's file, or the reference folder grading/calibration")
    rng = np.random.default_rng(seed)
    dims = dimensions()
    per = {}
    stacked = []
    for d in dims:
        m, _, _ = matrix(rows, d)
        lo, hi = _interval(m, boot=boot, rng=rng)
        per[d] = {"alpha": _round(alpha(m)), "ci95": [_round(lo), _round(hi)],
                  "pairable_sessions": int(np.sum(np.sum(~np.isnan(m), axis=0) >= 2))}
        stacked.append(m)
    allm = np.concatenate(stacked, axis=1)  # units = session x dimension
    lo, hi = _interval(allm, boot=boot, rng=rng)
    return {"raters": raters, "sessions": len({str(r["session"]) for r in rows}), "dimensions": per,
            "overall": {"alpha": _round(alpha(allm)), "ci95": [_round(lo), _round(hi)]},
            "leniency": leniency(rows), "target": 0.8, "bootstrap": boot}


def _round(x: float):
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def format_report(report: dict) -> str:
    """The report as a table for the terminal."""
    def f(x):
        return "  -  " if x is None else f"{x:5.2f}"
    lines = [f"{len(report['raters'])} raters, {report['sessions']} sessions; Krippendorff's alpha (ordinal), "
             f"95% bootstrap interval over sessions ({report['bootstrap']} resamples); target >= {report['target']}",
             f"{'dimension':36s} {'alpha':>5s}   95% interval   sessions"]
    for d, r in report["dimensions"].items():
        lines.append(f"{d:36s} {f(r['alpha'])}   [{f(r['ci95'][0])}, {f(r['ci95'][1])}]   {r['pairable_sessions']}")
    o = report["overall"]
    lines.append(f"{'all dimensions':36s} {f(o['alpha'])}   [{f(o['ci95'][0])}, {f(o['ci95'][1])}]")
    lines.append("leniency (mean level above (+) or below (-) the other raters):")
    for r, v in report["leniency"].items():
        lines.append(f"  {r:30s} {'-' if v['leniency'] is None else format(v['leniency'], '+.2f')}  "
                     f"over {v['compared']} shared ratings")
    return "\n".join(lines)
