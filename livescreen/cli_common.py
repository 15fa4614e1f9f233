"""What every ``livescreen`` command group shares: one-line usage errors, seed parsing, sub-command groups.

A command is a handler over one library call: it returns the lines to print (a string, a list of
strings, or None) and ``command`` prints them and exits 0; the library errors it names become a
``UsageError`` (one line on stderr, exit code 2, printed by ``livescreen.cli.main``). The top-level
parser (``livescreen/cli.py``), ``livescreen session ...`` (``livescreen/sessions/commands.py``) and
``livescreen hub ...`` (``livescreen/hub/cli.py``) are built with it. Like them, it is the command
line: no library module imports it.
"""
from __future__ import annotations

import argparse
import re

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad command line: one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not argparse's usage block."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def parse_seeds(text: str) -> list[int]:
    """``"0-49"``, ``"7"`` or ``"0-9,20,30-31"`` -> a sorted list of seeds."""
    seeds: set[int] = set()
    for part in str(text).split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise UsageError(f"bad seeds {text!r}: use a number, a range like 0-49, or a list like 0-9,20")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise UsageError(f"bad seed range {part.strip()!r}: the end is before the start")
        if hi - lo > 100_000:
            raise UsageError(f"seed range {part.strip()!r} is too long: at most 100,000 seeds")
        seeds.update(range(lo, hi + 1))
    return sorted(seeds)


def parse_seed(text: str) -> int:
    """One seed: a whole number."""
    if not re.fullmatch(r"\d+", str(text).strip()):
        raise UsageError(f"bad seed {text!r}: a seed is a whole number from 0 to 2**63-1")
    return int(text)


def parse_rows(text: str | None) -> int | None:
    """A row count (None stays None: the scenario's default)."""
    if text is None:
        return None
    if not re.fullmatch(r"\d+", str(text).strip()):
        raise UsageError(f"bad row count {text!r}: use a whole number from 500 to 5000000")
    return int(text)


def group(subparsers, name: str, *, help: str, dest: str):
    """A command group ``livescreen NAME ...``: returns its own subparsers (a sub-command is required)."""
    parser = subparsers.add_parser(name, help=help)
    return parser.add_subparsers(dest=dest, required=True, parser_class=type(parser))


def command(subparsers, name: str, handler, *, help: str, errors=()):
    """Add sub-command ``name`` running ``handler(args)``; returns its parser for the arguments.

    ``handler`` returns what to print: a string, a list of strings (one a line) or None; an int is
    the exit code itself (for commands that print as they go). Exceptions of the ``errors`` types
    (the library's own, e.g. ``SessionError``) become a one-line ``UsageError``; ``errors`` may be a
    function returning them, so that building the parser imports no library.
    """
    parser = subparsers.add_parser(name, help=help)
    parser.set_defaults(func=lambda args: run(handler, args, errors=errors))
    return parser


def run(handler, args, *, errors=()) -> int:
    """Call ``handler(args)`` and print its lines (see ``command``)."""
    errors = tuple(errors() if callable(errors) else errors)
    try:
        out = handler(args)
    except errors as exc:
        raise UsageError(str(exc)) from None
    if isinstance(out, int):
        return out
    for line in [out] if isinstance(out, str) else out or ():
        print(line, flush=True)
    return 0
