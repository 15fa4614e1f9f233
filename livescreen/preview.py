"""A scenario author's preview: what the candidate gets, beside what the interviewer knows.

``preview(file, seed=..., out=...)`` writes, into ``out`` (replaced whole):

``candidate/``
    the candidate's folder exactly as ``livescreen notebook`` would hand it over (the variant's data,
    schema, team report) with the candidate's notebook: the scenario's notebook with the solution
    cleared as nbgrader's release does, and no hidden grade cells. Never the truth.
``candidate.html``
    that notebook executed headless (nbclient) and rendered with nbconvert.
``interviewer.html`` and ``interviewer/truth.json``
    what was planted (family, culprits, onset, segment, decoys) and every figure the validator
    measured on this variant, with its threshold and verdict. The truth records the variant's sizes
    and scenario file but not the grader's measured outcomes (``grading.measured``: every rival
    world, about a minute of CPU that a preview does not show); grading the preview's folder
    measures them then, from that file.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION\n?", re.S)


def candidate_notebook(scenario) -> nbformat.NotebookNode:
    """The candidate's notebook of ``scenario``: solutions cleared, no hidden grade cells."""
    from grading.config import CARD_STUB
    from livescreen.notebooks import source_notebook
    nb = source_notebook(scenario, hidden_tests=[])
    for cell in nb.cells:
        if "### BEGIN SOLUTION" in cell.source:
            cell.source = _SOLUTION.sub(CARD_STUB + "\n", cell.source).strip()
    return nb


def _interviewer_html(variant, report) -> str:
    t = variant.truth.to_dict()
    esc = html.escape
    rows = "".join(
        f"<tr class={'ok' if c.passed else 'bad'}><td>{esc(c.name)}</td><td>{c.value}</td>"
        f"<td>{esc(c.threshold)}</td><td>{'pass' if c.passed else 'FAIL'}</td></tr>" for c in report.checks)
    planted = "".join(f"<tr><th>{esc(str(k))}</th><td><code>{esc(json.dumps(v, default=str))}</code></td></tr>"
                      for k, v in t.items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Interviewer: {esc(variant.scenario)} seed {t.get('seed')}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}}td,th{{padding:.2em .6em;text-align:left;
vertical-align:top}}tr.bad{{background:#fdd}}tr.ok td:last-child{{color:#070}}code{{white-space:pre-wrap}}</style></head>
<body><h1>Interviewer page: {esc(variant.scenario)}, seed {t.get('seed')}</h1>
<p>Never show this page to the candidate. The candidate's notebook is <a href="candidate.html">candidate.html</a>.</p>
<h2>What was planted</h2><table>{planted}</table>
<h2>What the validator measured: {'pass' if report.passed else 'FAIL'}</h2>
<p>Effect {report.effect} against the target {report.target}; difficulty index {report.difficulty}
(loudest decoy against the failure's strength; 0.5 means as loud).</p>
<table><tr><th>check</th><th>value</th><th>threshold</th><th>verdict</th></tr>{rows}</table></body></html>
"""


def _validate(variant):
    from data_generators import validate_variant
    from livescreen.toolkit.model import one_thread
    with one_thread():
        return validate_variant(variant)


def preview(file, *, seed: int, out, family: str | None = None, n_offline=None, n_production=None,
            execute: bool = True) -> Path:
    """Write the preview of ``file`` (a scenario YAML or a name) for ``seed`` into ``out``; see the module.

    The folder is built in a temporary sibling and moved into place at the end, so a failure leaves
    nothing half-written.

    Raises
    ------
    ScenarioError
        A scenario that does not pass the static check, or a family not in its pool.
    """
    from nbconvert import HTMLExporter

    from data_generators import load_scenario
    from data_generators.authoring import static_check
    from livescreen.candidate import write_candidate_folder
    from livescreen.notebooks import execute as run_notebook
    from data_generators.errors import ScenarioError
    sc = static_check(file) if str(file).endswith((".yaml", ".yml")) else load_scenario(file)
    if family is not None and family not in sc.pool:
        raise ScenarioError(f"family {family!r} is not in {sc.name}'s pool; choose one of: {', '.join(sc.pool)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        cand = work / "candidate"
        variant = write_candidate_folder(sc, seed=seed, out=cand, truth=work / "interviewer" / "truth.json",
                                         family=family, n_offline=n_offline, n_production=n_production,
                                         measure=False)
        nb_path = cand / f"{sc.name}.ipynb"
        nbformat.write(candidate_notebook(sc), nb_path)
        shown = nbformat.read(nb_path, as_version=4)
        # the validator measures in a thread of this process while the notebook runs in its kernel
        # (another process): the two overlap on two cores
        with ThreadPoolExecutor(max_workers=1) as pool:
            measured = pool.submit(_validate, variant)
            if execute:
                scratch = work / "run"
                shutil.copytree(cand, scratch)  # run a copy: the candidate folder stays as handed over
                shown = run_notebook(scratch / nb_path.name)
                shutil.rmtree(scratch)
            report = measured.result()
        body, _ = HTMLExporter().from_notebook_node(shown)
        (work / "candidate.html").write_text(body)
        (work / "interviewer" / "validation.json").write_text(json.dumps(report.to_dict(), indent=2))
        (work / "interviewer.html").write_text(_interviewer_html(variant, report))
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return out
