"""``make demo``: the main job end to end for a demo candidate."""
from __future__ import annotations

from pathlib import Path

DEMO_SEED = 20261125  # the demo candidate's seed; real candidates get a secret seed of their own


def run(*, scenario: str, out: Path) -> int:
    from livescreen.cli import generate
    candidate = out / "candidate"
    truth = out / "interviewer" / "truth.json"
    v = generate(scenario, seed=DEMO_SEED, out=candidate, truth=truth)
    print(f"scenario      {scenario}: {v.brief['title']}")
    print(f"candidate     {candidate}/  (offline.csv {len(v.offline):,} rows, production.csv "
          f"{len(v.production):,} rows, recomputed.csv, schema.json; {len(v.schema['features'])} features)")
    print(f"interviewer   {truth}  (the truth: grading side only)")
    return 0
