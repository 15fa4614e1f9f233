"""The interviewer's console: what the page shows, and the page itself.

One page per session, kept open beside the screen share. It long-polls the session service
(``api/sessions/<id>?after=N&wait=20``): an event the service records wakes the poll at once, so
the candidate's activity reaches the screen in well under the 2 s target (see
``benchmarks/bench_console.py``). It shows the phase timer and its nudge, the activity timeline, the
hint ladder (one button per level, with the text to say), private notes, the manual rubric form,
and, only once the candidate has committed the card, what was planted and the family's example
answers at each rubric level (before then they would give the family away to the interviewer's
face and so to their hints). Each interviewer rates on their own: the others' ratings appear once
their own is submitted. At close, the scorecard with its JSON and CSV exports.
"""
from __future__ import annotations

import html

from . import session


def _manual(scenario: str, family: str | None) -> list[dict]:
    from grading.rubric import load_rubric
    rubric = load_rubric(scenario)
    return [{"id": d.id, "title": d.title, "question": d.question,
             "levels": [{"level": lv.level, "label": lv.label, "anchor": lv.anchor,
                         "example": lv.examples.get(family) if family else None} for lv in d.levels]}
            for d in rubric.dimensions]


def state(session_id: str, *, after: int = 0, viewer: str | None = None, home=None) -> dict:
    """Everything the console shows, as JSON; ``after`` is the last event id the page has."""
    from grading.rubric import load_rubric
    row = session.get(session_id, home=home)
    events = session.timeline(session_id, after=after, home=home)
    committed = row["card"] is not None
    revealed = committed or row["status"] != "open"
    truth = row["truth"]
    out = {
        "session": {"id": row["id"], "candidate": row["candidate"], "scenario": row["scenario"],
                    "status": row["status"], "interviewers": row["interviewers"],
                    "created_at": session.iso(row["created_at"]), "started_at": session.iso(row["started_at"]),
                    "closed_at": session.iso(row["closed_at"]), "card_at": session.iso(row["card_at"])},
        "timer": session.timer(row),
        "events": events,
        "last_id": events[-1]["id"] if events else after,
        "card": row["card"],
        "planted": ({k: truth.get(k) for k in ("family", "culprits", "segment", "onset", "decoys")}
                    if revealed else None),
        "ratings": session.ratings_for(session_id, viewer=viewer, home=home),
    }
    if after == 0:  # what does not change during a session: sent once
        rubric = load_rubric(row["scenario"])
        out["ladder"] = [{"level": h.level, "text": h.text, "prompts": list(h.prompts)} for h in rubric.ladder(truth.get("family"))]
        out["manual"] = _manual(row["scenario"], truth.get("family") if revealed else None)
        out["labels"] = {str(k): v for k, v in rubric.labels.items()}
    if row["status"] != "open" and row["scorecard"]:
        sc = row["scorecard"]
        out["scorecard"] = {"total": sc["total"]["total"], "max": sc["total"]["max"],
                            "seconds_to_card": sc.get("seconds_to_card"), "flags": sc.get("flags")}
    return out


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f3b57; color: #fff; padding: .6em 1em; display: flex; gap: 1.5em; align-items: baseline; }
header h1 { font-size: 1.1em; margin: 0; } header .who { opacity: .8; }
main { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 1em; padding: 1em; }
main > div { min-width: 0; } pre { white-space: pre-wrap; word-break: break-word; max-height: 260px; overflow-y: auto; }
header input { font: inherit; width: 8em; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .7em 1em; }
h2 { font-size: 1em; margin: .2em 0 .6em; color: #1f3b57; }
#timer .phase { font-size: 1.6em; font-weight: 700; } #timer .left { font-size: 1.3em; }
.overrun { color: #b00020; font-weight: 700; } .muted { color: #777; }
#timeline { max-height: 420px; overflow-y: auto; font-family: ui-monospace, monospace; font-size: 12.5px; }
#timeline div { padding: 2px 0; border-bottom: 1px dotted #eee; }
.k-card { background: #e6f4ea; font-weight: 700; } .k-hint { background: #fff4e5; }
.k-experiment.before { background: #fde7e9; } .k-note { color: #555; font-style: italic; } .err { color: #b00020; }
button { font: inherit; padding: .3em .8em; margin: .15em; cursor: pointer; }
.hint { margin: .4em 0; } .hint p { margin: .2em 0 .2em 1em; color: #444; }
textarea { width: 100%; font: inherit; } table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: .25em .4em; text-align: left; vertical-align: top; }
.dim { margin-bottom: .8em; } .dim label { display: block; margin: .15em 0; }
.dim .ex { color: #2a6; font-size: 12px; margin-left: 1.6em; }
#planted { background: #fff8e1; }
"""

_SCRIPT = r"""
const P = document.body.dataset.prefix, SID = document.body.dataset.session;
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
let last = 0, state = null, fetchedAt = 0, started = null;
let me = localStorage.getItem('livescreen-rater') || document.body.dataset.who || '';
const $ = id => document.getElementById(id);
async function api(path, body) {
  const r = await fetch(P + path, body === undefined ? {credentials: 'same-origin'} :
    {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (!r.ok) { $('msg').textContent = data.error || r.statusText; throw new Error(data.error); }
  $('msg').textContent = ''; return data;
}
function minute(at) { return started ? ((new Date(at) - new Date(started)) / 60000).toFixed(1) : '-'; }
function line(e) {
  const d = e.data || {}; let what = e.kind, cls = 'k-' + e.kind;
  if (e.kind === 'cell') what = 'cell  ' + esc(d.label) + (d.error ? ' <span class=err>' + esc(d.error) + '</span>' : '');
  else if (e.kind === 'explorer') what = 'explorer  ' + esc(d.explorer) + ' = ' + esc(d.value);
  else if (e.kind === 'experiment') { what = 'experiment  ' + esc(d.type) + (d.before_card ? '  BEFORE THE CARD' : ''); if (d.before_card) cls += ' before'; }
  else if (e.kind === 'card') what = d.first ? 'CARD COMMITTED (first: this one counts)' : 'card committed again (history only)';
  else if (e.kind === 'hint') what = 'hint ' + d.level + ' given by ' + esc(e.author) + (d.before_card ? ' (before the card)' : '');
  else if (e.kind === 'note') what = 'note (' + esc(e.author) + '): ' + esc(d.text);
  else if (e.kind === 'phase') what = 'phase -> ' + esc(d.phase);
  else if (e.kind === 'start') what = 'session started';
  else if (e.kind === 'close') what = 'session closed';
  const t = new Date(e.at).toLocaleTimeString();
  return `<div class="${cls}" data-kind="${e.kind}" data-id="${e.id}">${t} <span class=muted>+${minute(e.at)} min</span>  ${what}</div>`;
}
function renderTimer() {
  if (!state) return;
  const t = state.timer, el = $('timer');
  let left = t.minutes_left;
  if (left !== null && state.session.status === 'open') left -= (Date.now() - fetchedAt) / 60000;
  const over = left !== null && left < 0;
  el.innerHTML = `<div class=phase>${esc(t.phase)}</div>` + (left === null ? `<div class=muted>${esc(t.nudge || '')}</div>` :
    `<div class="left ${over ? 'overrun' : ''}" id=left>${over ? 'overran by ' + (-left).toFixed(1) : left.toFixed(1) + ' min left'}</div>` +
    `<div class="${over ? 'overrun' : 'muted'}" id=nudge>${over ? esc(t.phase) + ' overran: move on to ' + esc(t.next) : ''}</div>`) +
    `<div class=muted>plan: ${t.plan.map(p => esc(p[0]) + ' ' + p[1]).join(' / ')} min</div>`;
  $('start').hidden = state.session.started_at !== null || state.session.status !== 'open';
  $('next').hidden = state.session.started_at === null || state.session.status !== 'open';
}
function renderStatic() {
  $('ladder').innerHTML = state.ladder.map(h => `<div class=hint><button id="hint-${h.level}" onclick="hint(${h.level})">Hint ${h.level}</button>
     <p>${esc(h.text)}</p><p class=muted>prompts: ${esc(h.prompts.join(', ') || 'nothing')}</p></div>`).join('');
  renderRubric();
}
function renderRubric() {
  $('rubric').innerHTML = state.manual.map(d => `<div class=dim><b>${esc(d.title)}</b><div class=muted>${esc(d.question)}</div>` +
    d.levels.map(l => `<label><input type=radio name="${d.id}" value="${l.level}"> ${l.level} ${esc(l.label)}: ${esc(l.anchor)}</label>` +
      (l.example ? `<div class=ex>e.g. "${esc(l.example)}"</div>` : '')).join('') +
    `<label><input type=radio name="${d.id}" value="none"> not evaluated</label></div>`).join('');
}
function renderDynamic() {
  const s = state.session; started = s.started_at;
  $('status').textContent = s.status + (s.card_at ? ', card committed ' + new Date(s.card_at).toLocaleTimeString() : ', no card yet');
  if (state.planted) {
    const p = state.planted;
    $('planted').hidden = false;
    $('planted').innerHTML = `<h2>What was planted</h2><b>${esc(p.family)}</b>` + (p.culprits && p.culprits.length ? ', columns ' + esc(p.culprits.join(', ')) : '') +
      (p.segment ? ', segment ' + esc(JSON.stringify(p.segment)) : '') + (p.onset ? ', onset ' + esc(String(p.onset).slice(0, 10)) : '') +
      '<br><span class=muted>decoys: ' + esc((p.decoys || []).map(d => d.kind + ' (' + d.columns.join(', ') + ')').join('; ') || 'none') + '</span>';
    if (state.card) $('card').innerHTML = '<h2>The first card</h2><pre>' + esc(JSON.stringify(state.card, null, 1)) + '</pre>';
  }
  const r = state.ratings;
  $('others').innerHTML = r.visible && r.ratings.length ? '<table><tr><th>rater</th>' + state.manual.map(d => '<th>' + esc(d.id.split('_')[0]) + '</th>').join('') + '</tr>' +
      r.ratings.map(x => '<tr><td>' + esc(x.rater) + '</td>' + state.manual.map(d => '<td>' + esc(x.levels[d.id] ?? '-') + '</td>').join('') + '</tr>').join('') + '</table>'
    : `<span class=muted>${r.raters.length} rating(s) submitted; the others' appear once you submit yours.</span>`;
  if (state.scorecard) {
    $('scorecard').hidden = false;
    $('scorecard').innerHTML = `<h2>Scorecard</h2><div id=total style="font-size:1.6em;font-weight:700">${state.scorecard.total} / ${state.scorecard.max}</div>
      <a href="${P}api/sessions/${SID}/scorecard.html" target=_blank>open</a> · <a href="${P}api/sessions/${SID}/scorecard.json">JSON</a> · <a href="${P}api/sessions/${SID}/scorecard.csv">CSV</a>`;
    $('close').hidden = true;
  }
  renderTimer();
}
async function poll() {
  while (true) {
    try {
      const first = state === null;
      const s = await api(`api/sessions/${SID}?after=${last}&wait=${first ? 0 : 20}&viewer=${encodeURIComponent(me)}`);
      fetchedAt = Date.now();
      const ladder = state && state.ladder, manual = state && state.manual;
      const hadPlanted = state && state.planted;
      state = Object.assign(s, ladder ? {ladder, manual: s.manual || manual} : {});
      if (first) renderStatic();
      if (!hadPlanted && s.planted && !first) { const full = await api(`api/sessions/${SID}?after=0&viewer=${encodeURIComponent(me)}`); state.manual = full.manual; renderRubric(); }
      started = s.session.started_at;
      if (s.events.length) { $('timeline').insertAdjacentHTML('beforeend', s.events.map(line).join('')); $('timeline').scrollTop = 1e9; last = s.last_id; }
      renderDynamic();
      if (s.session.status !== 'open' && state.scorecard) { await new Promise(r => setTimeout(r, 5000)); }
    } catch (e) { await new Promise(r => setTimeout(r, 1000)); }
  }
}
async function hint(level) { await api(`api/sessions/${SID}/hint`, {level, by: me}); }
async function note() { const t = $('notetext').value; if (!t.trim()) return; await api(`api/sessions/${SID}/note`, {text: t, by: me}); $('notetext').value = ''; }
async function rate() {
  me = $('rater').value.trim(); if (!me) { $('msg').textContent = 'type your name (top right) first'; return; }
  localStorage.setItem('livescreen-rater', me);
  const levels = {};
  for (const d of state.manual) {
    const c = document.querySelector(`input[name="${d.id}"]:checked`);
    if (!c) { $('msg').textContent = 'rate every dimension (or mark it not evaluated): ' + d.title; return; }
    levels[d.id] = c.value === 'none' ? null : Number(c.value);
  }
  await api(`api/sessions/${SID}/rate`, {rater: me, levels, comment: $('comment').value});
  $('rated').textContent = 'submitted ' + new Date().toLocaleTimeString();
}
async function act(a) { await api(`api/sessions/${SID}/${a}`, {by: me}); }
async function closeSession() { if (confirm('Close the session? Nothing more will be recorded.')) await act('close'); }
$('rater').value = me;
$('rater').addEventListener('change', () => { me = $('rater').value.trim(); localStorage.setItem('livescreen-rater', me); });
setInterval(renderTimer, 1000);
poll();
"""


def session_page(row, *, prefix: str, mode: str, who: str | None) -> str:
    """The console page for one session (the data arrives from the service's API)."""
    e = html.escape
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>livescreen console: {e(row['candidate'])}</title>
<style>{_STYLE}</style></head>
<body data-prefix="{e(prefix)}" data-session="{e(row['id'])}" data-who="{e(who if mode == 'hub' and who else '')}">
<header><h1>livescreen console</h1><span>candidate <b>{e(row['candidate'])}</b></span>
<span>{e(row['scenario'])}</span><span class=who id=status></span>
<label>you: <input id=rater placeholder="your name"></label><span id=msg style="color:#ffd479"></span></header>
<main>
 <div>
  <section id=timerbox><h2>Phase</h2><div id=timer></div>
   <button id=start hidden onclick="act('start')">Start the session</button>
   <button id=next hidden onclick="act('phase')">Next phase</button>
   <button id=close onclick="closeSession()">Close the session</button></section>
  <section><h2>Activity timeline</h2><div id=timeline></div></section>
  <section id=planted hidden></section>
  <section id=card></section>
  <section id=scorecard hidden></section>
 </div>
 <div>
  <section><h2>Hint ladder (say the text; the press is logged with its time)</h2><div id=ladder></div></section>
  <section><h2>Private notes</h2><textarea id=notetext rows=2 placeholder="only interviewers see notes"></textarea>
   <button id=addnote onclick="note()">Add note</button></section>
  <section><h2>Your rating (anchored levels 1-5)</h2>
   <div id=rubric></div><textarea id=comment rows=2 placeholder="comment (optional)"></textarea>
   <button id=submitrating onclick="rate()">Submit my rating</button> <span id=rated class=muted></span>
   <h2>The others' ratings</h2><div id=others></div></section>
 </div>
</main>
<script>{_SCRIPT}</script></body></html>"""


def index_page(*, prefix: str) -> str:
    """The console's front page: the sessions, newest first."""
    e = html.escape
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>livescreen console</title>
<style>{_STYLE}</style></head><body data-prefix="{e(prefix)}">
<header><h1>livescreen console</h1><span class=who>interviewers only</span></header>
<main style="grid-template-columns: 1fr"><section><h2>Sessions</h2><table id=list></table></section></main>
<script>
const P = document.body.dataset.prefix;
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}}[c]));
async function load() {{
  const r = await fetch(P + 'api/sessions', {{credentials: 'same-origin'}}); const rows = await r.json();
  document.getElementById('list').innerHTML = '<tr><th>session</th><th>candidate</th><th>scenario</th><th>status</th><th>phase</th><th>created</th></tr>' +
    rows.map(s => `<tr><td><a href="${{P}}sessions/${{s.id}}">${{s.id}}</a></td><td>${{esc(s.candidate)}}</td><td>${{esc(s.scenario)}}</td><td>${{s.status}}</td><td>${{s.phase}}</td><td>${{esc(s.created_at)}}</td></tr>`).join('');
}}
load(); setInterval(load, 5000);
</script></body></html>"""


__all__ = ["state", "session_page", "index_page"]
