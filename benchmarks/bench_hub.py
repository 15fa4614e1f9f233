"""Load on the real hub: 20 candidates on loopback, each shape beside a lone candidate in the same run.

Every candidate is a real Unix user with a session (the variant delivered into their home by the
session service's delivery), driven as JupyterLab drives a server: log in through the login form,
ask for a token, start the server, open a kernel and send the notebook's cells over the kernel's
websocket. Two shapes:

- **live morning**: a 25-minute session compressed 5x. In a ``--window`` (default 300 s) each
  candidate runs the notebook top to bottom 3 times and moves the threshold explorer 20 times, at
  random moments (seeded), then commits a card through the session service; their folder is
  collected into the store. Peer: one lone candidate doing the same, alone, earlier in the run.
  Targets: Run All p95 <= 3x the lone candidate's; explorer update p95 <= 300 ms.
- **everyone at once**: all candidates press Run All in the same second. The floor is the work
  itself: the kernels' summed CPU time (from /proc, as root) divided by the cores. Target: the last
  one finishes within 1.3x that floor. Peer: the lone candidate's Run All.

Both report time to a ready server (p50/p95), memory per candidate (all their processes' RSS) and
the hub's (hub, proxy, session service), and submissions lost (a card the service did not record,
or a folder that did not collect). Bounded: ``--candidates`` (default 20), ``--window``, and a hard
``--deadline`` (default 1500 s) after which the run stops and says so. Needs root (Unix users).

    sudo .venv/bin/python benchmarks/bench_hub.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SC = "saas_churn"
CARD = {"hypothesis": {"family": "covariate_shift", "columns": [], "segment": None, "onset": None},
        "evidence": "production AUC fell", "experiment": {"type": "domain_classifier"},
        "expected_if_true": "domain AUC above 0.7", "expected_if_false": "domain AUC near 0.5",
        "decision": "retrain on recent rows if true"}
SETUP_CODE = "_ex = ls.threshold_explorer(case)\n_slider = _ex.children[0].children[0]\nimport os; os.getpid()"


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def rss_of_uid(uid: int) -> int:
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.stat(f"/proc/{p}").st_uid != uid:
                continue
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def rss_of_pid_tree(pids) -> int:
    total = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class Candidate:
    def __init__(self, hub, name, password, folder, session_id):
        from livescreen.hub.client import Session
        self.s = Session(hub.url, name, password)
        self.name, self.folder, self.session_id = name, folder, session_id
        self.ready_s = None
        self.kernel = None
        self.cells: list[str] = []
        self.pid = None
        self.run_all: list[float] = []
        self.updates: list[float] = []
        self.errors: list[str] = []

    def start(self):
        assert self.s.login(), f"{self.name} could not log in"
        self.s.get_token()
        self.ready_s = self.s.start_server(wait=600)
        status, nb = self.s.contents(f"{self.folder}/{SC}.ipynb")
        assert status == 200, status
        self.cells = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                      for c in nb["content"]["cells"] if c["cell_type"] == "code"]

    def open_kernel(self):
        self.kernel = self.s.kernel(path=f"{self.folder}/{SC}.ipynb")
        out = self.kernel.execute(f"import os; os.chdir(os.path.expanduser('~/{self.folder}'))")
        assert out["status"] == "ok", out

    def do_run_all(self):
        t0 = time.perf_counter()
        for src in self.cells:
            out = self.kernel.execute(src, timeout=900)
            if out["status"] == "error" and "CardError" not in (out["ename"] or "") and "Checked" not in src:
                self.errors.append(f"{out['ename']}: {out['evalue']}"[:200])
        self.run_all.append(time.perf_counter() - t0)
        if self.pid is None:
            out = self.kernel.execute(SETUP_CODE)
            self.pid = int(out["result"])

    def move_explorer(self, rng):
        t0 = time.perf_counter()
        out = self.kernel.execute(f"_slider.value = {round(rng.uniform(0.2, 0.8), 2)}")
        self.updates.append(time.perf_counter() - t0)
        if out["status"] != "ok":
            self.errors.append(f"explorer: {out['ename']}")

    def commit(self):
        code = f"import json\nfrom livescreen.toolkit import service\nservice.record_card({CARD!r})"
        out = self.kernel.execute(code, timeout=60)
        return out["status"] == "ok" and out["result"] not in (None, "None")


def build(n, root, hub_state):
    """n + 1 candidates (the last is the lone peer), each with a session delivered into their home."""
    from livescreen.hub import users
    from livescreen.sessions import session
    made = []
    for i in range(n + 1):
        name, pw = users.add_candidate(f"bench{i:02d}", state=hub_state)
        row = session.new_session(scenario=SC, candidate=f"bench-{i}", hub_user=name,
                                  home=root / "store" / "sessions", out=root / "out" / f"s{i:02d}" / "interview")
        made.append((name, pw, "interview", row["id"]))
    return made


def morning(cands, lone, *, window, runs, moves, seed, deadline):
    rng = random.Random(seed)

    def session_of(c, r):
        plan = sorted([("run", rng_t) for rng_t in [r.uniform(0, window * 0.7) for _ in range(runs)]]
                      + [("move", r.uniform(0, window)) for _ in range(moves)], key=lambda x: x[1])
        t0 = time.monotonic()
        c.open_kernel()
        c.do_run_all()  # the explorer must exist before it moves: the first Run All comes first
        for kind, at in plan[1:] if plan and plan[0][0] == "run" else plan:
            if time.monotonic() > deadline:
                break
            wait = at - (time.monotonic() - t0)
            if wait > 0:
                time.sleep(wait)
            c.do_run_all() if kind == "run" else c.move_explorer(r)
        return c.commit()

    solo = session_of(lone, random.Random(seed - 1))
    with ThreadPoolExecutor(len(cands)) as pool:
        results = list(pool.map(lambda c: session_of(c, random.Random(rng.random())), cands))
    return solo, results


def at_once(cands, lone, *, cores):
    lone.do_run_all()
    barrier = threading.Barrier(len(cands))
    before = {}

    def go(c):
        before[c.name] = cpu_seconds(c.pid)
        barrier.wait()
        t0 = time.monotonic()
        c.do_run_all()
        return t0, time.monotonic()

    with ThreadPoolExecutor(len(cands)) as pool:
        spans = list(pool.map(go, cands))
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    cpu = sum(cpu_seconds(c.pid) - before[c.name] for c in cands)
    return wall, cpu, cpu / cores


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--window", type=float, default=300.0, help="the compressed session, seconds (default 300)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--deadline", type=float, default=1500.0, help="stop after this many seconds in all")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--quick", action="store_true", help="4 candidates, a 60 s window, 1 run, 5 moves")
    args = ap.parse_args(argv)
    if args.quick:
        args.candidates, args.window, args.runs, args.moves = 4, 60.0, 1, 5
    if os.geteuid() != 0:
        print("bench_hub: needs root (it makes Unix users and runs the hub as root)", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.deadline
    root = Path(tempfile.mkdtemp(prefix="livescreen-bench-hub-"))
    os.environ["LIVESCREEN_HUB_ROOT"] = str(root)
    from livescreen.hub import exchange, users
    from livescreen.hub.server import start_hub
    from livescreen.sessions import session
    cores = os.cpu_count() or 1
    made, hub = [], None
    try:
        t = time.perf_counter()
        made = build(args.candidates, root, root / "state")
        print(f"{len(made)} candidates with sessions delivered in {time.perf_counter() - t:.0f} s", flush=True)
        hub = start_hub(state=root / "state")
        cands = [Candidate(hub, *m) for m in made]
        lone, crowd = cands[-1], cands[:-1]
        lone.start()  # alone: its time to a ready server is the peer
        with ThreadPoolExecutor(len(crowd)) as pool:  # everyone logs in and spawns at once
            list(pool.map(lambda c: c.start(), crowd))
        ready = [c.ready_s for c in crowd]
        hub_pids = [hub.process.pid] + [int((root / "state" / "proxy.pid").read_text())]
        hub_pids += [int(p) for p in os.listdir("/proc") if p.isdigit() and _is_service(p)]
        print(f"time to a ready server: lone {lone.ready_s:.1f} s; {len(crowd)} at once p50 "
              f"{pct(ready, .5):.1f} s, p95 {pct(ready, .95):.1f} s", flush=True)

        _, oks = morning(crowd, lone, window=args.window, runs=args.runs, moves=args.moves,
                               seed=args.seed, deadline=deadline)
        runs = [x for c in crowd for x in c.run_all]
        ups = [x for c in crowd for x in c.updates]
        import pwd
        mem = [rss_of_uid(pwd.getpwnam(c.name).pw_uid) for c in crowd]
        hub_mem = rss_of_pid_tree(hub_pids)
        refused = sum(1 for ok in oks if not ok)  # the service did not answer a commit
        collected = 0
        for c in crowd:
            try:
                dest = exchange.collect(c.name, scenario=c.folder, store=root / "store")
                collected += (dest / f"{SC}.ipynb").is_file()
            except Exception as exc:  # noqa: BLE001
                c.errors.append(f"collect: {exc}")
        lost_folders = len(crowd) - collected
        recorded = sum(session.get(c.session_id, home=root / "store" / "sessions")["card"] is not None for c in crowd)
        print("\nlive morning (compressed 5x, window %.0f s, %d runs and %d moves each)" % (args.window, args.runs, args.moves))
        print(f"  Run All: lone {statistics.median(lone.run_all):.1f} s; crowd p50 {pct(runs, .5):.1f} s, "
              f"p95 {pct(runs, .95):.1f} s -> p95 / lone = {pct(runs, .95) / statistics.median(lone.run_all):.2f}x (target <= 3x)")
        print(f"  explorer update: lone p95 {pct(lone.updates, .95) * 1000:.0f} ms; crowd p50 {pct(ups, .5) * 1000:.0f} ms, "
              f"p95 {pct(ups, .95) * 1000:.0f} ms (target <= 300 ms)")
        print(f"  memory per candidate (all their processes): median {statistics.median(mem) / 2**20:.0f} MiB, "
              f"max {max(mem) / 2**20:.0f} MiB; hub + proxy + session service {hub_mem / 2**20:.0f} MiB")
        print(f"  commits unanswered {refused}; cards recorded by the service {recorded}/{len(crowd)}; "
              f"folders collected {collected}/{len(crowd)}; "
              f"submissions lost {len(crowd) - min(recorded, collected)} (target 0)")

        wall, cpu, floor = at_once(crowd, lone, cores=cores)
        print(f"\neveryone at once ({len(crowd)} Run All in the same second, {cores} cores)")
        print(f"  lone Run All {lone.run_all[-1]:.1f} s; all {len(crowd)} finished in {wall:.1f} s; summed kernel CPU "
              f"{cpu:.0f} s / {cores} cores = floor {floor:.1f} s -> {wall / floor:.2f}x the floor (target <= 1.3x)")
        errors = [e for c in cands for e in c.errors]
        print(f"  errors: {len(errors)} {errors[:3]}")
        if time.monotonic() > deadline:
            print(f"stopped at the {args.deadline:.0f} s deadline: some planned actions did not run")
        print(json.dumps({"ready_p50": pct(ready, .5), "ready_p95": pct(ready, .95), "lone_ready": lone.ready_s,
                          "runall_lone": statistics.median(lone.run_all), "runall_p95": pct(runs, .95),
                          "update_p95_ms": pct(ups, .95) * 1000, "mem_median_mib": statistics.median(mem) / 2**20,
                          "hub_mib": hub_mem / 2**20, "lost": len(crowd) - min(recorded, collected),
                          "at_once_wall": wall, "at_once_floor": floor}))
        return 0
    finally:
        if hub is not None:
            hub.stop()
        for name, *_ in made:
            try:
                users.remove_candidate(name, state=root / "state")
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(root, ignore_errors=True)


def _is_service(pid: str) -> bool:
    try:
        return b"livescreen.sessions.service" in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
