"""The registry: families and decoys declare themselves once; every list of them derives from it.

The plug-in test installs a toy family the documented way (an entry point in the group
``livescreen.families``, here through a ``.dist-info`` folder on ``PYTHONPATH``) and runs the kit
in a fresh process, as a hiring team adding a family in their own package would.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import data_generators as dg
from data_generators import registry
from data_generators.errors import ScenarioError
from data_generators.families.base import Family
from data_generators.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_every_family_declares_what_the_kit_needs():
    """Does every registered family declare kind, help, symptoms, expert experiments of the toolkit's
    catalogue, outcomes of catalogue experiments and the reference card's texts?"""
    from livescreen.toolkit.experiments import CATALOGUE
    fams = registry.families()
    assert set(dg.FAMILIES) | {dg.NO_FAILURE} == set(fams)
    assert len(dg.FAMILIES) == 16  # the catalogue's 16 families, all plantable
    for name, cls in fams.items():
        assert cls.kind in registry.KINDS and cls.help and cls.symptoms, name
        assert cls.expert and all(e in CATALOGUE and len(why) > 20 for e, why in cls.expert), name
        assert set(cls.outcomes) <= set(CATALOGUE), name
        assert len(cls.expected) == 2 and cls.decision, name
    assert set(dg.DECOY_KINDS) == {"harmless_drift", "null_jump", "suspicious_legit", "noise_segment"}
    assert all(registry.get_decoy(k).rival in fams for k in dg.DECOY_KINDS)


def test_card_vocabulary_is_the_whole_registry_whatever_the_scenario(tmp_path):
    """Does schema.json offer every family and the control, the same list for two scenarios and
    seeds, never the scenario's pool?"""
    vocab = registry.card_vocabulary()
    assert [f["name"] for f in vocab] == list(dg.FAMILIES) + [dg.NO_FAILURE]
    metas = []
    for name, seed in (("saas_churn", 0), ("telecom_churn", 5)):
        v = dg.build_variant(name, seed, n_offline=600, n_production=600)
        metas.append(v.metadata()["card"])
    assert metas[0] == metas[1] == {"families": vocab}


def test_a_name_clash_is_refused_in_one_line():
    """Is a second family under a taken name refused with one line naming both modules?"""
    registry.load()  # the built-in target_leakage first, whichever test this worker ran before
    with pytest.raises(ScenarioError, match=r"^family name 'target_leakage' of .* is already registered by "
                                            r"data_generators\.families\.target_leakage; rename one of them$"):
        registry.register_family(type("Impostor", (Family,), {
            "name": "target_leakage", "kind": "leakage", "help": "x", "symptoms": ("x",),
            "expert": (("drop_columns_retrain", "x"),), "__module__": "someone.else"}))


TOY = '''
"""A toy family for the plug-in test: one input's effect is halved in production."""
import numpy as np

from data_generators.evaluation import evaluate
from data_generators.families.base import Family, Measure, ReferenceExperiment
from data_generators.registry import register_family


@register_family
class ToyFade(Family):
    name = "toy_fade"
    kind = "shift"
    help = "an input whose effect fades in production"
    symptoms = ("Since launch the model ranks {entity}s less well than the offline report promised.",)
    expert = (("drop_columns_retrain", "without the fading input the offline and online scores agree"),)
    outcomes = {"drop_columns_retrain": "gap_closes"}
    expected = ("without {cols} offline AUC falls to the online level", "the gap stays without {cols}")
    decision = "If true, retrain without {cols}; if false, look elsewhere."
    strength = 3.0
    measure = Measure(label="offline AUC - online AUC", effect=0.1, minimum=0.02)
    reference_experiment = ReferenceExperiment(
        label="retrain without the fading input; offline AUC - online AUC left", resolve_fraction=0.9)
    params_allowed = ("strength",)

    def choose(self, world):
        self.culprit_keys = [self.pick(self.candidate_keys(world))]
        world.columns[self.culprit_keys[0]].effect = self.strength

    def labels(self, world):
        key = self.culprit_keys[0]
        world.extra_logit["production"] -= 0.9 * self.strength * world.z["production"][key]

    def symptom(self, ev):
        return ev.offline_auc - ev.online_auc

    def reference(self, variant):
        ev = evaluate(variant, drop=variant.truth.culprits)
        return max(0.0, ev.offline_auc - ev.online_auc)
'''

RUN = '''
import json, sys
import data_generators as dg
from livescreen.cli import main
from grading.score import score_card
from grading.answers import reference_card
v = dg.build_variant(sys.argv[1], 3, family="toy_fade", n_offline=2000, n_production=2000)
rep = dg.validate_variant(v)
card = reference_card(v.truth.to_dict(), brief=v.brief)
s = score_card(card, v.truth.to_dict())
print(json.dumps({"families": list(dg.FAMILIES), "vocab": [f["name"] for f in v.metadata()["card"]["families"]],
                  "truth": v.truth.family, "checks": [c.name for c in rep.checks], "experiment": card["experiment"],
                  "score": [s.total, s.max]}))
'''


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """A toy family installed through the entry point group ``livescreen.families``."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "toy_families.py").write_text(textwrap.dedent(TOY))
    info = root / "toy_families-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-families\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[livescreen.families]\ntoy_fade = toy_families:ToyFade\n")
    spec = yaml.safe_load((SCENARIO_DIR / "credit_default.yaml").read_text())
    spec["failures"].append({"family": "toy_fade", "params": {"strength": 3.0}})
    spec["name"] = "toy_credit"
    scen = root / "toy_credit.yaml"
    scen.write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(ROOT)])}
    return root, scen, env


def test_a_plugin_family_reaches_the_registry_card_cli_validator_and_grader(plugin):
    """Does a toy family registered by entry point show up in FAMILIES, the card vocabulary in
    schema.json, `livescreen scenarios --long`, the validator and the grader (reference card scored)?"""
    root, scen, env = plugin
    out = subprocess.run([sys.executable, "-c", RUN, str(scen)], capture_output=True, text=True, env=env,
                         cwd=root, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert "toy_fade" in got["families"] and "toy_fade" in got["vocab"]
    assert got["truth"] == "toy_fade" and "reference" in got["checks"]
    assert got["experiment"]["type"] == "drop_columns_retrain"
    assert got["score"][0] >= 0.85 * got["score"][1]
    cli = subprocess.run([sys.executable, "-m", "livescreen.cli", "scenarios", "--long"], capture_output=True,
                         text=True, env=env, cwd=root, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert any(line.split()[:2] == ["toy_fade", "shift"] for line in cli.stdout.splitlines())
    val = subprocess.run([sys.executable, "-m", "livescreen.cli", "validate", str(scen), "--family", "toy_fade",
                          "--seeds", "0", "--n-offline", "2000", "--n-production", "2000"],
                         capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert "toy_fade" in val.stdout and val.returncode in (0, 1), val.stderr


def test_a_plugin_clashing_with_a_builtin_is_refused_in_one_line(tmp_path):
    """Does an entry point whose family takes a built-in name stop the kit with one line, no traceback?"""
    (tmp_path / "clash.py").write_text(TOY.replace('"toy_fade"', '"target_leakage"'))
    info = tmp_path / "clash-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: clash\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[livescreen.families]\nclash = clash\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    out = subprocess.run([sys.executable, "-m", "livescreen.cli", "scenarios", "--long"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and "'target_leakage'" in err[0] and "already registered" in err[0], out.stderr
