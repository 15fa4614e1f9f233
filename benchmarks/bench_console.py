"""Console event latency: a candidate's event -> on the interviewer's console, with 20 live sessions.

The real session service runs as its own process on a throwaway store with N sessions (default 20,
real variants at a small size). For each session one thread plays the candidate (posting a cell
event every ``--interval`` seconds, as the toolkit does) and one plays the console (the page's long
poll, ``api/sessions/<id>?after=N&wait=20``). Latency is from just before the candidate's POST to
the moment the console's poll returns the event. The peer, timed in the same run, is the bare
round trip of the candidate's POST (what recording alone costs): the ratio says how much the
console path adds. Target: p95 <= 2 s.

    python benchmarks/bench_console.py [--sessions 20] [--seconds 20] [--interval 0.5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _req(url, *, token, body=None, timeout=30):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
                                 method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between one candidate's events")
    args = ap.parse_args(argv)

    from livescreen.sessions import session as S
    from livescreen.sessions import store
    from tests.sessions.helpers import Service

    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        home = Path(tmp) / "store"
        os.environ["LIVESCREEN_HOME"] = str(home)
        t0 = time.perf_counter()
        svc = Service(home).start()
        made = [S.new_session(scenario="saas_churn", candidate=f"bench-{i}", out=Path(tmp) / f"c{i}", home=home,
                              service_url=svc.url, start=True, n_offline=500, n_production=500)
                for i in range(args.sessions)]
        store.dispose()
        print(f"{args.sessions} sessions ready in {time.perf_counter() - t0:.1f} s; running {args.seconds:g} s, "
              f"one event per {args.interval:g} s per candidate ({args.sessions / args.interval:.0f} events/s)")
        token = svc.token
        latencies, posts, errors = [], [], []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        done = threading.Event()

        cursors = {m["id"]: _req(f"{svc.url}api/sessions/{m['id']}", token=token)["last_id"] for m in made}

        def console(sid):
            after = cursors[sid]  # read before any candidate posts: every event counts
            while True:
                try:
                    st = _req(f"{svc.url}api/sessions/{sid}?after={after}&wait={1 if done.is_set() else 5}",
                              token=token)
                except OSError as exc:
                    errors.append(repr(exc))
                    continue
                if done.is_set() and not st["events"]:
                    break  # every candidate has stopped and nothing more arrived
                now = time.time()
                for e in st["events"]:
                    if "t0" in e["data"]:
                        with lock:
                            latencies.append(now - e["data"]["t0"])
                after = st["last_id"]

        def candidate(tok, k):
            time.sleep(k * args.interval / args.sessions)  # spread the candidates over the interval
            i = 0
            while time.monotonic() < stop:
                t = time.time()
                try:
                    _req(f"{svc.url}api/events", token=tok, body={"kind": "cell", "label": f"cell {i}", "t0": t})
                    with lock:
                        posts.append(time.time() - t)
                except OSError as exc:
                    errors.append(repr(exc))
                i += 1
                time.sleep(max(0.0, args.interval - (time.time() - t)))

        consoles = [threading.Thread(target=console, args=(m["id"],)) for m in made]
        candidates = [threading.Thread(target=candidate, args=(m["token"], k)) for k, m in enumerate(made)]
        for t in consoles + candidates:
            t.start()
        for t in candidates:
            t.join()
        done.set()
        for t in consoles:
            t.join()
        svc.stop()
    lat, rt = np.array(latencies), np.array(posts)
    p50, p95, mx = np.percentile(lat, 50), np.percentile(lat, 95), lat.max()
    r95 = np.percentile(rt, 95)
    print(f"events delivered to consoles: {len(lat)} of {len(rt)} posted; errors: {len(errors)}")
    print(f"event -> console latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {mx * 1000:.0f} ms "
          f"(target p95 <= 2000 ms: {'met' if p95 <= 2 else 'NOT met'})")
    print(f"peer, the candidate's POST round trip: p95 {r95 * 1000:.0f} ms; console path / POST at p95: "
          f"{p95 / r95:.2f}x")
    return 0 if p95 <= 2 and len(lat) == len(rt) else 1


if __name__ == "__main__":
    sys.exit(main())
