"""docs/authoring.md, executed: its console commands and its file run in a temporary folder, in order.

The lean run (``make test``) shrinks the check to one seed on small worlds and skips the shipped band
(effects are calibrated at live size, so it checks the report, not the verdict).
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from livescreen.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
LEAN = {"--seeds 0-19": "--seeds 0 --n-offline 3000 --n-production 3000 --no-compare",
        "--seed 7 --out preview": "--seed 7 --out preview --n-offline 3000 --n-production 3000"}


def steps():
    """(kind, payload) in document order: ("cmd", argv line) or ("file", (path, text))."""
    text = DOC.read_text()
    out = []
    for m in re.finditer(r"```(console|yaml file=(\S+))\n(.*?)```", text, re.S):
        if m.group(1) == "console":
            out += [("cmd", line[2:].strip()) for line in m.group(3).splitlines() if line.startswith("$ ")]
        else:
            out.append(("file", (m.group(2), m.group(3))))
    return out


def run_tutorial(tmp_path, monkeypatch, capsys, subs):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIVESCREEN_SCENARIOS", raising=False)
    results = []
    for kind, payload in steps():
        if kind == "file":
            path, text = payload
            assert Path(path).is_file(), f"the tutorial edits {path}, which an earlier step must create"
            Path(path).write_text(text)
            continue
        line = payload
        for a, b in subs.items():
            line = line.replace(a, b)
        argv = shlex.split(line)
        if argv[0] == "export":
            key, _, value = argv[1].partition("=")
            monkeypatch.setenv(key, value)
            continue
        assert argv[0] == "livescreen"
        code = main(argv[1:])
        out, err = capsys.readouterr()
        results.append((line, code, out, err))
    return results


def test_tutorial_lean(tmp_path, monkeypatch, capsys):
    results = run_tutorial(tmp_path, monkeypatch, capsys, LEAN)
    by = {line.split()[1] + (" " + line.split()[2] if line.split()[1] == "scenario" else ""): (code, out, err)
          for line, code, out, err in results}
    assert by["scenario new"][0] == 0
    code, out, err = by["scenario check"]
    assert code in (0, 1) and err == "", err  # small worlds: the verdict is the full run's business
    for fam in ("target_leakage", "prior_shift", "label_delay", "simpson_mix"):
        assert re.search(rf"^{fam}\s+(pass|FAIL) \d/1\s+effect vs target .* offline AUC 0\.\d{{3}}", out, re.M), out
    assert by["scenario preview"][0] == 0, by["scenario preview"]
    prev = tmp_path / "preview"
    assert (prev / "candidate" / "warehouse_stockout.ipynb").is_file()
    html = (prev / "candidate.html").read_text()
    assert "Stock-outs of warehouse SKUs" in html and "Traceback" not in html
    inter = (prev / "interviewer.html").read_text()
    assert "What was planted" in inter and "What the validator measured" in inter
    assert not any("truth" in p.name for p in (prev / "candidate").iterdir())
    code, out, _ = by["scenarios"]
    assert code == 0 and "warehouse_stockout" in out.split()

