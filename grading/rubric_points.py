"""Item maxima for the autograded rubric, read from the rubric files when they load."""
from __future__ import annotations

from .score import DEFAULT_POINTS


def item_points(scenario: str | None = None) -> dict:
    """``{item id: max points}`` for ``scenario`` (rubric overrides), else the defaults."""
    try:
        from .rubric import load_rubric
    except ImportError:  # pragma: no cover - rubric module not present
        return dict(DEFAULT_POINTS)
    rubric = load_rubric(scenario)
    return {i.id: float(i.points) for i in rubric.items}
