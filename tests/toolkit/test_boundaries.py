"""What the toolkit may know: a candidate folder, never what was put into it."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import livescreen.toolkit

TOOLKIT = Path(livescreen.toolkit.__file__).parent
PACKAGE = TOOLKIT.parent
WORDS = ("culprit", "truth", "planted", "decoy", "seed")


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mod = node.module or ""
            if mod == "data_generators":
                yield from (f"data_generators.{a.name}" for a in node.names)
            else:
                yield mod


def test_toolkit_imports_nothing_from_the_rest_of_the_kit():
    """Does the toolkit import nothing from the engine, grading or the command line (the ground floor)?"""
    for path in TOOLKIT.glob("*.py"):
        for mod in _imports(path):
            assert not mod.startswith(("data_generators", "grading", "livescreen.cli", "livescreen.notebooks",
                                       "livescreen.demo")), f"{path.name} imports {mod}"


def test_the_package_root_imports_nothing():
    """Does ``livescreen/__init__.py`` import nothing, so importing the toolkit loads no other floor?"""
    assert list(_imports(PACKAGE / "__init__.py")) == []


# The candidate environment holds the toolkit and libraries only: a finder that refuses the engine
# and grading makes this interpreter look like it.
STANDALONE = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("data_generators", "grading"):
            raise ModuleNotFoundError(f"No module named {name!r} (refused: the candidate side)")
        return None
sys.meta_path.insert(0, Refuse())
import matplotlib; matplotlib.use("Agg")
from livescreen.toolkit import notebook as ls
from livescreen.toolkit import explorers
case = ls.start(sys.argv[1])
ls.show_brief(case); ls.offline_report(case); ls.online_offline_gap(case)
for make in (ls.threshold_explorer, ls.slice_explorer, ls.drift_explorer, ls.time_window_explorer):
    make(case)
form = ls.card_form(case)
from livescreen.toolkit.card import commit_card
commit_card({"hypothesis": {"family": "covariate_shift", "columns": [case.features[0]]},
             "evidence": "e", "experiment": {"type": "served_vs_recomputed"}, "expected_if_true": "t",
             "expected_if_false": "f", "decision": "d"}, case.folder, case=case)
r = ls.run_first_experiment(case)
print("outcome", r.outcome)
print("loaded", sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("data_generators", "grading")))
"""


def test_the_toolkit_runs_with_the_engine_and_grading_unimportable(folders, tmp_path):
    """Does every notebook entry point run where ``data_generators`` and ``grading`` cannot be imported?"""
    import shutil
    folder = shutil.copytree(folders["saas_churn"], tmp_path / "case")
    done = subprocess.run([sys.executable, "-c", STANDALONE, str(folder)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "outcome " in done.stdout and "loaded []" in done.stdout, done.stdout[-2000:]


def test_no_word_about_the_answer_in_the_toolkit():
    """Do the toolkit's source, docstrings and messages avoid words about what was put into the data?"""
    for path in TOOLKIT.glob("*.py"):
        text = path.read_text().lower()
        for word in WORDS:
            assert word not in text, f"{path.name} mentions {word!r}"


def _module_imports(path: Path, package: str, *, names: bool = False):
    """Absolute module names ``path`` imports (relative imports resolved against ``package``); with
    ``names``, also ``module.name`` for each name of a ``from module import name`` (it may be a module)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            yield mod
            if names:
                yield from (f"{mod}.{a.name}" for a in node.names)


# The command-line floor: the argparse front ends and their shared plumbing. Nothing else imports them
# (the demo calls the session functions, not the command line).
COMMAND_LINE = {"livescreen/cli", "livescreen/cli_common", "livescreen/hub/cli", "livescreen/sessions/commands",
                "livescreen/scenario_cli"}
COMMAND_LINE_MODULES = tuple(m.replace("/", ".") for m in COMMAND_LINE)


def test_imports_run_one_way():
    """Does no library module import the command line, and grading nothing of livescreen but the toolkit
    (no cycle livescreen.cli -> demo -> notebooks -> cli, nor grading -> livescreen.kernels)?"""
    root = PACKAGE.parent
    for folder in ("livescreen", "grading", "data_generators"):
        for path in (root / folder).rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            package = ".".join(rel.parts[:-1]) if rel.name != "__init__" else ".".join(rel.parts[:-1])
            if rel.as_posix() not in COMMAND_LINE:
                for mod in _module_imports(path, package, names=True):
                    assert not (mod.startswith("livescreen.demo") or mod in COMMAND_LINE_MODULES
                                or any(mod.startswith(m + ".") for m in COMMAND_LINE_MODULES)), \
                        f"{rel} imports {mod}"
            for mod in _module_imports(path, package):
                where = f"{rel} imports {mod}"
                if folder == "grading":
                    assert not mod.startswith("livescreen") or mod.startswith("livescreen.toolkit"), where
                if folder == "data_generators":
                    assert not mod.startswith(("grading", "livescreen")) or mod in (
                        "livescreen.toolkit", "livescreen.toolkit.model", "livescreen.toolkit.metrics"), where
