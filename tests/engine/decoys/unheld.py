"""A variant as planted, before any decoy's ``hold``: what a decoy's hold is compared against."""
from __future__ import annotations

from data_generators.scenario import load_scenario
from data_generators.variant import control_effect


def unheld(name: str, family: str, seed: int):
    """The variant as planted, before any decoy's hold (what ``build_variant`` builds first)."""
    sc = load_scenario(name)
    w = sc.spec["world"]
    return control_effect(sc, seed, family=family, n_offline=w.get("n_offline", 20_000),
                          n_production=w.get("n_production", 20_000))
