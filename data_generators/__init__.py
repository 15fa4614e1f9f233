"""livescreen's scenario engine: seeded synthetic worlds with one planted failure and decoys.

Public API
----------
list_scenarios, load_scenario, build_variant, draw_family, validate_variant, Variant, Truth,
FAMILIES, NO_FAILURE (the control, which plants nothing), PLANTABLE, DECOY_KINDS, ScenarioError,
registry (families and decoys register themselves; the vocabularies derive from it).
"""
from . import registry
from .errors import ScenarioError
from .registry import NO_FAILURE
from .scenario import Scenario, list_scenarios, load_scenario
from .truth import Truth
from .validation import ValidationReport, validate_variant
from .variant import Variant, build_variant, draw_family


def __getattr__(name: str):
    # FAMILIES, PLANTABLE, DECOY_KINDS derive from the registry (plug-ins included): computed on use.
    if name in ("FAMILIES", "PLANTABLE", "DECOY_KINDS"):
        from . import scenario
        return getattr(scenario, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAMILIES", "NO_FAILURE", "PLANTABLE", "DECOY_KINDS", "Scenario", "ScenarioError", "Truth",
           "ValidationReport", "Variant", "build_variant", "draw_family", "list_scenarios", "load_scenario",
           "registry", "validate_variant"]
