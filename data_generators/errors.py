"""The one error type a user of the engine can cause."""


class ScenarioError(ValueError):
    """Bad input to the engine: an unknown scenario, a malformed spec, a bad seed or size.

    The message is one line that says what was wrong and how to fix it; the command line prints it
    and exits with code 2.
    """
