"""The ``livescreen`` command line: a thin layer over plain functions.

Every subcommand calls one function of the engine, the toolkit or the grader; errors a user can
cause print one line and exit with code 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from data_generators.errors import ScenarioError
from livescreen.candidate import FolderError
from livescreen.cli_common import EXIT_USAGE, UsageError, parse_seed, parse_seeds  # noqa: F401 (re-exported)
from livescreen.cli_common import Parser as _Parser
from livescreen.cli_common import parse_rows as _rows
from livescreen.hub.users import HubError


# --------------------------------------------------------------------------- commands
def cmd_scenarios(args) -> int:
    from data_generators import list_scenarios, load_scenario, registry
    for name in list_scenarios():
        if args.long:
            sc = load_scenario(name)
            print(f"{name:28s} {sc.spec['domain']:12s} {sc.title}")
            print(f"{'':28s} pool: {', '.join(sc.pool)}")
        else:
            print(name)
    if args.long:
        print("\nfamilies (kind: help; expert first experiments):")
        for name, cls in registry.families().items():
            print(f"  {name:24s} {cls.kind:10s} {cls.help}; {', '.join(e for e, _ in cls.expert)}")
        print("decoys:")
        for kind, cls in registry.decoys().items():
            print(f"  {kind:24s} {cls.help} (suggests {cls.rival})")
    return 0


def cmd_generate(args) -> int:
    from livescreen.candidate import write_candidate_folder
    v = write_candidate_folder(args.scenario, seed=parse_seed(args.seed), out=args.out, truth=args.truth,
                               family=args.family, n_offline=_rows(args.n_offline),
                               n_production=_rows(args.n_production))
    print(f"wrote {args.out}: offline {len(v.offline):,} rows, production {len(v.production):,} rows, "
          f"{len(v.schema['features'])} features")
    if args.truth:
        print(f"wrote the truth to {args.truth} (grading side only)")
    return 0


def validate_many(scenario: str, seeds: list[int], *, family=None, n_offline=None, n_production=None):
    """Build and validate one variant per seed (``family`` forced, or drawn as for a candidate)."""
    from data_generators import build_variant, validate_variant
    for seed in seeds:
        yield validate_variant(build_variant(scenario, seed, family=family, n_offline=n_offline,
                                             n_production=n_production))


def cmd_validate(args) -> int:
    from data_generators import load_scenario
    seeds = parse_seeds(args.seeds)
    sc = load_scenario(args.scenario)  # fail fast on an unknown name
    if args.family is not None and args.family not in sc.pool:
        from data_generators import registry
        registry.get_family(args.family)  # an unknown name says so
        raise UsageError(f"family {args.family!r} is not in {sc.name}'s pool; choose one of: {', '.join(sc.pool)}")
    reports = []
    if not args.json:
        print(f"{'seed':>6}  {'family':24s}  {'status':6}  {'effect':>7}  {'target':>7}  {'diff.':>5}  failed checks")
    for rep in validate_many(args.scenario, seeds, family=args.family, n_offline=_rows(args.n_offline),
                             n_production=_rows(args.n_production)):
        reports.append(rep)
        if not args.json:
            bad = ", ".join(f"{c.name}={c.value} ({c.threshold})" for c in rep.failed) or "-"
            print(f"{rep.seed:>6}  {rep.family:24s}  {'pass' if rep.passed else 'FAIL':6}  {rep.effect:>7.4f}  "
                  f"{rep.target:>7.4f}  {rep.difficulty:>5.2f}  {bad}", flush=True)
    n_ok = sum(r.passed for r in reports)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        # one row per family: drawn as candidates would get them, or the one forced
        for fam in dict.fromkeys(r.family for r in reports):
            mine = [r for r in reports if r.family == fam]
            eff = [r.effect for r in mine]
            dif = [r.difficulty for r in mine]
            print(f"{args.scenario} {fam}: {sum(r.passed for r in mine)}/{len(mine)} pass; effect min "
                  f"{min(eff):.4f}, mean {sum(eff) / len(eff):.4f}, max {max(eff):.4f}; difficulty "
                  f"{min(dif):.2f}-{max(dif):.2f}")
        print(f"{args.scenario}: {n_ok}/{len(reports)} variants pass")
    return 0 if n_ok == len(reports) else 1


def cmd_notebook(args) -> int:
    from livescreen.notebooks import candidate_folder
    out = candidate_folder(args.scenario, seed=parse_seed(args.seed), out=args.out, truth=args.truth,
                           n_offline=_rows(args.n_offline), n_production=_rows(args.n_production),
                           execute_notebook=args.execute)
    nb = next(out.glob("*.ipynb"))
    print(f"wrote {out}: {nb.name} with the variant's data" + (" (executed in place)" if args.execute else ""))
    return 0


def cmd_release(args) -> int:
    from data_generators import load_scenario
    from data_generators.scenario import shipped_scenarios  # never a private folder's into the repo
    from livescreen.notebooks import release, write_source
    names = args.scenarios or shipped_scenarios()
    for name in names:
        load_scenario(name)
    for name in names:
        write_source(name)
    for path in release(names):
        print(f"released {path}")
    return 0


def _per_submission(path: str | None, submission: str) -> Path | None:
    """A file given for every submission, or ``<submission>.json`` in a folder (None when absent)."""
    if not path:
        return None
    p = Path(path)
    if p.is_dir():
        p = p / f"{Path(submission).name}.json"
        return p if p.is_file() else None
    return p


def cmd_grade(args) -> int:
    from grading.grader import GradingError, grade_many, truth_for
    from grading.scorecard import HintLogError, build, load_hints, write_scorecard
    try:  # read every hint log before grading: a bad one stops the run with nothing written
        hints = {s: load_hints(log) for s in args.paths if (log := _per_submission(args.hints, s))}
    except HintLogError as exc:
        raise UsageError(str(exc)) from None
    try:
        results = grade_many(args.paths, args.truth, jobs=args.jobs)
    except GradingError as exc:
        raise UsageError(str(exc)) from None
    for r in results:
        if r.status == "error" and r.detail.startswith(("no truth", "no submission")):
            raise UsageError(r.detail)
    # One total everywhere: what is printed is the scorecard's own total and item points after hints.
    cards = []
    try:
        for path, r in zip(args.paths, results):
            truth = truth_for(args.truth, Path(r.submission))
            cards.append(build(r, hints=hints.get(path), truth=truth))
            if args.scorecards:
                write_scorecard(r, Path(args.scorecards), hints=hints.get(path), truth=truth)
    except HintLogError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([{"submission": c["submission"], "status": c["status"], "total": c["total"]["total"],
                           "max": c["total"]["max"],
                           "autograded": {"points": c["autograded_after_hints"], "earned": c["autograded_total"],
                                          "max": c["autograded_max"]},
                           "items": [{"id": i["id"], "points": i["points"], "earned": i["earned"], "max": i["max"],
                                      "prompted_by_hint": i["prompted_by_hint"]} for i in c["items"]],
                           "flags": c["flags"]} for c in cards], indent=2))
    else:
        for c in cards:
            print(f"{c['submission']}: {c['status']} {c['total']['total']:g}/{c['total']['max']:g} "
                  f"(autograded {c['autograded_after_hints']:g}/{c['autograded_max']:g} after hints) "
                  f"flags={','.join(c['flags']) or '-'}")
    return 0


def cmd_demo(args) -> int:
    from livescreen import demo
    return demo.run(scenario=args.scenario, out=Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="livescreen", description="Seeded ML-debugging scenarios for live interviews.")
    from livescreen import scenario_cli  # `scenario new|check|preview`, `--scenarios DIR` (issue 8)
    scenario_cli.add_global(p)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    scenario_cli.add_parser(sub)

    s = sub.add_parser("scenarios", help="list the shipped scenarios")
    s.add_argument("--long", action="store_true", help="also show domain and title")
    s.set_defaults(func=cmd_scenarios)

    g = sub.add_parser("generate", help="write a candidate folder for one variant")
    g.add_argument("scenario", help="a shipped scenario name or a path to a scenario YAML")
    g.add_argument("--seed", required=True, help="the variant's seed (keep it secret from the candidate)")
    g.add_argument("--out", required=True, help="the candidate folder to write (replaced whole)")
    g.add_argument("--truth", help="where to write the truth JSON (grading side; never inside --out)")
    g.add_argument("--family", help="plant this family of the scenario's pool (default: the seed draws it)")
    g.add_argument("--n-offline", help="offline rows (default: the scenario's)")
    g.add_argument("--n-production", help="production rows (default: the scenario's)")
    g.set_defaults(func=cmd_generate)

    v = sub.add_parser("validate", help="check that variants plant a findable, not obvious failure")
    v.add_argument("scenario")
    v.add_argument("--seeds", default="0-49", help="seeds to check, e.g. 0-49 (default) or 0-9,20")
    v.add_argument("--family", help="plant this family of the pool (default: each seed draws, as for a candidate)")
    v.add_argument("--n-offline")
    v.add_argument("--n-production")
    v.add_argument("--json", action="store_true", help="print the reports as JSON")
    v.set_defaults(func=cmd_validate)

    n = sub.add_parser("notebook", help="write a candidate folder: the released notebook plus one variant's data")
    n.add_argument("scenario")
    n.add_argument("--seed", required=True, help="the variant's seed (keep it secret from the candidate)")
    n.add_argument("--out", required=True, help="the candidate folder to write (replaced whole)")
    n.add_argument("--truth", help="where to write the truth JSON (grading side; never inside --out)")
    n.add_argument("--execute", action="store_true", help="run the notebook headless in place")
    n.add_argument("--n-offline")
    n.add_argument("--n-production")
    n.set_defaults(func=cmd_notebook)

    r = sub.add_parser("release", help="rebuild solutions/<scenario>/ and release exercises/<scenario>/ (nbgrader)")
    r.add_argument("scenarios", nargs="*", help="default: every shipped scenario")
    r.set_defaults(func=cmd_release)

    gr = sub.add_parser("grade", help="autograde submissions against their truth (nbgrader)")
    gr.add_argument("paths", nargs="+", help="candidate folders (or their notebooks)")
    gr.add_argument("--truth", required=True, help="the truth JSON, or a folder of <submission>.json")
    gr.add_argument("--json", action="store_true", help="print status, total, max, items and flags as JSON")
    gr.add_argument("--jobs", type=int, default=1, help="grade in parallel processes (default 1)")
    gr.add_argument("--scorecards", help="write each submission's scorecard (HTML and JSON) into this folder")
    gr.add_argument("--hints", help="the interviewer's hint log: a JSON list of {\"at\": ISO time, \"level\": 1-3}, "
                                    "or a folder of <submission>.json logs (counted in the total)")
    gr.set_defaults(func=cmd_grade)

    d = sub.add_parser("demo", help="run the main job end to end for a demo candidate")
    d.add_argument("--scenario", default="saas_churn")
    d.add_argument("--out", default="out/demo")
    d.set_defaults(func=cmd_demo)

    from livescreen.sessions.commands import add_parser as add_session_commands
    add_session_commands(sub)  # session ..., console, calibrate, guide

    from livescreen.hub import cli as hub_cli  # the `hub` group (livescreen/hub/cli.py)
    hub_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        from livescreen.scenario_cli import scenario_folders
        with scenario_folders(args):
            return args.func(args)
    except (UsageError, ScenarioError, FolderError, HubError) as exc:
        print(f"livescreen: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `livescreen scenarios | head -1`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
