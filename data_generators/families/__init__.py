"""Planted failures: one module per family, each registering its class (see ``data_generators.registry``).

A newcomer finds a family's mechanism in ``families/<family>.py``; every module documents what it
plants, the symptom it leaves and the experiments that resolve it, and declares its name, kind,
card help, symptom sentences, expert first experiments and outcomes, and the validator's measure and
reference experiment on its class.
"""
from __future__ import annotations

from ..registry import family_names, get_decoy, get_family


def implemented_families() -> list[str]:
    """The registered failure families (the control excluded)."""
    return list(family_names())


def plantable() -> list[str]:
    """What a scenario's pool may name: the registered families and the control."""
    return list(family_names(control=True))


__all__ = ["get_decoy", "get_family", "implemented_families", "plantable"]
