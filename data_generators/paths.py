"""Where the engine's files live. No work is done at import."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SCENARIO_DIR = PACKAGE_DIR / "scenarios"
