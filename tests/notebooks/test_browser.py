"""The candidate notebook in a real JupyterLab, driven in headless Chromium by Playwright.

One JupyterLab server (loopback, random port and token, its own config, data, runtime, settings
and workspace folders) serves a fresh candidate folder; the notebook is opened, run top to bottom
with Run All (which raises nothing and commits nothing), then used as a candidate would: the
threshold slider is moved with the keyboard and the first-experiment card is filled in through
its widget form and committed with the form's one Commit button. Screenshots go to
``artifacts/browser/``.

Needs Debian's Chromium at /usr/bin/chromium (``make`` installs it); Playwright drives it and is
never asked to download a browser.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from livescreen.notebooks import REPO, candidate_folder
from livescreen.toolkit.card import families

# one xdist worker runs the module: its JupyterLab server (a module fixture) starts once
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "artifacts" / "browser"
SCENARIO = "saas_churn"
VIEWPORT = {"width": 1440, "height": 1000}

# Generous, for a loaded two-core machine; every wait below ends with a clear failure.
SERVER_START_S = 120
PAGE_LOAD_S = 120
KERNEL_IDLE_S = 120
RUN_ALL_S = 180
WIDGET_UPDATE_S = 60

# What the card form is given: a family, an experiment type and the four texts.
CARD = {
    "family": "covariate_shift",
    "experiment": "domain_classifier",
    "evidence": "Production AUC fell week by week while the offline report looked fine.",
    "expected_if_true": "A domain classifier separates offline from production rows, AUC above 0.7.",
    "expected_if_false": "The domain classifier stays near AUC 0.5: the inputs did not move.",
    "decision": "If true, retrain on recent rows; if false, look at the labels and the threshold.",
}


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def candidate(tmp_path_factory):
    """A fresh candidate folder (its truth kept outside it)."""
    root = tmp_path_factory.mktemp("browser")
    out = candidate_folder(SCENARIO, seed=5, out=root / "candidate", truth=root / "truth.json",
                           n_offline=4000, n_production=4000, measure=False)  # nobody grades it here
    assert (out / f"{SCENARIO}.ipynb").is_file()
    assert not (out / "truth.json").exists()
    return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """User settings that keep JupyterLab offline and quiet: no news, no update check."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
    }
    for rel, value in files.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def lab(candidate, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving the candidate folder; stopped at the end."""
    home = tmp_path_factory.mktemp("jupyter")
    dirs = {k: home / k for k in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir()
    _write_settings(dirs["settings"])
    token, port = secrets.token_hex(16), _free_port()
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
           "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
           "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]), "IPYTHONDIR": str(dirs["ipython"]),
           "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
           f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={candidate}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={dirs['settings']}", f"--LabApp.workspaces_dir={dirs['workspaces']}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = home / "jupyterlab.log"
    # the server's output goes to a file: a pipe nobody reads can stall it and its kernels
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=candidate, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode} while starting:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer /api/status within {SERVER_START_S} s:\n{_tail(log_path)}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "log": log_path, "proc": proc}
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL its process group if need be."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the server's own session: leftover kernels, if any
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (make installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# ------------------------------------------------------------------------------ page helpers
# window.jupyterapp is exposed by --LabApp.expose_app_in_browser: the notebook's own state.
STATE_JS = """() => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return {app: false};
  const panel = app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {app: true, panel: false};
  const session = panel.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {
    app: true, panel: true, path: panel.context.path, ready: panel.context.isReady,
    kernel: kernel ? kernel.status : null,
    counts: cells.map(c => c.model.executionCount),
    running: cells.filter(c => {
      const p = c.node.querySelector('.jp-InputPrompt');
      return p && p.textContent.includes('*');
    }).length,
  };
}"""

ERRORS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.filter(c => c.model.type === 'code').map(c => ({
    source: c.model.sharedModel.getSource().slice(0, 80),
    tags: c.model.getMetadata('tags') || [],
    errors: c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                .map(o => o.ename + ': ' + o.evalue),
  })).filter(c => c.errors.length);
}"""


def _wait(page, what: str, check, timeout_s: float, *, poll_s: float = 0.5, info=None):
    """Poll ``check() -> (done, state)`` until done; fail with ``what`` and the last state after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        done, state = check()
        if done:
            return state
        page.wait_for_timeout(poll_s * 1000)
    _shoot(page, "failure")
    extra = f"; {info()}" if info else ""
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}; last state: {state!r}{extra}")


def _shoot(page, name: str, locator=None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"jupyterlab-{name}.png"
    try:
        if locator is not None:
            locator.screenshot(path=str(path), timeout=30_000)
        else:
            page.screenshot(path=str(path), full_page=True, timeout=30_000)
    except Exception as e:  # noqa: BLE001 - a screenshot never hides the real failure
        print(f"screenshot {name} failed: {e}")
    return path


def _state(page) -> dict:
    return page.evaluate(STATE_JS)


def _cell(page, source_snippet: str):
    """The code cell whose source contains ``source_snippet``, scrolled into view."""
    idx = page.evaluate("""(snippet) => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(snippet));
      if (i >= 0) { nb.activeCellIndex = i; nb.scrollToItem(i, 'start'); }
      return i;
    }""", source_snippet)
    assert idx >= 0, f"no cell with {source_snippet!r} in the notebook"
    cell = page.locator(".jp-Notebook .jp-Cell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=source_snippet))
    cell.wait_for(state="attached", timeout=WIDGET_UPDATE_S * 1000)
    cell.scroll_into_view_if_needed(timeout=WIDGET_UPDATE_S * 1000)
    return cell


# ------------------------------------------------------------------------------ the run
@pytest.fixture(scope="module")
def notebook(lab, browser, candidate):
    """The released notebook open in JupyterLab, after Run All finished."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield from _open_and_run(page, lab, candidate)
    finally:
        context.close()


def _open_and_run(page, lab, candidate):
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    t0 = time.monotonic()
    page.goto(f"{lab['base']}/lab/tree/{SCENARIO}.ipynb?reset&token={lab['token']}",
              wait_until="domcontentloaded", timeout=PAGE_LOAD_S * 1000)

    def info():
        return f"console errors: {console[-5:]}; server log:\n{_tail(lab['log'], 15)}"

    def opened():
        s = _state(page)
        ok = s.get("panel") and s.get("ready") and s.get("path") == f"{SCENARIO}.ipynb"
        return (bool(ok), s)
    _wait(page, "the notebook to open", opened, PAGE_LOAD_S, info=info)

    def idle():
        s = _state(page)
        return (s.get("kernel") == "idle", s)
    _wait(page, "the kernel to be idle", idle, KERNEL_IDLE_S, info=info)
    opened_s = time.monotonic() - t0
    # a wider notebook for the screenshots: the file browser folds away
    page.evaluate("() => { const s = window.jupyterapp.shell; if (!s.leftCollapsed) s.collapseLeft(); }")
    assert all(c is None for c in _state(page)["counts"]), "the released notebook has no outputs"

    t1 = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    stalled = {"since": None}

    def finished():
        s = _state(page)
        done = all(isinstance(c, int) for c in s["counts"]) and s["running"] == 0 and s["kernel"] == "idle"
        # an error in an untagged cell stops Run All: cells stay unnumbered while the kernel idles
        if not done and s["running"] == 0 and s["kernel"] == "idle":
            stalled["since"] = stalled["since"] or time.monotonic()
            if time.monotonic() - stalled["since"] > 15:
                pytest.fail(f"Run All stopped early: {s}; errors: {page.evaluate(ERRORS_JS)}")
        else:
            stalled["since"] = None
        return (done, s)
    _wait(page, "Run All to finish", finished, RUN_ALL_S, info=info)
    run_s = time.monotonic() - t1
    print(f"notebook open and kernel idle in {opened_s:.1f} s; Run All in {run_s:.1f} s")
    yield {"page": page, "folder": candidate, "console": console}


def test_run_all_executes_every_cell_and_commits_nothing(notebook):
    """Did Run All number every code cell with no error, the check cell saying what the card needs,
    and no card committed?"""
    page = notebook["page"]
    errors = page.evaluate(ERRORS_JS)
    assert errors == [], f"cells failed in JupyterLab: {errors}"
    check = _cell(page, "ls.check_card(FIRST_EXPERIMENT, form=form)").locator(".jp-OutputArea").inner_text()
    assert "No card yet" in check and "hypothesis.family" in check, check
    # the report, the gap and the explorers drew their figures
    imgs = page.locator(".jp-OutputArea-output img")
    assert imgs.count() >= 5, f"only {imgs.count()} images in the outputs"
    assert not (notebook["folder"] / "first_experiment.json").exists()
    assert not (notebook["folder"] / "first_experiment_history.jsonl").exists()


def _threshold_view(cell) -> dict:
    out = cell.locator(".widget-output").first
    return {"text": out.inner_text(timeout=WIDGET_UPDATE_S * 1000),
            "img": out.locator("img").first.get_attribute("src", timeout=WIDGET_UPDATE_S * 1000) or "",
            "readout": cell.locator(".widget-readout").first.inner_text().strip()}


def test_threshold_slider_redraws_the_confusion_matrix(notebook):
    """Does moving the threshold slider with the keyboard change the counts and the cost curve?"""
    page = notebook["page"]
    cell = _cell(page, "ls.threshold_explorer(case)")
    slider = cell.locator(".widget-slider .noUi-handle").first
    slider.wait_for(state="visible")
    before = _threshold_view(cell)
    assert re.search(r"score ≥ \d\.\d\d means act", before["text"]), before["text"][:300]
    assert before["img"].startswith("data:image/png"), before["img"][:60]

    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    page.wait_for_timeout(300)

    def redrawn():
        now = _threshold_view(cell)
        want = f"score ≥ {now['readout']} means act"
        return (now["readout"] != before["readout"] and want in now["text"] and now["img"] != before["img"], now)
    after = _wait(page, "the threshold explorer to redraw", redrawn, WIDGET_UPDATE_S)
    assert float(after["readout"]) > float(before["readout"]), (before["readout"], after["readout"])

    def counts(text):
        return [int(n.replace(",", "")) for n in re.findall(r"(?:true|false) (?:negative|positive)\s+([\d,]+)", text)]
    cb, ca = counts(before["text"]), counts(after["text"])
    assert len(cb) == len(ca) == 8, (before["text"][:400], after["text"][:400])
    assert cb != ca, f"the confusion counts did not change: {cb}"
    # a higher threshold flags fewer rows: offline and production true + false positives both fall
    assert ca[1] + ca[3] < cb[1] + cb[3] and ca[5] + ca[7] < cb[5] + cb[7], (cb, ca)
    _shoot(page, "threshold", cell)
    _shoot(page, "notebook")


def _field(form, kind: str, label: str):
    """The ``kind`` widget (e.g. ``.widget-dropdown``) of the form whose description is ``label``."""
    return form.locator(kind).filter(
        has=form.page.locator("label.widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def test_card_form_commits_the_first_experiment(notebook):
    """Filled in through the widget form and committed, is the card on disk with what was entered?"""
    page, folder = notebook["page"], notebook["folder"]
    cell = _cell(page, "form = ls.card_form(case)")
    form = cell.locator(".jp-OutputArea-output .widget-vbox").first
    form.wait_for(state="visible")
    assert "Still to fill in" in form.inner_text()
    buttons = page.locator(".jp-Notebook button", has_text="Commit")
    assert buttons.count() == 1, f"{buttons.count()} commit buttons in the notebook: there is one, in the form"
    help_ = {f["name"]: f["help"] for f in families()}[CARD["family"]]

    _field(form, ".widget-dropdown", "family").locator("select").select_option(
        label=f"{CARD['family']}: {help_}")
    _field(form, ".widget-textarea", "evidence").locator("textarea").fill(CARD["evidence"])
    _field(form, ".widget-dropdown", "experiment").locator("select").select_option(label=CARD["experiment"])
    for key, label in (("expected_if_true", "expected if true"), ("expected_if_false", "expected if false"),
                       ("decision", "decision")):
        box = _field(form, ".widget-textarea", label).locator("textarea")
        box.click()
        box.press_sequentially(CARD[key], delay=5)
    page.keyboard.press("Tab")

    def complete():
        text = form.inner_text()
        return ("The card is complete" in text, text[-300:])
    _wait(page, "the form to say the card is complete", complete, WIDGET_UPDATE_S)
    # the whole form in one picture: a taller window for a moment
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1700})
    try:
        page.wait_for_timeout(500)
        form.scroll_into_view_if_needed()
        _shoot(page, "card", form)
    finally:
        page.set_viewport_size(VIEWPORT)

    assert not (folder / "first_experiment.json").exists(), "filling the form commits nothing"
    # commit: the form's one button, as the notebook asks
    buttons.first.click()

    def committed():
        text = form.inner_text()
        return ("Committed at" in text and "the one that counts" in text, text[-300:])
    _wait(page, "the form's button to commit the card", committed, WIDGET_UPDATE_S)
    record = json.loads((folder / "first_experiment.json").read_text())
    card = record["card"]
    assert record["committed_at"]
    assert card["hypothesis"]["family"] == CARD["family"]
    assert card["experiment"] == {"type": CARD["experiment"]}
    for key in ("evidence", "expected_if_true", "expected_if_false", "decision"):
        assert card[key] == CARD[key], key
    _shoot(page, "committed")
