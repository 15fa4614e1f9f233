"""A whole session seen from the interviewers' console, in headless Chromium, with a real candidate kernel.

The candidate side is an IPython kernel (jupyter_client) started in the candidate folder with the
service's variables, as the hub or ``livescreen session new`` would set them: it runs cells (one
raises), moves the threshold explorer and commits the card through the toolkit. Two interviewers
each open the console in their own browser context. Interviewer A presses hint 2 before the card;
the timeline shows the candidate's events in order; what was planted appears only after the
commit; both rate on their own (B cannot see A's rating until B submits); A closes; the scorecard
shows hint 2's prompted items and the planted family. A third context with the candidate's token
is refused the console.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from livescreen.sessions import session as S

from .conftest import ROWS, card_for
from .helpers import Service, call

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 30_000


@pytest.fixture
def kernel_in(request):
    """Start an IPython kernel in a folder with extra environment variables; stopped at the end."""
    from jupyter_client.manager import KernelManager
    managers = []

    def start(folder: Path, env: dict):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(cwd=str(folder), env={**os.environ, **env, "MPLBACKEND": "Agg"})
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        managers.append((km, kc))

        def run(code: str) -> dict:
            reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
            return reply["content"]
        return run
    yield start
    for km, kc in managers:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _rate(page, levels: list[int], name: str) -> None:
    page.fill("#rater", name)
    for dim, lv in zip(page.eval_on_selector_all("#rubric .dim input[value='1']", "els => els.map(e => e.name)"), levels):
        page.check(f"input[name='{dim}'][value='{lv}']")
    page.click("#submitrating")
    page.wait_for_selector("#rated:has-text('submitted')", timeout=WAIT_MS)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium (make install)")
def test_a_session_in_the_console_from_hint_to_scorecard(home, tmp_path, kernel_in):
    """Does the console show the candidate's cells, explorer move and card in order, log hint 2 before the
    card, reveal the planted failure only after the commit, keep ratings private until submitted, and
    end with a scorecard crediting hint 2's items?"""
    from playwright.sync_api import sync_playwright
    svc = Service(home).start()
    try:
        made = S.new_session(scenario="saas_churn", candidate="ATS-2026-17", interviewers=["ana", "bo"],
                             out=tmp_path / "candidate", service_url=svc.url, home=home, start=True,
                             n_offline=ROWS["n_offline"], n_production=ROWS["n_production"])
        sid, folder = made["id"], Path(made["folder"])
        truth = S.get(sid, home=home)["truth"]
        brief = json.loads((folder / "schema.json").read_text())["brief"]
        console_url = f"{svc.url}sessions/{sid}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                ana = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                ana.goto(f"{console_url}?token={svc.token}")
                ana.wait_for_selector("#hint-2", timeout=WAIT_MS)
                assert "token=" not in ana.url  # the token moved into an HTTP-only cookie
                ana.fill("#rater", "ana")
                ana.press("#rater", "Enter")
                ana.dispatch_event("#rater", "change")
                # the candidate: a kernel in their folder with the service's variables
                run = kernel_in(folder, {"LIVESCREEN_SERVICE_URL": svc.url, "LIVESCREEN_SERVICE_TOKEN": made["token"]})
                assert run("from livescreen.toolkit import notebook as ls\ncase = ls.start('.')")["status"] == "ok"
                assert run("rows = len(case.offline)")["status"] == "ok"
                assert run("1 / 0")["status"] == "error"
                assert run("t = ls.threshold_explorer(case)\nt.children[0].children[0].value = 0.6")["status"] == "ok"
                ana.wait_for_selector("#timeline [data-kind=explorer]", timeout=WAIT_MS)
                ana.click("#hint-2")  # before the card
                ana.wait_for_selector("#timeline [data-kind=hint]", timeout=WAIT_MS)
                assert "given by ana" in ana.inner_text("#timeline")
                assert ana.is_hidden("#planted") and not ana.query_selector_all("#rubric .ex")
                ana.fill("#notetext", "went straight to the threshold; quiet for 3 min")
                ana.click("#addnote")
                ana.wait_for_selector("#timeline [data-kind=note]", timeout=WAIT_MS)
                shots = tmp_path / "console.png"
                card = card_for(truth, brief)
                code = f"import json\nrecord = ls.commit(json.loads({json.dumps(json.dumps(card))}))\n" \
                       "assert record['service']['first'] is True, record"
                assert run(code)["status"] == "ok"
                ana.wait_for_selector("#timeline [data-kind=card]", timeout=WAIT_MS)
                ana.wait_for_selector("#planted:not([hidden])", timeout=WAIT_MS)
                assert truth["family"] in ana.inner_text("#planted")
                ana.wait_for_selector("#rubric .ex", timeout=WAIT_MS)  # the family's examples, now
                ana.wait_for_function("document.querySelectorAll('#timeline > div').length >= 10", timeout=WAIT_MS)
                kinds = ana.eval_on_selector_all("#timeline > div", "els => els.map(e => e.dataset.kind)")
                assert kinds == ["start", "cell", "cell", "cell", "explorer", "cell", "hint", "note", "card", "cell"], kinds
                labels = ana.inner_text("#timeline")
                assert "ZeroDivisionError" in labels and "threshold = 0.6" in labels
                ana.screenshot(path=str(shots), full_page=False)
                if os.environ.get("LIVESCREEN_UPDATE_SCREENSHOTS"):
                    shutil.copyfile(shots, REPO / "docs" / "img" / "console.png")
                # two interviewers rate on their own
                bo = browser.new_context().new_page()
                bo.goto(f"{console_url}?token={svc.token}")
                bo.wait_for_selector("#submitrating", timeout=WAIT_MS)
                _rate(ana, [5, 4, 4, 3, 4], "ana")
                bo.reload()
                bo.wait_for_selector("#others:has-text('1 rating(s) submitted')", timeout=WAIT_MS)
                assert "ana" not in bo.inner_text("#others")
                _rate(bo, [4, 4, 3, 3, 4], "bo")
                bo.wait_for_selector("#others table", timeout=WAIT_MS)
                assert "ana" in bo.inner_text("#others")
                # close, and read the scorecard
                ana.on("dialog", lambda d: d.accept())
                ana.click("#close")
                ana.wait_for_selector("#total", timeout=WAIT_MS)
                # the candidate, with their own token, cannot open the console
                cand = browser.new_context(extra_http_headers={"Authorization": f"token {made['token']}"}).new_page()
                resp = cand.goto(console_url)
                assert resp.status == 403
                assert cand.goto(f"{console_url}?token={made['token']}").status == 403
                sc = ana.context.new_page()
                sc.goto(f"{svc.url}api/sessions/{sid}/scorecard.html")
                text = sc.inner_text("body")
            finally:
                browser.close()
        data = call(f"{svc.url}api/sessions/{sid}/scorecard.json", token=svc.token)[1]
        from grading.rubric import load_rubric
        prompted = set(load_rubric("saas_churn").prompted_items(2))
        assert data["hint_level_before_card"] == 2
        assert {i["id"] for i in data["items"] if i["prompted_by_hint"] == 2} == prompted
        assert all("after hint 2" in text for _ in prompted) and truth["family"] in text
        assert f"{data['total']['total']:g} / 100" in text and ana is not None
        assert data["total"]["raters"] == 2 and data["candidate"] == "ATS-2026-17"
        assert data["seconds_to_card"] is not None and [n["text"] for n in data["notes"]] == [
            "went straight to the threshold; quiet for 3 min"]
    finally:
        svc.stop()
