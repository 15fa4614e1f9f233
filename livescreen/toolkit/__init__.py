"""The candidate toolkit: what the live-diagnosis notebook imports.

Everything reads a candidate folder (data + schema) through ``open_case``, and nothing else: the
toolkit measures what the data shows. Modules, one concept each:

| module | concept |
|---|---|
| ``model`` | the team's model recipe (also the engine's: the toolkit is the ground floor) |
| ``case`` | ``open_case``, ``Case``: a candidate folder in memory |
| ``style`` | the colour-blind-safe palette and screen-share type sizes |
| ``metrics`` | AUC with intervals, confusion counts, costs, PSI, drift tests |
| ``report`` | the brief and the team's offline report |
| ``gap`` | the online/offline gap by week, label maturity visible |
| ``explorers`` | threshold, slice, drift and time-window explorers |
| ``card`` | the first-experiment card: check, form, commit |
| ``experiments`` | the experiment catalogue and ``run_experiment`` |
| ``notebook`` | one short function per notebook cell |

Names are imported on first use, so the scenario engine can import ``model`` and ``metrics`` without
loading the widgets and views, and the toolkit imports nothing from the rest of the kit.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "card": ("CardError", "FAMILIES", "card_form", "check_card", "commit_card", "committed_card"),
    "case": ("Case", "CaseError", "open_case"),
    "experiments": ("CATALOGUE", "EXPERIMENT_TYPES", "OUTCOMES", "RED_FLAGS", "ExperimentError",
                    "ExperimentResult", "run_experiment"),
    "notebook": ("run_first_experiment",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'livescreen.toolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
