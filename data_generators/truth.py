"""The truth of a variant: what was planted. Grading side only; never written to a candidate folder."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Truth:
    """What was planted in one variant.

    Attributes
    ----------
    scenario, seed : the variant's identity; together they rebuild it exactly.
    family : one of ``data_generators.FAMILIES``, or ``NO_FAILURE`` for the control.
    culprits : columns the failure acts through (may be empty, e.g. prior shift).
    segment : ``{column: value}`` of the failing segment, or None.
    onset : ISO timestamp of the change in production, or None.
    decoys : ``[{"kind", "columns", ...}]``: the red herrings planted beside the cause.
    effect : the effect size drawn for this variant, in the family's symptom units.
    strength : the family's knob as planted (leak strength, shift size, ...: the family's units),
        after the seed's jitter and the effect control's correction (``variant.control_effect``);
        None in a truth written before it was recorded.
    outcomes : what each catalogue experiment measured in this variant and in its rivals' worlds
        (``grading.measured.measure``), stored when the candidate folder is made so grading is a
        look-up; None until measured. Interviewer side only, like the rest of the truth.
    """

    scenario: str
    seed: int
    family: str
    culprits: list[str] = field(default_factory=list)
    segment: dict | None = None
    onset: str | None = None
    decoys: list[dict] = field(default_factory=list)
    effect: float | None = None
    strength: float | None = None
    outcomes: dict | None = None

    def to_dict(self) -> dict:
        d = json.loads(json.dumps(asdict(self)))
        if d["outcomes"] is None:  # not measured (yet): the truth as it always read
            del d["outcomes"]
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "Truth":
        keys = {"scenario", "seed", "family", "culprits", "segment", "onset", "decoys", "effect", "strength",
                "outcomes"}
        return cls(**{k: v for k, v in data.items() if k in keys})

    def write(self, path: str | Path) -> Path:
        """Write the truth as JSON (atomically) for the grading side."""
        from .variant import atomic_write_text
        return atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")
