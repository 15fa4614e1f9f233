"""A candidate on the real hub in headless Chromium, while a second candidate is logged in.

The interviewer opens a session for candidate A (the variant delivered into A's home) and delivers a
folder to B. In two browser contexts, B logs in through the hub's login page with their own password
and A by opening their one-time login link; A opens the notebook, runs it top to bottom, fills the card in the form and commits it
with the form's button. The commit reaches the session service through the hub (A's own token):
the service's record is checked. A's JupyterLab has no nbgrader menu; its screenshot is kept with the test's files, and replaces the
README's ``docs/img/hub-candidate-lab.png`` when ``LIVESCREEN_UPDATE_SCREENSHOTS`` is set.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from livescreen.hub import paths

from .conftest import add_candidates, hub_prerequisites

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.full, pytest.mark.xdist_group("hub-browser"),
              pytest.mark.skipif(hub_prerequisites() is not None, reason=str(hub_prerequisites()))]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SC = "saas_churn"
SHOT = paths.REPO / "docs" / "img" / "hub-candidate-lab.png"
CARD = {"family": "covariate_shift", "experiment": "domain_classifier",
        "evidence": "Production AUC fell week by week while the offline report looked fine.",
        "expected if true": "A domain classifier separates offline from production rows, AUC above 0.7.",
        "expected if false": "The domain classifier stays near AUC 0.5: the inputs did not move.",
        "decision": "If true, retrain on recent rows; if false, look at the labels and the threshold."}

STATE_JS = """() => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return {app: false};
  const panel = app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {app: true, panel: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {app: true, panel: true, path: panel.context.path, ready: panel.context.isReady,
          kernel: kernel ? kernel.status : null, counts: cells.map(c => c.model.executionCount),
          running: cells.filter(c => { const p = c.node.querySelector('.jp-InputPrompt');
                                       return p && p.textContent.includes('*'); }).length};
}"""


def _wait(page, what, check, timeout_s):
    deadline, state = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        done, state = check()
        if done:
            return state
        page.wait_for_timeout(500)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}; last state {state!r}")


def _save_small(png: bytes, path: Path) -> None:
    """The screenshot as a 64-colour PNG (about a third of the size; the README shows it)."""
    import io

    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def _login(context, hub_url, name, *, password=None, link=None):
    """Log in through the login page with a password, or by opening a one-time login link."""
    page = context.new_page()
    if link:
        page.goto(hub_url + link, wait_until="domcontentloaded")
    else:
        page.goto(f"{hub_url}/hub/login", wait_until="domcontentloaded")
        page.fill("#username_input", name)
        page.fill("#password_input", password)
        page.click("#login_submit")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=180_000)
    return page


@pytest.fixture(scope="module")
def run(hub_root):
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from livescreen.hub import exchange, users
    from livescreen.hub.server import start_hub
    from livescreen.sessions import session
    root, _ = hub_root
    state = root / "state"
    (a, _), (b, pb) = add_candidates(hub_root, "ba", "bb")
    link_a = users.link_path(a, users.set_link(a, state=state))
    home = root / "store" / "sessions"
    # never scored here: no measuring process, no measured outcomes
    row = session.new_session(scenario=SC, candidate="ats-77", hub_user=a, home=home,
                              out=root / "out" / "interview", n_offline=4000, n_production=4000, measure=False)
    exchange.deliver(b, scenario=SC, seed=3, store=root / "store", measure=False)
    hub = start_hub(state=state, spawner_args=["--LabApp.expose_app_in_browser=True"])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            ctx_a = browser.new_context(viewport={"width": 1440, "height": 1000})
            ctx_b = browser.new_context(viewport={"width": 1200, "height": 800})
            ctx_a.set_default_timeout(60_000)
            page_b = _login(ctx_b, hub.url, b, password=pb)  # the second candidate, logged in throughout
            page_a = _login(ctx_a, hub.url, a, link=link_a)  # A with the one-time link add-candidate prints
            yield {"hub": hub, "a": a, "b": b, "page_a": page_a, "page_b": page_b, "row": row, "home": home,
                   "session": session, "root": root}
            browser.close()
    finally:
        hub.stop()


def test_a_candidate_runs_the_notebook_and_commits_a_card_on_the_hub(run):
    """Logged in with their own password, does A run the notebook and commit a card the service records?"""
    page, a = run["page_a"], run["a"]
    page.goto(f"{run['hub'].url}/user/{a}/lab/tree/interview/{SC}.ipynb?reset", wait_until="domcontentloaded")

    def opened():
        s = page.evaluate(STATE_JS)
        return bool(s.get("panel") and s.get("ready") and s.get("kernel") == "idle"), s
    _wait(page, "the notebook to open with an idle kernel", opened, 180)
    page.evaluate("() => { const s = window.jupyterapp.shell; if (!s.leftCollapsed) s.collapseLeft(); }")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished():
        s = page.evaluate(STATE_JS)
        return all(isinstance(c, int) for c in s["counts"]) and s["running"] == 0 and s["kernel"] == "idle", s
    _wait(page, "Run All to finish", finished, 300)
    assert page.locator(".jp-OutputArea-output img").count() >= 5, "the report and explorers drew"

    # the JupyterLab a candidate sees: no nbgrader menu or panel
    menubar = page.locator("#jp-menu-panel, .lm-MenuBar").first.inner_text()
    assert "File" in menubar and "nbgrader" not in menubar.lower()
    assert page.get_by_text("Create Assignment").count() == 0
    page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
                             nb.activeCellIndex = 4; nb.scrollToItem(4, 'start'); }""")
    page.wait_for_timeout(1500)
    shot = run["root"] / "hub-candidate-lab.png"
    _save_small(page.screenshot(), shot)
    if os.environ.get("LIVESCREEN_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, SHOT)

    # the card, through the form, committed with its button
    idx = page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
        const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes('ls.card_form(case)'));
        nb.activeCellIndex = i; nb.scrollToItem(i, 'start'); return i; }""")
    assert idx >= 0
    form = page.locator(".jp-OutputArea-output .widget-vbox").filter(has_text="Commit this card").first
    form.wait_for(state="visible")

    def field(kind, label):
        return form.locator(kind).filter(has=page.locator("label.widget-label", has_text=label)).first
    for label in ("family", "experiment"):  # options read "name: help"; pick the one for the name
        select = field(".widget-dropdown", label).locator("select")
        text = select.evaluate("(s, n) => [...s.options].map(o => o.text).find(t => t === n || t.startsWith(n + ':'))",
                               CARD[label])
        assert text, f"no {CARD[label]} in the {label} list"
        select.select_option(label=text)
    for label in ("evidence", "expected if true", "expected if false", "decision"):
        box = field(".widget-textarea", label).locator("textarea")
        box.click()
        box.fill(CARD[label])
        box.press("Tab")
    form.get_by_role("button", name="Commit this card").click()
    _wait(page, "the form to say the card was committed",
          lambda: ("Committed at" in form.inner_text(), form.inner_text()[-300:]), 60)

    rec = run["session"].get(run["row"]["id"], home=run["home"])
    assert rec["card"] is not None, "the session service recorded the card (through the hub, A's own token)"
    assert rec["card"]["hypothesis"]["family"] == CARD["family"]
    assert rec["card"]["experiment"]["type"] == CARD["experiment"]


def test_the_second_candidate_stays_in_their_own_lab(run):
    """While A worked, is B logged in to their own server only, with their own folder?"""
    page_b, b, a = run["page_b"], run["b"], run["a"]
    assert f"/user/{b}/lab" in page_b.url
    # through B's own JupyterLab (its contents service): B's folder is there
    names = page_b.evaluate("""async (p) => (await window.jupyterapp.serviceManager.contents.get(p)).content
                                             .map(x => x.name)""", SC)
    assert f"{SC}.ipynb" in names and "schema.json" in names
    # A's server, asked from B's browser with B's cookies and xsrf token: refused
    other = page_b.evaluate("""async (u) => {
        const x = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
        return (await fetch(u, {redirect: 'manual', headers: {'X-XSRFToken': x}})).status; }""",
                            f"/user/{a}/api/contents/interview")
    assert other != 200
    status, body = run["hub"].api("GET", f"users/{b}")
    assert status == 200 and body["servers"][""]["ready"]
