"""A candidate folder: one variant's data and schema, and the team's offline report.

``write_candidate_folder`` is what ``livescreen generate`` and ``livescreen notebook`` (through
``livescreen.notebooks.candidate_folder``) do: build the variant, write its folder, then the team's
report (``team_report.json``: the feature importance the team computed, the costly part of the
notebook's first run) and, only where asked, the truth, outside the folder.
"""
from __future__ import annotations

from pathlib import Path


class FolderError(ValueError):
    """A candidate folder that cannot be written as asked; the message says how to fix it."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def write_candidate_folder(scenario, *, seed: int, out: str | Path, truth: str | Path | None = None,
                           family: str | None = None, n_offline: int | None = None, n_production: int | None = None,
                           measure: bool = True, workers: int | None = None):
    """Build a variant, write the candidate folder to ``out`` with the team's report and, if asked,
    the truth to ``truth`` (never inside ``out``). ``scenario`` is a name, a path to a YAML file or a
    loaded ``Scenario``. ``family`` forces one family of the scenario's
    pool (default: the seed draws it). Returns the variant.

    With ``truth`` (and ``measure``, the default), the outcome of every catalogue experiment on the
    candidate's data and in each rival hypothesis's world is measured and stored in the truth
    (``grading.measured``), so the card is graded by a look-up; ``workers`` processes measure the
    rival worlds (default: up to 2). ``measure=False`` leaves that to the grader's process, which
    measures a truth without outcomes when it first grades it (for folders nobody grades).

    Raises
    ------
    FolderError
        When ``truth`` is inside ``out`` (the candidate must never receive it).
    ScenarioError
        For an unknown scenario or a bad size (from the engine).
    """
    from data_generators import build_variant, load_scenario
    from livescreen.toolkit.case import Case
    from livescreen.toolkit.report import write_team_report
    out = Path(out)
    if truth is not None and _inside(Path(truth), out):
        raise FolderError(f"--truth {truth} is inside the candidate folder {out}: put it outside, "
                          "the candidate must never receive it")
    sc = load_scenario(scenario)  # measured below from this very scenario, never looked up by name
    variant = build_variant(sc, seed, family=family, n_offline=n_offline, n_production=n_production)
    variant.write(out)
    case = Case.from_frames(offline=variant.offline, production=variant.production,
                            recomputed=variant.recomputed, metadata=variant.metadata(), folder=out)
    write_team_report(case, out)
    if truth is not None:
        import os

        from grading.measured import attach, sizes_only
        if measure:
            attach(variant, scenario=sc, case=case, workers=workers or min(2, os.cpu_count() or 1))
        else:  # the grader measures at its first grading, at the candidate's sizes
            sizes_only(variant, scenario=sc)
        variant.truth.write(truth)
    return variant
