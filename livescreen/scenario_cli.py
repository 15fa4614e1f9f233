"""``livescreen scenario new|check|preview`` and the global ``--scenarios DIR``: a thin layer over
``data_generators.authoring`` and ``livescreen.preview``."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager


def add_global(parser) -> None:
    """``--scenarios DIR`` (repeatable): extra scenario folders, added to ``LIVESCREEN_SCENARIOS``."""
    parser.add_argument("--scenarios", dest="scenario_dirs", action="append", metavar="DIR",
                        help="a folder of your own scenario YAMLs (repeatable; adds to $LIVESCREEN_SCENARIOS)")


@contextmanager
def scenario_folders(args):
    """``--scenarios DIR``: the folders join ``LIVESCREEN_SCENARIOS`` for this command only."""
    dirs = getattr(args, "scenario_dirs", None)
    if not dirs:
        yield
        return
    from data_generators.scenario import ENV_DIRS
    before = os.environ.get(ENV_DIRS)
    old = [p for p in (before or "").split(os.pathsep) if p]
    os.environ[ENV_DIRS] = os.pathsep.join([*dirs, *old])
    try:
        yield
    finally:  # a caller that runs several commands in one process (a test, a notebook) keeps its own
        if before is None:
            os.environ.pop(ENV_DIRS, None)
        else:
            os.environ[ENV_DIRS] = before


def cmd_new(args) -> int:
    from data_generators.authoring import scaffold
    path = scaffold(args.name, like=args.like, out=args.out, force=args.force)
    print(f"wrote {path}: edit it, then `livescreen scenario check {path}`")
    return 0


def _size(text):
    from livescreen.cli import _rows
    return _rows(text)


def cmd_check(args) -> int:
    import time

    from data_generators.authoring import brief_warnings, cause_word_warnings, default_jobs, measure, static_check
    from livescreen.cli import UsageError, parse_seeds
    seeds = parse_seeds(args.seeds)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"bad --jobs {args.jobs}: use 1 or more processes")
    jobs = args.jobs or default_jobs()
    n_off, n_prod = _size(args.n_offline), _size(args.n_production)
    sc = static_check(args.file)
    print(f"{args.file}: schema and host rules ok; pool: {', '.join(sc.pool)}")
    for w in cause_word_warnings(args.file) + brief_warnings(sc):
        print(f"warning: {w}")
    if args.static:
        return 0
    print(f"measuring {len(sc.pool)} families x {len(seeds)} seeds"
          + (f" at {n_off or sc.spec['world'].get('n_offline', 'default')} offline rows" if n_off else "")
          + f" on {jobs} process{'es' if jobs > 1 else ''} ...", flush=True)
    t0 = time.perf_counter()
    figs = measure(sc, seeds=seeds, n_offline=n_off, n_production=n_prod, compare_shipped=not args.no_compare,
                   jobs=jobs)
    for f in figs:
        print(f.line())
        for line in f.failures[:5]:
            print(f"    {line}")
        if f.hint():
            print(f"    hint: {f.hint()}")
    ok = all(f.ok for f in figs)
    print(f"{sc.name}: {'every pool family passes every seed' if ok else 'NOT ready: a family fails a seed'} "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0 if ok else 1


def cmd_preview(args) -> int:
    from livescreen.cli import parse_seed
    from livescreen.preview import preview
    out = preview(args.file, seed=parse_seed(args.seed), family=args.family, out=args.out,
                  n_offline=_size(args.n_offline), n_production=_size(args.n_production),
                  execute=not args.no_execute)
    print(f"wrote {out}: candidate/ (the candidate's folder), candidate.html (the executed notebook), "
          f"interviewer.html (what was planted and measured)")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("scenario", help="author a scenario: new, check, preview")
    ss = s.add_subparsers(dest="scenario_command", required=True, parser_class=type(s))

    n = ss.add_parser("new", help="write a commented scenario YAML modelled on a shipped one")
    n.add_argument("name", help="the new scenario's name (lower-case, digits, _)")
    n.add_argument("--like", default="saas_churn", help="the shipped scenario to start from (default saas_churn)")
    n.add_argument("--out", required=True, help="the folder to write <name>.yaml into")
    n.add_argument("--force", action="store_true", help="replace an existing file")
    n.set_defaults(func=cmd_new)

    c = ss.add_parser("check", help="check a scenario file: schema, host rules, then every pool family on seeds")
    c.add_argument("file")
    c.add_argument("--seeds", default="0-19", help="seeds per family (default 0-19)")
    c.add_argument("--n-offline", help="offline rows (default: the scenario's live size)")
    c.add_argument("--n-production", help="production rows (default: the scenario's live size)")
    c.add_argument("--static", action="store_true", help="only the schema and host rules (each family planted once in a tiny world; no model, no seeds)")
    c.add_argument("--jobs", type=int, help="worker processes for the variants (default: the cores available; "
                                            "the figures do not depend on it)")
    c.add_argument("--no-compare", action="store_true", help="skip measuring the shipped scenarios' difficulty band")
    c.set_defaults(func=cmd_check)

    p = ss.add_parser("preview", help="the candidate folder, its executed notebook as HTML, and an interviewer page")
    p.add_argument("file")
    p.add_argument("--seed", required=True)
    p.add_argument("--family", help="plant this pool family (default: the seed draws it)")
    p.add_argument("--out", required=True, help="the preview folder (replaced whole)")
    p.add_argument("--n-offline")
    p.add_argument("--n-production")
    p.add_argument("--no-execute", action="store_true", help="render the notebook without running it")
    p.set_defaults(func=cmd_preview)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `livescreen scenario ...`")
