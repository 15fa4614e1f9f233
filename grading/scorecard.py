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


def build(result: GradeResult, *, hints: list[dict] | None = None, manual: dict | None = None) -> dict:
    """The scorecard as data. ``hints``: the interviewer's log (``{"at": ISO time, "text": ...}``);
    ``manual``: ratings ``{dimension: level 1-5}``."""
    committed = _parse((result.card_info or {}).get("committed_at"))
    prompted = []
    for h in hints or []:
        at = _parse(h.get("at"))
        if at and committed and at <= committed:
            prompted.append(h)
    items = [dict(i, prompted_by_hint=bool(prompted) and i["points"] > 0) for i in result.items]
    card = {"submission": result.submission, "scenario": result.scenario, "status": result.status,
            "items": items, "flags": result.flags, "autograded_total": result.total,
            "autograded_max": result.max, "seconds_to_card": time_to_card(result),
            "hints_before_card": prompted, "card": result.card, "discrimination": result.discrimination,
            "detail": result.detail}
    try:
        from .rubric import load_rubric
        rubric = load_rubric(result.scenario)
        combined = rubric.combine({i["id"]: i["points"] for i in result.items}, manual)
        card["total"] = combined
    except Exception:  # noqa: BLE001 - no rubric formula: the autograded share out of 100
        card["total"] = {"total": round(100 * result.total / result.max, 1) if result.max else 0.0}
    return card


def render_html(card: dict) -> str:
    e = html.escape
    total = card["total"]["total"] if isinstance(card["total"], dict) else card["total"]
    rows = "".join(
        f"<tr><td>{e(i['id'])}</td><td class=n>{i['points']:g} / {i['max']:g}</td>"
        f"<td>{e(i.get('evidence', ''))}</td><td>{'after a hint' if i.get('prompted_by_hint') else ''}</td></tr>"
        for i in card["items"])
    flags = "".join(f"<li>{e(f)}</li>" for f in card["flags"]) or "<li>none</li>"
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
<h2>Rubric items</h2>
<table><tr><th>item</th><th>points</th><th>evidence</th><th>hint</th></tr>{rows}</table>
<h2>Flags</h2><ul>{flags}</ul>
<h2>Rival hypotheses the experiment would separate</h2>
<table><tr><th>family</th><th>columns</th><th>source</th><th>outcome</th><th>separated</th></tr>{rival_rows}</table>
<h2>The committed card</h2><pre>{e(json.dumps(exp, indent=2))}</pre>
</body></html>
"""


def write_scorecard(result: GradeResult, folder: Path, *, hints=None, manual=None) -> tuple[Path, Path]:
    """Write ``<name>.scorecard.html`` and ``.json`` into ``folder`` (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    card = build(result, hints=hints, manual=manual)
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
