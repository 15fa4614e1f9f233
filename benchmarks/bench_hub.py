"""Load on the real hub: 20 candidates on loopback, each shape beside a lone candidate in the same run.

Every candidate is a real Unix user with a session (the variant delivered into their home by
``livescreen session new --hub-user``), driven as JupyterLab drives a server: log in through the
login form, ask for a token, start the server, open a kernel, send Run All as JupyterLab does
(every cell's request at once, over the kernel's websocket), move the threshold explorer as the
browser does (a widget ``comm_msg`` update), commit the card with the notebook's own ``ls.commit``
(the folder's copy and the session service's record), and finally collect the folder. Two shapes:

- **live morning**: a 25-minute session compressed 5x. In a ``--window`` (default 300 s) each
  candidate runs the notebook top to bottom ``--runs`` times (default 3; the first opens the
  kernel) and moves the explorer ``--moves`` times (default 20), at random moments of the whole
  window (seeded; ``plan``), then commits its card. Peer: one lone candidate doing the same actions with nobody else active,
  earlier in the same run. Targets: Run All p95 <= 3x the lone candidate's p95 (the same mix of
  first and repeated runs), explorer update p95 <= 300 ms. Run All is timed alike for both, from
  the requests to the last reply: the first includes the notebook's imports, neither includes the
  kernel's start (JupyterLab starts it when the notebook opens; it is reported on its own line).
- **everyone at once**: all candidates press Run All in the same second (warm kernels). The floor
  is the candidates' work itself: the CPU time their kernels used during it (``/proc/PID/stat``,
  read as root), summed and divided by the cores. Target: the last Run All finishes within 1.3x
  that floor. Peer: the lone candidate's Run All, alone, just before.

Both report time to a ready server (p50/p95; 20 logging in at once vs the lone one), memory per
candidate (RSS and PSS of all their processes) and the hub's (hub, proxy, session service), and
submissions lost: a committed card the session service did not record as sent, or that collection
did not find in the collected folder. Where the time went is printed too: CPU seconds of the
kernels, the candidates' servers, the hub, the proxy, the session service and this driver, against
the machine's busy time (other work on the machine shows there). Bounded: ``--deadline`` (default
840 s) stops the planned actions and says so. Needs root (Unix users, /proc of every process).

    sudo .venv/bin/python benchmarks/bench_hub.py [--quick | --candidates N]
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SC = "saas_churn"
FOLDER = "interview"
CARD = {"hypothesis": {"family": "covariate_shift", "columns": [], "segment": None, "onset": None},
        "evidence": "production AUC fell", "experiment": {"type": "domain_classifier"},
        "expected_if_true": "domain AUC above 0.7", "expected_if_false": "domain AUC near 0.5"}
# the threshold explorer's slider, found in the widget tree the notebook's cell made (its comm id)
FIND_SLIDER = """import os as _os, ipywidgets as _w
def _find(x):
    if isinstance(x, _w.FloatSlider) and x.description == "threshold":
        return x
    for ch in getattr(x, "children", ()):
        got = _find(ch)
        if got is not None:
            return got
_slider = _find(ls.threshold_explorer(case))
print(_slider.model_id, _os.getpid(), _os.getppid())"""
TICK = os.sysconf("SC_CLK_TCK")


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads), from /proc; 0 when it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (every process, every core)."""
    parts = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / TICK


def pids_of_uid(uid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.stat(f"/proc/{p}").st_uid == uid:
                    out.append(int(p))
            except OSError:
                pass
    return out


def memory(pids) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over ``pids`` (PSS shares each shared page among its users)."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


class Candidate:
    """One candidate as their browser would drive the hub."""

    def __init__(self, hub, name, password, session_id, index):
        from livescreen.hub.client import Session
        self.s = Session(hub.url, name, password)
        self.name, self.session_id, self.index = name, session_id, index
        self.uid = pwd.getpwnam(name).pw_uid
        self.ready_s = self.kernel_s = None
        self.kernel = self.slider = self.pid = self.server_pid = None
        self.cells: list[str] = []
        self.run_all: list[tuple[bool, float]] = []  # (first run in the kernel?, seconds)
        self.updates: list[float] = []
        self.errors: list[str] = []
        self.sent = False

    @property
    def card(self) -> dict:
        return {**CARD, "decision": f"retrain on recent rows if true ({self.name})"}

    def start(self):
        if not self.s.login():
            raise RuntimeError(f"{self.name} could not log in")
        self.s.get_token()
        self.ready_s = self.s.start_server(wait=600)
        status, nb = self.s.contents(f"{FOLDER}/{SC}.ipynb")
        if status != 200:
            raise RuntimeError(f"{self.name}: no notebook in the home ({status})")
        self.cells = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                      for c in nb["content"]["cells"] if c["cell_type"] == "code"]

    def open_kernel(self):
        t0 = time.perf_counter()
        self.kernel = self.s.kernel(path=f"{FOLDER}/{SC}.ipynb")
        out = self.kernel.execute(f"import os; os.chdir(os.path.expanduser('~/{FOLDER}'))")
        if out["status"] != "ok":
            raise RuntimeError(f"{self.name}: {out}")
        self.kernel_s = time.perf_counter() - t0

    def do_run_all(self):
        self.kernel.wake()  # a browser keeps its websocket open (it answers pings); this client reopens it
        t0 = time.perf_counter()
        outs = self.kernel.run_all(self.cells)
        self.run_all.append((not self.run_all, time.perf_counter() - t0))
        for o in outs:
            if o["status"] != "ok":
                self.errors.append(f"run all: {o['ename']}: {o['evalue']}"[:200])
        if self.slider is None:
            out = self.kernel.execute(FIND_SLIDER)
            self.slider, pid, ppid = out["stdout"].split()
            self.pid, self.server_pid = int(pid), int(ppid)

    def move_explorer(self, rng):
        self.kernel.wake()
        t0 = time.perf_counter()
        self.kernel.comm_update(self.slider, {"value": round(rng.uniform(0.2, 0.8), 2)})
        self.updates.append(time.perf_counter() - t0)

    def commit(self):
        code = (f"import json as _j\n_r = ls.commit({self.card!r})\n"
                "print(_j.dumps({'first': bool(_r and _r['first']), 'service': bool(_r and _r.get('service'))}))")
        out = self.kernel.execute(code, timeout=120)
        self.sent = out["status"] == "ok"
        if not self.sent:
            self.errors.append(f"commit: {out['ename']}: {out['evalue']}"[:200])


def plan(r: random.Random, *, window: float, runs: int, moves: int) -> list[tuple[float, str]]:
    """When a candidate does what, as the issue words it: Run All ``runs`` times at random moments of
    the window (the first of them opens the notebook, so it is the earliest of ``runs`` uniform
    moments), the explorer moved ``moves`` times at random moments after the first Run All (there is
    no explorer before it). Until 2026-12-03 the Run All moments were drawn in the first 70% of the
    window only, which crowded the kernels' first runs into its start more than the issue says."""
    t_runs = sorted(r.uniform(0, window) for _ in range(runs))
    t_moves = [r.uniform(t_runs[0], window) for _ in range(moves)]
    return sorted([(t, "run") for t in t_runs] + [(t, "move") for t in t_moves])


def session(c: Candidate, steps, *, wait: bool, deadline: float) -> None:
    """Carry out ``steps`` (waiting for each moment when ``wait``), then commit the card."""
    r = random.Random(c.index)
    t0 = time.monotonic()
    try:
        for i, (at, kind) in enumerate(steps):
            if time.monotonic() > deadline:
                c.errors.append("stopped at the deadline")
                break
            if wait and at > time.monotonic() - t0:
                time.sleep(at - (time.monotonic() - t0))
            if i == 0:
                c.open_kernel()
            c.do_run_all() if kind == "run" else c.move_explorer(r)
        c.commit()
    except Exception as exc:  # noqa: BLE001 - a candidate whose session broke is counted, not fatal
        c.errors.append(f"session: {type(exc).__name__}: {exc}"[:200])


class Meter:
    """CPU seconds of each part of the setup between two moments (``/proc``, as root)."""

    def __init__(self, hub_pids: dict[str, list[int]], cands: list[Candidate]):
        self.hub_pids, self.cands = hub_pids, cands

    def snapshot(self) -> dict[str, float]:
        snap = {part: sum(cpu_seconds(p) for p in pids) for part, pids in self.hub_pids.items()}
        kernels = servers = 0.0
        for c in self.cands:
            for p in pids_of_uid(c.uid):
                if p == c.pid:
                    kernels += cpu_seconds(p)
                else:
                    servers += cpu_seconds(p)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        snap.update(kernels=kernels, servers=servers, driver=ru.ru_utime + ru.ru_stime, machine=machine_busy(),
                    wall=time.monotonic())
        return snap

    @staticmethod
    def delta(a: dict, b: dict) -> dict[str, float]:
        return {k: b[k] - a[k] for k in a}


def describe(d: dict[str, float], cores: int) -> str:
    """Where the CPU went: each part of the setup, and the rest of the machine's work beside it."""
    ours = sum(v for k, v in d.items() if k not in ("machine", "wall"))
    other = max(0.0, d["machine"] - ours)
    capacity = d["wall"] * cores
    return (f"CPU s: kernels {d['kernels']:.1f}, servers {d['servers']:.1f}, hub {d['hub']:.1f}, "
            f"proxy {d['proxy']:.1f}, session service {d['service']:.1f}, driver {d['driver']:.1f} "
            f"(all of these {ours:.1f}); the machine was busy {d['machine']:.1f} of {capacity:.0f} core-s: "
            f"kernels {d['kernels'] / capacity:.0%}, the rest of this setup {(ours - d['kernels']) / capacity:.0%}, "
            f"other work on the machine {other / capacity:.0%}")


def build(n: int, root: Path) -> list[tuple[str, str, str]]:
    """n + 1 candidates (the last is the lone peer), each with a session delivered into their home."""
    from livescreen.hub import users
    from livescreen.sessions import session as sessions
    made = []
    for i in range(n + 1):
        name, pw = users.add_candidate(f"bench{i:02d}", state=root / "state")
        made.append((name, pw, None))
        row = sessions.new_session(scenario=SC, candidate=f"bench-{i}", hub_user=name,
                                   home=root / "store" / "sessions", out=root / "out" / f"s{i:02d}" / FOLDER)
        made[-1] = (name, pw, row["id"])
    return made


def lost_submissions(cands: list[Candidate], root: Path) -> tuple[int, int, int, int]:
    """(sent, recorded by the service, found by collection, lost): a card counts as kept only when the
    service recorded this candidate's own card and the collected folder holds it too."""
    from livescreen.hub import exchange
    from livescreen.sessions import session as sessions
    sent = recorded = collected = lost = 0
    for c in cands:
        if not c.sent:
            continue
        sent += 1
        rec = (sessions.get(c.session_id, home=root / "store" / "sessions") or {}).get("card") or {}
        ok_service = rec.get("decision") == c.card["decision"]
        ok_folder = False
        try:
            dest = exchange.collect(c.name, scenario=FOLDER, store=root / "store")
            first = json.loads((dest / "first_experiment.json").read_text())
            ok_folder = (first.get("card") or first).get("decision") == c.card["decision"] and (
                dest / f"{SC}.ipynb").is_file()
        except Exception as exc:  # noqa: BLE001 - a folder that did not collect is a lost submission
            c.errors.append(f"collect: {type(exc).__name__}: {exc}"[:200])
        recorded += ok_service
        collected += ok_folder
        lost += not (ok_service and ok_folder)
    return sent, recorded, collected, lost


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--window", type=float, default=300.0, help="the compressed session, seconds (default 300)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--deadline", type=float, default=840.0, help="stop planned actions after this many seconds")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--quick", action="store_true", help="4 candidates, a 60 s window, 2 runs, 6 moves")
    args = ap.parse_args(argv)
    if args.quick:
        args.candidates, args.window, args.runs, args.moves = 4, 60.0, 2, 6
    if args.candidates < 1 or args.runs < 1 or args.moves < 0 or args.window <= 0:
        print("bench_hub: --candidates and --runs must be at least 1, --moves at least 0, --window positive",
              file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench_hub: needs root (it makes Unix users and runs the hub as root)", file=sys.stderr)
        return 2
    t_start = time.monotonic()
    deadline = t_start + args.deadline
    cores = os.cpu_count() or 1
    print(f"load average before: {load()}; {cores} cores; {args.candidates} candidates + 1 lone", flush=True)
    root = Path(tempfile.mkdtemp(prefix="livescreen-bench-hub-"))
    os.chmod(root, 0o755)
    os.environ["LIVESCREEN_HUB_ROOT"] = str(root)
    from livescreen.hub import users
    from livescreen.hub.server import start_hub
    made, hub = [], None
    try:
        t = time.perf_counter()
        made = build(args.candidates, root)
        print(f"{len(made)} candidates with sessions delivered in {time.perf_counter() - t:.0f} s", flush=True)
        hub = start_hub(state=root / "state")
        cands = [Candidate(hub, *m, i) for i, m in enumerate(made)]
        lone, crowd = cands[-1], cands[:-1]
        hub_pids = {"hub": [hub.process.pid], "proxy": [int((root / "state" / "proxy.pid").read_text())],
                    "service": [int(p) for p in os.listdir("/proc") if p.isdigit() and _is_service(p, hub.process.pid)]}
        meter = Meter(hub_pids, cands)

        lone.start()  # alone: its time to a ready server is the peer
        s0 = meter.snapshot()
        with ThreadPoolExecutor(len(crowd)) as pool:  # everyone logs in and spawns in the same second
            spawned = list(pool.map(lambda c: _try(c, c.start), crowd))
        d_spawn = Meter.delta(s0, meter.snapshot())
        crowd_ok = [c for c, ok in zip(crowd, spawned) if ok]
        ready = [c.ready_s for c in crowd_ok]
        print(f"\ntime to a ready server (login, token, spawn, server answering): lone {lone.ready_s:.1f} s; "
              f"{len(crowd)} at once p50 {pct(ready, .5):.1f} s, p95 {pct(ready, .95):.1f} s "
              f"({len(ready)}/{len(crowd)} ready)\n  {describe(d_spawn, cores)}", flush=True)

        # ---- live morning
        rng = random.Random(args.seed)
        steps = {c.name: plan(random.Random(rng.random()), window=args.window, runs=args.runs, moves=args.moves)
                 for c in cands}
        session(lone, steps[lone.name], wait=False, deadline=deadline)  # alone, same actions, no pauses
        s0 = meter.snapshot()
        with ThreadPoolExecutor(max(1, len(crowd_ok))) as pool:
            list(pool.map(lambda c: session(c, steps[c.name], wait=True, deadline=deadline), crowd_ok))
        d_morning = Meter.delta(s0, meter.snapshot())
        mem = [memory(pids_of_uid(c.uid)) for c in crowd_ok]
        hub_mem = memory([p for pids in hub_pids.values() for p in pids])
        sent, recorded, collected, lost = lost_submissions(crowd_ok, root)
        lost += len(crowd) - len(crowd_ok)  # a candidate who never got a server sent nothing: count them lost
        runs = [s for c in crowd_ok for _, s in c.run_all]
        firsts = [s for c in crowd_ok for f, s in c.run_all if f]
        again = [s for c in crowd_ok for f, s in c.run_all if not f]
        ups = [x for c in crowd_ok for x in c.updates]
        lone_runs = [s for _, s in lone.run_all]
        kstart = [c.kernel_s for c in crowd_ok if c.kernel_s is not None]
        ratio = pct(runs, .95) / pct(lone_runs, .95)
        print(f"\nlive morning ({len(crowd_ok)} candidates; window {args.window:.0f} s; {args.runs} Run All and "
              f"{args.moves} explorer moves each at random moments, then the card)")
        print(f"  kernel start (new kernel to first reply): lone {lone.kernel_s:.1f} s; crowd p50 {pct(kstart, .5):.1f} s, "
              f"p95 {pct(kstart, .95):.1f} s")
        print(f"  Run All: lone p95 {pct(lone_runs, .95):.1f} s (first {lone.run_all[0][1]:.1f} s, again "
              f"{_med([s for f, s in lone.run_all if not f]):.1f} s); crowd p50 {pct(runs, .5):.1f} s, p95 "
              f"{pct(runs, .95):.1f} s (first in the kernel p95 {pct(firsts, .95):.1f} s, again p95 "
              f"{pct(again, .95):.1f} s) -> p95 / lone p95 = {ratio:.2f}x (target <= 3x)")
        print(f"  explorer update (widget comm_msg to the kernel's idle): lone p50 {pct(lone.updates, .5) * 1000:.0f} ms, "
              f"p95 {pct(lone.updates, .95) * 1000:.0f} ms; crowd p50 {pct(ups, .5) * 1000:.0f} ms, p95 "
              f"{pct(ups, .95) * 1000:.0f} ms, max {max(ups, default=float('nan')) * 1000:.0f} ms over {len(ups)} "
              f"(target p95 <= 300 ms)")
        print(f"  memory per candidate (server + kernel): RSS median {_med([m[0] for m in mem]) / 2**20:.0f} MiB, "
              f"max {max((m[0] for m in mem), default=0) / 2**20:.0f} MiB; PSS median {_med([m[1] for m in mem]) / 2**20:.0f} MiB; "
              f"hub + proxy + session service RSS {hub_mem[0] / 2**20:.0f} MiB (PSS {hub_mem[1] / 2**20:.0f} MiB)")
        print(f"  cards: sent {sent}/{len(crowd)}, recorded by the session service {recorded}, found by collection "
              f"{collected} -> submissions lost {lost} (target 0)")
        print(f"  {describe(d_morning, cores)}", flush=True)

        # ---- everyone at once
        ready_cands = [c for c in crowd_ok if c.pid is not None and not any("session:" in e for e in c.errors)]
        t0 = time.perf_counter()
        lone.do_run_all()
        lone_at = time.perf_counter() - t0
        barrier = threading.Barrier(len(ready_cands))
        before = {}

        def go(c):
            before[c.name] = cpu_seconds(c.pid)
            barrier.wait()
            t0 = time.monotonic()
            try:
                c.do_run_all()
            except Exception as exc:  # noqa: BLE001
                c.errors.append(f"at once: {type(exc).__name__}: {exc}"[:200])
            return t0, time.monotonic()

        s0 = meter.snapshot()
        with ThreadPoolExecutor(len(ready_cands)) as pool:
            spans = list(pool.map(go, ready_cands))
        d_once = Meter.delta(s0, meter.snapshot())
        wall = max(e for _, e in spans) - min(s for s, _ in spans)
        kcpu = sum(cpu_seconds(c.pid) - before[c.name] for c in ready_cands)
        floor = kcpu / cores
        print(f"\neveryone at once ({len(ready_cands)} Run All in the same second, warm kernels, {cores} cores)")
        print(f"  lone Run All just before {lone_at:.1f} s; all {len(ready_cands)} finished in {wall:.1f} s "
              f"(start spread {max(s for s, _ in spans) - min(s for s, _ in spans):.2f} s); their kernels' CPU "
              f"{kcpu:.1f} s / {cores} cores = floor {floor:.1f} s -> {wall / floor:.2f}x the floor (target <= 1.3x)")
        print(f"  {describe(d_once, cores)}")
        errors = [f"{c.name}: {e}" for c in cands for e in c.errors]
        print(f"\nerrors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:8]))
        if time.monotonic() > deadline:
            print(f"stopped at the {args.deadline:.0f} s deadline: some planned actions did not run")
        print(f"load average after: {load()}; whole run {time.monotonic() - t_start:.0f} s")
        print(json.dumps({"candidates": len(crowd), "ready_lone": lone.ready_s, "ready_p50": pct(ready, .5),
                          "ready_p95": pct(ready, .95), "runall_lone_p95": pct(lone_runs, .95),
                          "runall_p95": pct(runs, .95), "runall_ratio": ratio,
                          "update_p50_ms": pct(ups, .5) * 1000, "update_p95_ms": pct(ups, .95) * 1000,
                          "mem_rss_median_mib": _med([m[0] for m in mem]) / 2**20,
                          "mem_pss_median_mib": _med([m[1] for m in mem]) / 2**20, "hub_rss_mib": hub_mem[0] / 2**20,
                          "sent": sent, "lost": lost, "at_once_wall": wall, "at_once_floor": floor,
                          "at_once_ratio": wall / floor, "errors": len(errors)}))
        return 0
    finally:
        if hub is not None:
            hub.stop()
        for name, *_ in made:
            try:
                users.remove_candidate(name, state=root / "state")
            except Exception as exc:  # noqa: BLE001 - say so: a user left behind makes the next run fail
                print(f"bench_hub: could not remove {name}: {exc} (remove it with `userdel --remove {name}`)",
                      file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)


def _try(c: Candidate, fn) -> bool:
    try:
        fn()
        return True
    except Exception as exc:  # noqa: BLE001 - a candidate who could not start is counted, not fatal
        c.errors.append(f"start: {type(exc).__name__}: {exc}"[:200])
        return False


def _med(xs) -> float:
    return pct(list(xs), .5)


def _is_service(pid: str, hub_pid: int) -> bool:
    """Is ``pid`` this hub's session service (its child: another hub's, a test's say, is not counted)?"""
    try:
        ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        return ppid == hub_pid and b"livescreen.sessions.service" in open(f"/proc/{pid}/cmdline", "rb").read()
    except (OSError, ValueError, IndexError):
        return False


if __name__ == "__main__":
    sys.exit(main())
