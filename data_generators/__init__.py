"""livescreen's scenario engine: seeded synthetic worlds with one planted failure and decoys.

Public API
----------
list_scenarios, load_scenario, build_variant, validate_variant, Variant, Truth, FAMILIES,
NO_FAILURE (the control, which plants nothing), PLANTABLE, ScenarioError.
"""
from .errors import ScenarioError
from .scenario import DECOY_KINDS, FAMILIES, NO_FAILURE, PLANTABLE, Scenario, list_scenarios, load_scenario
from .truth import Truth
from .validation import ValidationReport, validate_variant
from .variant import Variant, build_variant

__all__ = ["FAMILIES", "NO_FAILURE", "PLANTABLE", "DECOY_KINDS", "Scenario", "ScenarioError", "Truth", "ValidationReport",
           "Variant", "build_variant", "list_scenarios", "load_scenario", "validate_variant"]
