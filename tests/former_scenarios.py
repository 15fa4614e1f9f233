"""Shipped scenarios as they were before a pool changed, rebuilt for the tests that still need them."""
from __future__ import annotations

from pathlib import Path

import yaml

from data_generators.scenario import load_scenario


def former_group_leakage_host(folder: Path, *, name: str = "account_takeover") -> Path:
    """account_takeover as it was until 2026-12-04, when its pool held group leakage (target 0.086,
    strength 4.0) where the control sits now, written to ``folder/<name>.yaml``. Under its own name
    every seed gives the data it gave then (a seed's streams follow the scenario's name); under
    another name, the same world with other draws (a scenario of the extra folders,
    ``LIVESCREEN_SCENARIOS``, may not take a shipped name)."""
    spec = yaml.safe_load(load_scenario("account_takeover").path.read_text())
    spec["name"] = name
    spec["failures"] = [f for f in spec["failures"] if f["family"] != "no_failure"]
    spec["failures"].append({"family": "group_leakage", "effect": 0.086, "params": {"strength": 4.0}})
    path = Path(folder) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
