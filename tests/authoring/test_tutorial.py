"""docs/authoring.md, executed: its console commands and its file run in a temporary folder, in order.

The lean run (``make test``) shrinks the check to one seed on small worlds and skips the shipped band
(effects are calibrated at live size, so it checks the report, not the verdict).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from livescreen.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
LEAN = {"--seeds 0-19 --jobs 2": "--seeds 0 --jobs 2 --n-offline 3000 --n-production 3000 --no-compare",
        "--seed 7 --out preview": "--seed 7 --out preview --n-offline 3000 --n-production 3000"}


def steps(part: int = 1):
    """(kind, payload) in document order: ("cmd", line), ("file", (path, text)) or
    ("insert", (path, after, text)); part 1 is the scenario, part 2 the plug-in family."""
    text = DOC.read_text()
    one, _, two = text.partition("## Part 2")
    out = []
    for m in re.finditer(r"```(console|(?:yaml|python|toml) (\S+=\S+ )?file=(\S+))\n(.*?)```", one if part == 1 else two, re.S):
        if m.group(1) == "console":
            out += [("cmd", line[2:].strip()) for line in m.group(4).splitlines() if line.startswith("$ ")]
        elif m.group(2):
            out.append(("insert", (m.group(3), m.group(2).strip().split("=", 1)[1], m.group(4))))
        else:
            out.append(("file", (m.group(3), m.group(4))))
    return out


def run_tutorial(tmp_path, monkeypatch, capsys, subs, only=()):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIVESCREEN_SCENARIOS", raising=False)
    results = []
    for kind, payload in steps():
        if kind == "file":
            path, text = payload
            assert Path(path).is_file(), f"the tutorial edits {path}, which an earlier step must create"
            Path(path).write_text(text)
            continue
        if only and not any(payload.startswith(o) for o in only):
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



def _install(plugin: Path, site: Path) -> None:
    """What `pip install -e plugin` leaves behind for the registry: a
    .dist-info with the pyproject's entry points (the module itself is put on PYTHONPATH by the caller;
    done by hand to keep the test offline and fast)."""
    meta = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    eps = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in names.items())
                  for group, names in meta["entry-points"].items())
    (info / "entry_points.txt").write_text(eps)


def test_tutorial_part2_plugin_family(tmp_path, monkeypatch, capsys):
    run_tutorial(tmp_path, monkeypatch, capsys, LEAN, only=("livescreen scenario new",))
    site = tmp_path / "site"
    site.mkdir()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugin"), str(site), str(root)])}
    env.pop("LIVESCREEN_SCENARIOS", None)
    outputs = []
    for kind, payload in steps(part=2):
        if kind == "file":
            path = tmp_path / payload[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(payload[1])
        elif kind == "insert":
            path, after, text = payload
            src = (tmp_path / path).read_text()
            assert f"\n{after}\n" in src
            (tmp_path / path).write_text(src.replace(f"\n{after}\n", f"\n{after}\n{text}", 1))
        elif payload.startswith("pip install -e "):
            _install(tmp_path / payload.split()[-1], site)
        else:
            argv = shlex.split(payload.replace("--seeds 0-4", "--seeds 0 --n-offline 2000 --n-production 2000"))
            res = subprocess.run([sys.executable, "-m", "livescreen.cli", *argv[1:]], capture_output=True, text=True,
                                 env=env, cwd=tmp_path, timeout=300)
            outputs.append((payload, res))
    by = {p.split()[1]: r for p, r in outputs}
    assert by["scenarios"].returncode == 0, by["scenarios"].stderr
    assert any(line.split()[:2] == ["supplier_fade", "shift"] for line in by["scenarios"].stdout.splitlines())
    check = by["scenario"]
    assert check.returncode == 0 and "supplier_fade" in check.stdout, check.stderr
    val = by["validate"]
    assert val.returncode in (0, 1) and "supplier_fade" in val.stdout, val.stderr  # small worlds: figures, not verdict
    # the scaffold's comments and the card vocabulary carry the plug-in family too
    res = subprocess.run([sys.executable, "-c", "import json; from data_generators import registry; "
                          "from data_generators.authoring import scaffold_text; "
                          "print(json.dumps([[f['name'] for f in registry.card_vocabulary()], "
                          "'supplier_fade (shift)' in scaffold_text('x_y', like='saas_churn')]))"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    vocab, in_scaffold = json.loads(res.stdout.strip().splitlines()[-1])
    assert "supplier_fade" in vocab and in_scaffold
