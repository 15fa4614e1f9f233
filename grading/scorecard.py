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
    manual : ratings ``{dimension: level 1-5}`` of the conversation, or None.
    truth : the variant's truth, shown as "what was planted" (the scorecard is interviewer-only).
    """
    from .rubric import load_rubric
    rubric = load_rubric(result.scenario)
    ladder = rubric.hint_ladder
    logged = _check_hints(list(hints or []), len(ladder))
    committed = _parse((result.card_info or {}).get("committed_at"))
    before = [h for h in logged if committed is None or _parse(h["at"]) <= committed]
    level = max((h["level"] for h in before), default=0)
    combined = rubric.combine({i["id"]: i["points"] for i in result.items}, manual, hints=level)
    prompted = {i["id"] for i in combined["items"] if i["prompted"]}
    items = [dict(i, prompted_by_hint=level if i["id"] in prompted and i["points"] > 0 else None)
             for i in result.items]
    hint_rows = [{"at": h["at"], "level": h["level"], "text": h.get("text") or ladder[h["level"] - 1].text,
                  "before_card": h in before, "prompts": list(ladder[h["level"] - 1].prompts)} for h in logged]
    return {"submission": result.submission, "scenario": result.scenario, "status": result.status,
            "items": items, "flags": result.flags, "autograded_total": result.total,
            "autograded_max": result.max, "seconds_to_card": time_to_card(result),
            "hints": hint_rows, "hint_level_before_card": level, "card": result.card,
            "discrimination": result.discrimination, "detail": result.detail, "total": combined,
            "formula": rubric.formula.explanation,
            "planted": {k: truth.get(k) for k in ("family", "culprits", "segment", "onset", "decoys")} if truth else None,
            "manual_dimensions": [{"id": d.id, "name": d.title} for d in rubric.dimensions]}


def render_html(card: dict) -> str:
    e = html.escape
    total = card["total"]["total"] if isinstance(card["total"], dict) else card["total"]
    rows = "".join(
        f"<tr><td>{e(i['id'])}</td><td class=n>{i['points']:g} / {i['max']:g}</td>"
        f"<td>{e(i.get('evidence', ''))}</td>"
        f"<td>{'after hint ' + str(i['prompted_by_hint']) if i.get('prompted_by_hint') else ''}</td></tr>"
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
        f"<tr><td>{e(d['name'])}</td><td>{e(str(levels[d['id']]['level'])) if levels.get(d['id'], {}).get('level') else 'not rated yet'}</td></tr>"
        for d in card.get("manual_dimensions", []))
    secs = card["seconds_to_card"]
    ttc = f"{secs / 60:.1f} min" if secs is not None else "not recorded"
    exp = card.get("card") or {}
    rivals = (card.get("discrimination") or {}).get("rivals", [])
    rival_rows = "".join(
        f"<tr><td>{e(r['hypothesis']['family'])}</td><td>{e(', '.join(r['hypothesis']['columns']) or '-')}</td>"
        f"<td>{e(r['hypothesis']['source'])}</td><td>{e(r['outcome'])}</td><td>{'yes' if r['separated'] else 'no'}</td></tr>"
        for r in rivals)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Scorecard {e(str(card['scenario']))}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }}
h1 {{ font-size: 1.4em; }} table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .35em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} td.n {{ white-space: nowrap; text-align: right; }}
.total {{ font-size: 2em; font-weight: 700; color: #0072B2; }} .note {{ color: #a33; }}
pre {{ background: #f7f7f7; padding: .8em; white-space: pre-wrap; }}
</style></head><body>
<p class="note">Interviewer only: this card names what was planted.</p>
<h1>Scorecard: {e(Path(card['submission']).name)} on {e(str(card['scenario']))}</h1>
<p><span class="total">{total:g} / 100</span> &nbsp; status <b>{e(card['status'])}</b>,
autograded {card['autograded_total']:g} of {card['autograded_max']:g} points, time to first card {e(ttc)}</p>
{planted}
<h2>Rubric items</h2>
<table><tr><th>item</th><th>points</th><th>evidence</th><th>hint</th></tr>{rows}</table>
<h2>Flags</h2><ul>{flags}</ul>
<h2>Conversation (manual rubric, anchored levels 1-5)</h2>
<table><tr><th>dimension</th><th>level</th></tr>{manual_rows}</table>
<h2>Hints the interviewer logged</h2>
<table><tr><th>at</th><th>level</th><th>hint</th><th>card</th><th>prompts</th></tr>{hint_rows}</table>
<p>{e(card.get('formula') or '')}</p>
<h2>Rival hypotheses the experiment would separate</h2>
<table><tr><th>family</th><th>columns</th><th>source</th><th>outcome</th><th>separated</th></tr>{rival_rows}</table>
<h2>The committed card</h2><pre>{e(json.dumps(exp, indent=2))}</pre>
</body></html>
"""


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
