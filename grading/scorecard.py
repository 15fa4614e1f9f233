"""The scorecard: one per candidate, for interviewers (HTML and JSON).

It shows each rubric item with its points and evidence, the flags, the time from the session's
start to the committed card, which credit came after a hint the interviewer logged, the manual
ratings when given, and the total by the rubric's formula. It is for the hiring side: it names the
planted cause, so it never goes to a candidate.
"""
from __future__ import annotations

import html
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

from .grader import GradeResult

SESSION_FILE = ".livescreen/session.json"


def _parse(ts) -> datetime | None:
    try:
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def time_to_card(result: GradeResult) -> float | None:
    """Seconds from the session's start to the committed card, when both are known."""
    folder = Path(result.submission)
    committed = _parse((result.card_info or {}).get("committed_at"))
    started = None
    for path in (folder / SESSION_FILE, folder / ".livescreen" / "started_at"):
        if path.is_file():
            try:
                data = json.loads(path.read_text())
                started = _parse(data.get("started_at") if isinstance(data, dict) else data)
            except ValueError:
                started = _parse(path.read_text().strip())
            break
    if committed and started:
        return round((committed - started).total_seconds(), 1)
    return None


class HintLogError(ValueError):
    """An interviewer's hint log that cannot be read; the message says what to fix."""


def load_hints(path: str | Path) -> list[dict]:
    """Read an interviewer's hint log: a JSON list of ``{"at": ISO time, "level": 1-3, "text": ...}``."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise HintLogError(f"hint log {p} does not exist; pass a JSON file of [{{\"at\": ..., \"level\": ...}}]") from None
    except ValueError as exc:
        raise HintLogError(f"hint log {p} is not valid JSON ({exc.msg} at line {exc.lineno}); fix the file") from None
    if not isinstance(data, list):
        raise HintLogError(f"hint log {p} must be a JSON list of hints, got {type(data).__name__}")
    return data


def _check_hints(hints: list[dict], ladder_size: int) -> list[dict]:
    out = []
    for i, h in enumerate(hints):
        if not isinstance(h, dict) or _parse(h.get("at")) is None:
            raise HintLogError(f"hint {i + 1}: needs \"at\" as an ISO time, e.g. 2026-11-26T10:04:00+00:00")
        level = h.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= ladder_size:
            raise HintLogError(f"hint {i + 1}: \"level\" must be an integer from 1 to {ladder_size}, got {level!r}")
        out.append(h)
    return out


def _after_hints(rubric, item: dict) -> float:
    """The points an item counts for once a hint's ``prompted_credit`` is applied."""
    return round(item["points"] * (rubric.formula.prompted_credit if item["prompted"] else 1.0), 4)


def combine(rubric, autograded: dict, manual=None, *, hints: int = 0) -> dict:
    """The rubric's formula, for one rater's levels (a dict) or several raters' (a list of dicts).

    With several raters each dimension's level is the mean of the raters who rated it (mechanical
    combination: averaged, never discussed into a consensus); the formula is linear in the levels,
    so this is also the mean of the raters' own totals when they rated the same dimensions.
    """
    if manual is None or isinstance(manual, dict):
        return rubric.combine(autograded, manual, hints=hints)
    rated = [m for m in manual if isinstance(m, dict)]
    if not rated:
        return rubric.combine(autograded, None, hints=hints)
    for m in rated:  # each rater's levels checked by the rubric itself
        rubric.combine(autograded, m, hints=hints)
    out = rubric.combine(autograded, None, hints=hints)
    f, top = rubric.formula, 4
    earned, possible, dims = out["earned"], out["possible"], []
    for d in rubric.dimensions:
        levels = [m[d.id] for m in rated if m.get(d.id) is not None]
        w = f.dimension_weights[d.id]
        if not levels:
            dims.append({"id": d.id, "level": None, "label": "not evaluated", "weight": w, "credit": None,
                         "max": w * top, "raters": 0})
            continue
        mean = sum(levels) / len(levels)
        earned += w * (mean - 1)
        possible += w * top
        dims.append({"id": d.id, "level": round(mean, 2), "label": rubric.labels.get(round(mean), str(round(mean))),
                     "weight": w, "credit": w * (mean - 1), "max": w * top, "raters": len(levels),
                     "levels": levels})
    out.update(total=round(f.scale * earned / possible, 2), earned=earned, possible=possible, dimensions=dims,
               manual_rated=any(d["level"] is not None for d in dims), raters=len(rated))
    return out


def build(result: GradeResult, *, hints: list[dict] | None = None, manual: dict | None = None,
          truth: dict | None = None) -> dict:
    """The scorecard as data.

    Parameters
    ----------
    result : what ``grade`` returned for one submission.
    hints : the interviewer's log, ``[{"at": ISO time, "level": 1-3, "text": optional}]``. A hint
        logged before the card was committed (or at all, when no card was) prompts the items its
        level of the scenario's hint ladder names, and levels below it; those items keep the
        formula's ``prompted_credit`` share.
    manual : ratings ``{dimension: level 1-5}`` of the conversation, a list of such dicts (one per
        interviewer: averaged by the formula, see ``combine``), or None.
    truth : the variant's truth, shown as "what was planted" (the scorecard is interviewer-only).
    """
    from .rubric import load_rubric
    rubric = load_rubric(result.scenario)
    ladder = rubric.ladder((truth or {}).get("family"))  # the drawn family's hints
    logged = _check_hints(list(hints or []), len(ladder))
    committed = _parse((result.card_info or {}).get("committed_at"))
    before = [h for h in logged if committed is None or _parse(h["at"]) <= committed]
    level = max((h["level"] for h in before), default=0)
    combined = combine(rubric, {i["id"]: i["points"] for i in result.items}, manual, hints=level)
    prompted = {i["id"] for i in combined["items"] if i["prompted"]}
    credit = {i["id"]: i for i in combined["items"]}
    # One total everywhere: each item shows the points it counts for after hints (``points``) beside
    # what the card earned (``earned``); the total is the formula's, out of 100.
    items = [dict(i, earned=i["points"], points=_after_hints(rubric, credit[i["id"]]),
                  prompted_by_hint=level if i["id"] in prompted and i["points"] > 0 else None)
             for i in result.items]
    hint_rows = [{"at": h["at"], "level": h["level"], "text": h.get("text") or ladder[h["level"] - 1].text,
                  "before_card": h in before, "prompts": list(ladder[h["level"] - 1].prompts),
                  **({"by": h["by"]} if h.get("by") else {})} for h in logged]
    return {"submission": result.submission, "scenario": result.scenario, "status": result.status,
            "items": items, "flags": result.flags, "autograded_total": result.total,
            "autograded_max": result.max,
            "autograded_after_hints": round(sum(i["points"] for i in items), 4), "seconds_to_card": time_to_card(result),
            "hints": hint_rows, "hint_level_before_card": level, "card": result.card,
            "discrimination": result.discrimination, "detail": result.detail, "total": combined,
            "formula": rubric.formula.explanation,
            "planted": {k: truth.get(k) for k in ("family", "culprits", "segment", "onset", "decoys")} if truth else None,
            "manual_dimensions": [{"id": d.id, "name": d.title} for d in rubric.dimensions]}


def render_html(card: dict) -> str:
    """The scorecard as a standalone HTML page (the same total and item points as its JSON)."""
    e = html.escape
    total = card["total"]["total"] if isinstance(card["total"], dict) else card["total"]
    rows = "".join(
        f"<tr><td>{e(i['id'])}</td><td class=n>{i['points']:g} / {i['max']:g}</td>"
        f"<td>{e(i.get('evidence', ''))}</td>"
        f"<td>{'after hint ' + str(i['prompted_by_hint']) + ': earned ' + format(i.get('earned', i['points']), 'g') + ', counts ' + format(i['points'], 'g') if i.get('prompted_by_hint') else ''}</td></tr>"
        for i in card["items"])
    hint_rows = "".join(
        f"<tr><td>{e(str(h['at']))}</td><td class=n>{h['level']}</td><td>{e(h['text'])}</td>"
        f"<td>{'before' if h['before_card'] else 'after'}</td><td>{e(', '.join(h['prompts']) or '-')}</td></tr>"
        for h in card.get("hints", [])) or "<tr><td colspan=5>none logged</td></tr>"
    flags = "".join(f"<li>{e(f)}</li>" for f in card["flags"]) or "<li>none</li>"
    p = card.get("planted")
    planted = "" if not p else (
        f"<p><b>Planted:</b> {e(str(p['family']))}"
        + (f", columns {e(', '.join(p['culprits']))}" if p.get("culprits") else "")
        + (f", segment {e(json.dumps(p['segment']))}" if p.get("segment") else "")
        + (f", onset {e(str(p['onset'])[:10])}" if p.get("onset") else "")
        + "; decoys: " + e("; ".join(f"{d['kind']} ({', '.join(d['columns'])})" for d in p.get("decoys") or []) or "none")
        + "</p>")
    levels = {d["id"]: d for d in (card["total"].get("dimensions") or [])} if isinstance(card["total"], dict) else {}
    manual_rows = "".join(
        f"<tr><td>{e(d['name'])}</td><td>{e(format(levels[d['id']]['level'], 'g')) if levels.get(d['id'], {}).get('level') is not None else 'not rated yet'}"
        f"{' (' + ', '.join(map(str, levels[d['id']]['levels'])) + ')' if levels.get(d['id'], {}).get('levels') else ''}</td></tr>"
        for d in card.get("manual_dimensions", []))
    secs = card["seconds_to_card"]
    ttc = f"{secs / 60:.1f} min" if secs is not None else "not recorded"
    exp = card.get("card") or {}
    rivals = (card.get("discrimination") or {}).get("rivals", [])
    rival_rows = "".join(
        f"<tr><td>{e(r['hypothesis']['family'])}</td><td>{e(', '.join(r['hypothesis']['columns']) or '-')}</td>"
        f"<td>{e(r['hypothesis']['source'])}</td><td>{e(r['outcome'])}</td><td>{'yes' if r['separated'] else 'no'}</td></tr>"
        for r in rivals)
    sess = card.get("session") or {}
    who = (f"candidate {e(str(sess.get('candidate')))}, session {e(str(sess.get('id')))}" if sess
           else e(Path(card['submission']).name))
    extra = ""
    if sess:
        reasoning = "".join(f"<dt>{e(k.replace('_', ' '))}</dt><dd>{e(str(v))}</dd>"
                            for k, v in (card.get("reasoning") or {}).items() if v) or "<dd>no card</dd>"
        summary = card.get("timeline_summary") or {}
        counts = ", ".join(f"{v} {k}" for k, v in (summary.get("counts") or {}).items()) or "no activity"
        tl_rows = "".join(
            f"<tr><td>{e(str(t['minute']))}</td><td>{e(t['kind'])}</td><td>{e(t['what'])}</td></tr>"
            for t in summary.get("events", []))
        notes = "".join(f"<li>{e(str(n['minute']))} min, {e(str(n.get('by') or ''))}: {e(n['text'])}</li>"
                        for n in card.get("notes", [])) or "<li>none</li>"
        raters = "".join(
            f"<tr><td>{e(r['rater'])}</td>" + "".join(f"<td class=n>{e(str(r['levels'].get(d['id']) or '-'))}</td>"
                                                       for d in card.get("manual_dimensions", [])) + "</tr>"
            for r in card.get("ratings", []))
        heads = "".join(f"<th>{e(d['id'].replace('_', ' '))}</th>" for d in card.get("manual_dimensions", []))
        extra = f"""
<h2>Reasoning (the card's text)</h2><dl>{reasoning}</dl>
<h2>Activity timeline</h2><p>{e(counts)}; experiments before the card: {summary.get('experiments_before_card', 0)}</p>
<table><tr><th>minute</th><th>kind</th><th>what</th></tr>{tl_rows}</table>
<h2>Each interviewer's ratings</h2><table><tr><th>rater</th>{heads}</tr>{raters or '<tr><td>none yet</td></tr>'}</table>
<h2>Private notes</h2><ul>{notes}</ul>"""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Scorecard {e(str(card['scenario']))}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }}
h1 {{ font-size: 1.4em; }} table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .35em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} td.n {{ white-space: nowrap; text-align: right; }}
.total {{ font-size: 2em; font-weight: 700; color: #0072B2; }} .note {{ color: #a33; }}
pre {{ background: #f7f7f7; padding: .8em; white-space: pre-wrap; }} dt {{ font-weight: 600; }}
</style></head><body>
<p class="note">Interviewer only: this card names what was planted.</p>
<h1>Scorecard: {who} on {e(str(card['scenario']))}</h1>
<p><span class="total" id="total">{total:g} / 100</span> &nbsp; status <b>{e(card['status'])}</b>,
autograded {card.get('autograded_after_hints', card['autograded_total']):g} of {card['autograded_max']:g} points after hints
(earned {card['autograded_total']:g}), time to first card {e(ttc)}</p>
{planted}
<h2>Rubric items (points after hints)</h2>
<table><tr><th>item</th><th>points</th><th>evidence</th><th>hint</th></tr>{rows}</table>
<h2>Flags</h2><ul>{flags}</ul>
<h2>Conversation (manual rubric, anchored levels 1-5; mean of the interviewers)</h2>
<table><tr><th>dimension</th><th>level</th></tr>{manual_rows}</table>
<h2>Hints the interviewer logged</h2>
<table><tr><th>at</th><th>level</th><th>hint</th><th>card</th><th>prompts</th></tr>{hint_rows}</table>
<p>{e(card.get('formula') or '')}</p>{extra}
<h2>Rival hypotheses the experiment would separate</h2>
<table><tr><th>family</th><th>columns</th><th>source</th><th>outcome</th><th>separated</th></tr>{rival_rows}</table>
<h2>The committed card</h2><pre>{e(json.dumps(exp, indent=2))}</pre>
</body></html>
"""


# ------------------------------------------------------------------------------ a session's scorecard
def _minute(at, start) -> float | None:
    a, s = _parse(at), _parse(start)
    return round((a - s).total_seconds() / 60, 1) if a and s else None


def _what(e: dict) -> str:
    d = e.get("data") or {}
    k = e["kind"]
    if k == "cell":
        return f"{d.get('label') or 'cell'}" + (" (error)" if d.get("error") else "")
    if k == "explorer":
        return f"{d.get('explorer', 'explorer')} = {d.get('value')}"
    if k == "experiment":
        return f"{d.get('type')}" + (" BEFORE the card" if d.get("before_card") else "")
    if k == "card":
        return "first card committed" if d.get("first") else "card committed again (history only)"
    if k == "hint":
        return f"hint {d.get('level')}"
    if k == "phase":
        return f"phase {d.get('phase')}"
    return k


def session_card(result: GradeResult, *, session: dict, timeline: list[dict], ratings: list[dict],
                 truth: dict | None) -> dict:
    """A session's scorecard: ``build`` plus what the session service recorded.

    Parameters
    ----------
    result : the grading result (nbgrader's, or the service's first card scored directly).
    session : ``id``, ``candidate``, ``scenario``, ``started_at``, ``closed_at``, ``interviewers``.
    timeline : the service's events in order (cells, explorers, card commits, experiments, hints,
        phases, notes).
    ratings : each interviewer's submitted ratings ``[{"rater", "levels"}]``; combined by the formula.
    truth : the variant's truth.

    The time to the first card is measured from the session's start; any experiment run before the
    first card is flagged ``experiment_before_card``.
    """
    hints = [{"at": e["at"], "level": e["data"]["level"], "text": e["data"].get("text"), "by": e.get("author")}
             for e in timeline if e["kind"] == "hint"]
    card = build(result, hints=hints, manual=[r["levels"] for r in ratings] or None, truth=truth)
    start = session.get("started_at")
    committed = (result.card_info or {}).get("committed_at")
    if start and committed:
        card["seconds_to_card"] = round((_parse(committed) - _parse(start)).total_seconds(), 1)
    before = [e for e in timeline if e["kind"] == "experiment" and (e["data"] or {}).get("before_card")]
    if before and "experiment_before_card" not in card["flags"]:
        card["flags"] = sorted([*card["flags"], "experiment_before_card"])
    counts: dict[str, int] = {}
    for e in timeline:
        if e["kind"] != "note":
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    events = [{"minute": _minute(e["at"], start), "at": e["at"], "kind": e["kind"], "what": _what(e)}
              for e in timeline if e["kind"] not in ("note",)]
    c = result.card if isinstance(result.card, dict) else {}
    card.update(
        session=session, candidate=session.get("candidate"),
        reasoning={k: c.get(k) for k in ("evidence", "expected_if_true", "expected_if_false", "decision")},
        ratings=[{"rater": r["rater"], "levels": r["levels"], "comment": r.get("comment")} for r in ratings],
        notes=[{"minute": _minute(e["at"], start), "at": e["at"], "by": e.get("author"), "text": e["data"]["text"]}
               for e in timeline if e["kind"] == "note"],
        timeline_summary={"counts": counts, "experiments_before_card": len(before),
                          "first_activity": next((e["at"] for e in timeline if e["source"] == "candidate"), None),
                          "last_activity": next((e["at"] for e in reversed(timeline) if e["source"] == "candidate"), None),
                          "events": events})
    return card


def csv_columns(scenario: str | None = None) -> list[str]:
    """The CSV export's columns, in order: fixed names, then one per rubric item and manual dimension."""
    from .rubric import load_rubric
    rubric = load_rubric(scenario)
    return (["session_id", "candidate", "scenario", "status", "total", "max", "autograded_after_hints",
             "autograded_earned", "autograded_max"]
            + [f"item_{i}" for i in rubric.item_ids]
            + ["hint_level_before_card", "hints_logged"]
            + [f"manual_{d}" for d in rubric.dimension_ids]
            + ["raters", "seconds_to_card", "experiments_before_card", "flags", "planted_family",
               "started_at", "closed_at"])


def csv_row(card: dict) -> dict:
    """One scorecard as a flat row keyed by ``csv_columns``."""
    sess = card.get("session") or {}
    total = card["total"]
    dims = {d["id"]: d.get("level") for d in total.get("dimensions") or []}
    row = {"session_id": sess.get("id", ""), "candidate": sess.get("candidate", Path(card["submission"]).name),
           "scenario": card["scenario"], "status": card["status"], "total": total["total"], "max": total["max"],
           "autograded_after_hints": card.get("autograded_after_hints"), "autograded_earned": card["autograded_total"],
           "autograded_max": card["autograded_max"],
           "hint_level_before_card": card["hint_level_before_card"], "hints_logged": len(card.get("hints", [])),
           "raters": total.get("raters", 1 if total.get("manual_rated") else 0),
           "seconds_to_card": card.get("seconds_to_card"),
           "experiments_before_card": (card.get("timeline_summary") or {}).get("experiments_before_card", 0),
           "flags": ";".join(card["flags"]), "planted_family": (card.get("planted") or {}).get("family"),
           "started_at": sess.get("started_at"), "closed_at": sess.get("closed_at")}
    for i in card["items"]:
        row[f"item_{i['id']}"] = i["points"]
    for d, v in dims.items():
        row[f"manual_{d}"] = v
    return row


def to_csv(cards: list[dict]) -> str:
    """Scorecards as CSV with stable column names (``csv_columns``), for an applicant tracking system."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=csv_columns(), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for c in cards:
        w.writerow({k: ("" if v is None else v) for k, v in csv_row(c).items()})
    return buf.getvalue()


def write_scorecard(result: GradeResult, folder: Path, *, hints=None, manual=None,
                    truth: dict | None = None) -> tuple[Path, Path]:
    """Write ``<name>.scorecard.html`` and ``.json`` into ``folder`` (atomically); see ``build``."""
    folder.mkdir(parents=True, exist_ok=True)
    card = build(result, hints=hints, manual=manual, truth=truth)
    name = Path(result.submission).name or "submission"
    out = []
    for suffix, text in ((".scorecard.json", json.dumps(card, indent=2, default=str)),
                         (".scorecard.html", render_html(card))):
        path = folder / f"{name}{suffix}"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sc.")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
        out.append(path)
    return out[1], out[0]
