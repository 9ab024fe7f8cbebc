"""Profile endpoints in-process (pyinstrument) against a generated database.

    python -m bench.profile --size S             # builds ntbase_prof_s once, reuses it after
    python -m bench.profile --size S --only catalog_keyword --requests 200

Prints, per endpoint, the median time per request and the SQL statements per request,
then pyinstrument's call tree for the slowest endpoints.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.endpoints import ENDPOINTS, heartbeat_body, parse_line
from bench.run import PG_ADMIN, create_db, endpoint_lines, make_app, migrate


def ensure_db(size: str, rebuild: bool) -> tuple[str, str, dict]:
    name = f"ntbase_prof_{size.lower()}"
    instance = Path(tempfile.gettempdir()) / f"ntbase-prof-{size}"
    sample_path = instance / "sample.json"
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    if rebuild or not sample_path.exists():
        from bench.generate import generate

        instance.mkdir(parents=True, exist_ok=True)
        url = create_db(name)
        migrate(url, str(instance))
        sample = generate(url, size)
        sample_path.write_text(json.dumps(sample))
    return url, str(instance), json.loads(sample_path.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="S")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--tree", action="store_true", help="print pyinstrument call trees")
    ap.add_argument("--cached", action="store_true",
                    help="with the shared page cache on, as gunicorn serves (default: full renders)")
    args = ap.parse_args()
    url, instance, sample = ensure_db(args.size, args.rebuild)
    app = make_app(url, instance, cache=args.cached)
    with app.app_context():
        lines = endpoint_lines(app, sample, random.Random(7))
    client = app.test_client()
    from ntbase.kernel.db import db

    for ep, ls in lines.items():
        if args.only and ep not in args.only.split(","):
            continue
        if ENDPOINTS[ep].server != "ntbase":  # the bare floor is another app, not profiled here
            continue
        times, stmts = [], []
        profiler = None
        if args.tree:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
        players: dict[int, list] = {}  # heartbeat: per learner line, [session, epoch, seq]
        for i in range(args.requests):
            index = random.randrange(len(ls))
            method, path, cookie, ctype, body, extra = parse_line(ls[index])
            client._cookies.clear()
            if cookie:
                k, v = cookie.split("=", 1)
                client.set_cookie(k, v)
            headers = dict(extra, **({"Content-Type": ctype} if ctype else {}))
            if ep == "heartbeat":  # a player: `start` once per learner (not timed), then beats
                if index not in players:
                    session = f"prof-{os.getpid()}-{index}"
                    with app.app_context():
                        answer = client.post(path, headers=headers, data=heartbeat_body("start", session, 1))
                    players[index] = [session, answer.get_json()["epoch"], 1, time.monotonic()]
                p = players[index]
                p[2] += 1
                body = heartbeat_body("beat", p[0], p[2], round(time.monotonic() - p[3], 3), p[1])
            n = {"c": 0}

            def before(*_a, **_k):
                n["c"] += 1  # noqa: B023 - used before the next iteration

            with app.app_context():
                sa.event.listen(db.engine, "before_cursor_execute", before)
                if profiler and i >= 5:
                    profiler.start()
                t0 = time.perf_counter()
                r = client.open(path, method=method, headers=headers, data=body.encode() if body else None)
                dt = time.perf_counter() - t0
                if profiler and i >= 5:
                    profiler.stop()
                sa.event.remove(db.engine, "before_cursor_execute", before)
            if r.status_code != 200:
                print(f"  {ep}: {path} -> {r.status_code}")
            if i >= 5:
                times.append(dt * 1000)
                stmts.append(n["c"])
        print(f"{ep:20s} median {statistics.median(times):7.2f} ms  p90 {sorted(times)[int(len(times) * .9)]:7.2f} ms"
              f"  SQL {statistics.mean(stmts):.1f}")
        if profiler:
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    os.environ.pop("NTBASE_INSTANCE_PATH", None)


if __name__ == "__main__":
    main()
