"""The candidate toolkit: what the live-diagnosis notebook imports.

Everything reads a candidate folder (data + schema) through ``open_case``, and nothing else: the
toolkit measures what the data shows. Modules, one concept each:

| module | concept |
|---|---|
| ``case`` | ``open_case``, ``Case``: a candidate folder in memory |
| ``style`` | the colour-blind-safe palette and screen-share type sizes |
| ``metrics`` | AUC with intervals, confusion counts, costs, drift tests |
| ``report`` | the brief and the team's offline report |
| ``gap`` | the online/offline gap by week, label maturity visible |
| ``explorers`` | threshold, slice, drift and time-window explorers |
| ``card`` | the first-experiment card: check, form, commit |
| ``experiments`` | the experiment catalogue and ``run_experiment`` |
| ``notebook`` | one short function per notebook cell |
"""
from .card import (FAMILIES, CardError, card_form, check_card, commit_card, committed_card)
from .case import Case, CaseError, open_case
from .experiments import (CATALOGUE, EXPERIMENT_TYPES, OUTCOMES, RED_FLAGS, ExperimentError,
                          ExperimentResult, run_experiment)
from .notebook import run_first_experiment

__all__ = ["CATALOGUE", "EXPERIMENT_TYPES", "FAMILIES", "OUTCOMES", "RED_FLAGS", "Case", "CaseError",
           "CardError", "ExperimentError", "ExperimentResult", "card_form", "check_card", "commit_card",
           "committed_card", "open_case", "run_experiment", "run_first_experiment"]
