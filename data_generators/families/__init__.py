"""Planted failures: one module per family. ``get_family(name)`` returns its class.

A newcomer finds a family's mechanism in ``families/<family>.py``; every module documents what it
plants, the symptom it leaves and the experiment that resolves it.
"""
from __future__ import annotations

from importlib import import_module

from ..errors import ScenarioError
from ..scenario import DECOY_KINDS, FAMILIES, NO_FAILURE, PLANTABLE

_CLASS = {
    "target_leakage": "TargetLeakage",
    "temporal_leakage": "TemporalLeakage",
    "group_leakage": "GroupLeakage",
    "preprocessing_leakage": "PreprocessingLeakage",
    "duplicate_leakage": "DuplicateLeakage",
    "covariate_shift": "CovariateShift",
    "prior_shift": "PriorShift",
    "concept_drift": "ConceptDrift",
    "schema_change": "SchemaChange",
    "train_serve_skew": "TrainServeSkew",
    "selection_bias": "SelectionBias",
    "slice_failure": "SliceFailure",
    "simpson_mix": "SimpsonMix",
    "imbalance_wrong_metric": "ImbalanceWrongMetric",
    "calibration_mismatch": "CalibrationMismatch",
    "label_delay": "LabelDelay",
    NO_FAILURE: "NoFailure",
}


def implemented_families() -> list[str]:
    """Families that have a module here (the catalogue lists 16)."""
    from importlib.util import find_spec
    return [f for f in FAMILIES if find_spec(f"{__name__}.{f}") is not None]


def get_family(name: str):
    if name not in _CLASS:
        raise ScenarioError(f"unknown family {name!r}; allowed: {', '.join(PLANTABLE)}")
    try:
        module = import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise ScenarioError(
            f"family {name!r} is in the catalogue but not implemented yet; "
            f"implemented: {', '.join(implemented_families())}") from None
    return getattr(module, _CLASS[name])


def get_decoy(kind: str):
    if kind not in DECOY_KINDS:
        raise ScenarioError(f"unknown decoy kind {kind!r}; allowed: {', '.join(DECOY_KINDS)}")
    module = import_module(f"data_generators.decoys.{kind}")
    return module.DECOY
