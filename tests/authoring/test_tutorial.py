"""docs/authoring.md, executed: its console commands and its files run in a temporary folder, in order.

``make test`` runs the tutorial lean: the check measures seed 0 only (``--seeds 0 --no-compare``,
options the tutorial documents), still at live size, so the verdict holds: every pool family passes;
the preview is built on small worlds. The full tier (``-m full``) runs the tutorial's commands as
written (20 seeds per family, the shipped band, a live-size preview) and checks that the output
pasted into the tutorial is what the check prints, line for line.
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

import pytest

from livescreen.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
CHECK = "livescreen scenario check scenarios/warehouse_stockout.yaml"
PREVIEW = "livescreen scenario preview scenarios/warehouse_stockout.yaml --seed 7 --out preview"
LEAN = {CHECK: CHECK + " --seeds 0 --no-compare",
        PREVIEW: PREVIEW + " --n-offline 3000 --n-production 3000"}
FAMILIES = ("target_leakage", "prior_shift", "label_delay", "simpson_mix")


def steps(part: int = 1):
    """(kind, payload) in document order: ("cmd", (line, printed lines)), ("file", (path, text)) or
    ("insert", (path, after, text)); part 1 is the scenario, part 2 the plug-in family. A console
    block's lines after a ``$ `` command are what the tutorial shows it printing."""
    text = DOC.read_text()
    one, _, two = text.partition("## Part 2")
    out = []
    for m in re.finditer(r"```(console|(?:yaml|python|toml) (\S+=\S+ )?file=(\S+))\n(.*?)```", one if part == 1 else two, re.S):
        if m.group(1) == "console":
            for line in m.group(4).splitlines():
                if line.startswith("$ "):
                    out.append(("cmd", (line[2:].strip(), [])))
                elif out and out[-1][0] == "cmd":
                    out[-1][1][1].append(line)
        elif m.group(2):
            out.append(("insert", (m.group(3), m.group(2).strip().split("=", 1)[1], m.group(4))))
        else:
            out.append(("file", (m.group(3), m.group(4))))
    return out


def run_tutorial(tmp_path, monkeypatch, capsys, subs, only=()):
    """Run part 1 in ``tmp_path``; ``subs`` replaces whole command lines. Returns
    {command words: (exit code, stdout, stderr, the output the tutorial shows)}."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIVESCREEN_SCENARIOS", raising=False)
    results = {}
    for kind, payload in steps():
        if kind == "file":
            path, text = payload
            assert Path(path).is_file(), f"the tutorial edits {path}, which an earlier step must create"
            Path(path).write_text(text)
            continue
        line, shown = payload
        if only and not any(line.startswith(o) for o in only):
            continue
        argv = shlex.split(subs.get(line, line))
        if argv[0] == "export":
            key, _, value = argv[1].partition("=")
            monkeypatch.setenv(key, value)
            continue
        assert argv[0] == "livescreen"
        code = main(argv[1:])
        out, err = capsys.readouterr()
        words = [a for a in argv[1:3] if not a.startswith("-") and "/" not in a and "." not in a]
        results[" ".join(words) + (" --static" if "--static" in argv else "")] = (code, out, err, shown)
    return results


def family_lines(text: str) -> dict[str, str]:
    return {line.split()[0]: line for line in text.splitlines() if line.split()[:1] and line.split()[0] in FAMILIES}


def check_preview(prev: Path) -> None:
    assert (prev / "candidate" / "warehouse_stockout.ipynb").is_file()
    html = (prev / "candidate.html").read_text()
    assert "Stock-outs of warehouse SKUs" in html and re.search(r"In\W*\[3\]:", html)  # executed
    i = html.find("Traceback")
    assert i < 0, re.sub(r"<[^>]+>", "", html[i:i + 4000])  # the candidate's notebook ran without an error
    inter = (prev / "interviewer.html").read_text()
    assert "What was planted" in inter and "What the validator measured" in inter
    assert not any("truth" in p.name or "validation" in p.name for p in (prev / "candidate").rglob("*"))


def test_tutorial_lean(tmp_path, monkeypatch, capsys):
    by = run_tutorial(tmp_path, monkeypatch, capsys, LEAN)
    assert by["scenario new"][0] == 0 and by["scenario check --static"][0] == 0
    code, out, err, shown = by["scenario check"]
    assert err == "", err
    assert code == 0, out  # at live size, seed 0: every family of the pool passes
    lines = family_lines(out)
    assert sorted(lines) == sorted(FAMILIES), out
    for fam, line in lines.items():
        assert re.match(rf"{fam}\s+pass 1/1\s+effect vs target [-+]\d+%\.\.[-+]\d+%  difficulty 0\.\d+-0\.\d+ "
                        rf"\(shipped band not measured\)  decoys visible \d+%  offline AUC 0\.\d{{3}}-0\.\d{{3}}$", line), line
    assert sorted(family_lines("\n".join(shown))) == sorted(FAMILIES)  # the tutorial pastes the full run's lines
    assert by["scenario preview"][0] == 0, by["scenario preview"]
    check_preview(tmp_path / "preview")
    code, out, _, _ = by["scenarios"]
    assert code == 0 and "warehouse_stockout" in out.split()


@pytest.mark.full
def test_tutorial_as_written(tmp_path, monkeypatch, capsys):
    """The commands exactly as the tutorial gives them: 20 seeds per family, the shipped band, a live-size preview;
    the check's pasted output is what it prints."""
    by = run_tutorial(tmp_path, monkeypatch, capsys, {}, only=("livescreen scenario",))
    code, out, err, shown = by["scenario check"]
    assert code == 0 and err == "", (out, err)
    lines, pasted = family_lines(out), family_lines("\n".join(shown))
    for fam in FAMILIES:
        assert re.match(rf"{fam}\s+pass 20/20 ", lines[fam]), lines[fam]
        assert lines[fam] == pasted[fam], f"docs/authoring.md shows\n{pasted[fam]}\nthe check prints\n{lines[fam]}"
    assert by["scenario preview"][0] == 0
    check_preview(tmp_path / "preview")
    # the tutorial's screenshots come from this preview (python -m tests.authoring.screenshots)
    from tests.authoring import screenshots
    if not screenshots.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {screenshots.CHROMIUM}: install Debian's chromium (make installs it)")
    from PIL import Image
    for png in screenshots.shoot(tmp_path / "preview", tmp_path / "img"):
        assert (DOC.parent / "img" / png.name).is_file(), f"docs/img/{png.name} is missing"
        lo, hi = Image.open(png).convert("L").getextrema()
        assert hi - lo > 100 and png.stat().st_size < 200_000, png  # a page was drawn, and it stays small


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
        elif payload[0].startswith("pip install -e "):
            _install(tmp_path / payload[0].split()[-1], site)
        else:
            payload = payload[0]
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
    # the scaffold's comments, the card vocabulary and the grader carry the plug-in family too: the
    # reference card of a supplier_fade variant scores the family item in full, a rival's card does not
    res = subprocess.run([sys.executable, "-c", GRADE], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert "supplier_fade" in got["vocab"] and got["in_scaffold"] and got["truth"] == "supplier_fade"
    assert got["checks"][:2] == ["symptom", "effect_band"]  # the validator ran the family's own measurements
    assert got["hypothesis"][0] == got["hypothesis"][1] > got["rival"][0], got  # the family item
    assert got["hypothesis"][2] > got["rival"][2], got  # and the card's total


GRADE = """
import json
import data_generators as dg
from data_generators import registry
from data_generators.authoring import scaffold_text
from grading.answers import reference_card
from grading.score import score_card
v = dg.build_variant("scenarios/warehouse_stockout.yaml", 1, family="supplier_fade", n_offline=2000, n_production=2000)
rep = dg.validate_variant(v)
truth = v.truth.to_dict()
card = reference_card(truth, brief=v.brief)
rival = {**card, "hypothesis": {**card["hypothesis"], "family": "prior_shift"}}
def hyp(score):
    item = next(i for i in score.items if i.id == "family")
    return [item.points, item.max, score.total]
print(json.dumps({"vocab": [f["name"] for f in v.metadata()["card"]["families"]],
                  "in_scaffold": "supplier_fade (shift)" in scaffold_text("x_y", like="saas_churn"),
                  "truth": v.truth.family, "checks": [c.name for c in rep.checks],
                  "hypothesis": hyp(score_card(card, truth)), "rival": hyp(score_card(rival, truth))}))
"""
