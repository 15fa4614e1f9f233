"""Screenshots of a scenario preview, as docs/authoring.md shows them: the candidate's executed
notebook (``candidate.html``) and the interviewer page (``interviewer.html``), rendered by Debian's
headless Chromium through Playwright (never ``playwright install``).

    python -m tests.authoring.screenshots PREVIEW_DIR OUT_DIR   # writes authoring-*.png

The pictures are cut to the part an author compares (the top of each page) and stored as palette
PNGs, so they stay small in the repository.
"""
from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# (page, png name, the element scrolled to the top before the shot; None for the page's top)
SHOTS = (("candidate.html", "authoring-candidate.png", None),
         ("candidate.html", "authoring-candidate-report.png", 'h2:has-text("offline report")'),
         ("interviewer.html", "authoring-interviewer.png", None))


def shoot(preview: Path, out: Path, *, width: int = 1100, height: int = 760) -> list[Path]:
    """Write one PNG per entry of ``SHOTS`` from the preview folder ``preview`` into ``out``."""
    from PIL import Image
    from playwright.sync_api import sync_playwright
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            for html, name, anchor in SHOTS:
                page.goto((preview / html).resolve().as_uri())
                page.wait_for_load_state("load")
                if anchor:
                    page.locator(anchor).first.evaluate("e => e.scrollIntoView({block: 'start'})")
                path = out / name
                page.screenshot(path=str(path))
                Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
                written.append(path)
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    for path in shoot(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
