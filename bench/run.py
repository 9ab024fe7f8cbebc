"""Load runs against gunicorn on PostgreSQL, reported as ratios to the floor.

    python -m bench.run --sizes S,M,L --concurrency 1,8,32 --duration 10   # full run
    python -m bench.run --smoke                                            # CI: size XS, 1 s each

For each size: a fresh PostgreSQL database is migrated and filled by bench.generate;
one gunicorn (WORKERS sync workers × THREADS threads) serves it; wrk (Debian) drives each
endpoint from a separate process at fixed concurrencies for a fixed time, with random real
and unknown codes, ids and logged-in sessions from Lua (bench/lua/paths.lua). The rows and
their targets are declared in bench/endpoints.py. Two floors run in the same pass, at every
concurrency, before and after the rows (their mean is the reference): a bare Flask app
(bench/bare_app.py, no NTBase code) under a second gunicorn with the same settings, and
NTBase's own /floor (same app, no database, tiny response). Every figure carries its
throughput ratio to both at the same concurrency. SQL statements per request are
counted in-process with the same database. Then two gunicorn instances share the database
and are hammered with enrollments for small courses: oversold seats and payments without a
seat are counted afterwards (both must be 0).

Results: bench/results/<name>.json and .md; --update-readme rewrites the README table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench.endpoints import (
    BARE,
    ENDPOINTS,
    FLOOR,
    REFERENCES,
    Context,
    build_lines,
    combine,
    evaluate_targets,
    parse_line,
    session_cookies,
    target_table,
    tsv,
    with_ratios,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA_DIR = ROOT / "bench" / "lua"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SECRET = "bench-secret-key-" + "b" * 40
ENV = {
    "NTBASE_ENV": "production",
    "SECRET_KEY": SECRET,
    "NTBASE_PII_KEY": "bench-pii-key",
    "PAYMENT_WEBHOOK_SECRET": "bench-webhook-secret",
    # rate limits on, in Redis as in production (a verify look-up pays its storage round
    # trip), but one wrk client is one IP: the verify budget is raised so the run is not a 429 test
    "RATELIMIT_ENABLED": "true",
    "RATELIMIT_STORAGE_URI": os.environ.get("BENCH_RATELIMIT_URL", "redis://127.0.0.1:6379/3"),
    "VERIFY_RATE_LIMIT": "1000000000 per minute",
    # wrk speaks plain HTTP to 127.0.0.1; TLS ends at the proxy in front of a real deployment
    "NTBASE_FORCE_HTTPS": "0",
    # production-like: the page cache and its invalidation shared by every worker
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1"),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- database
def create_db(name: str) -> str:
    eng = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.exec_driver_sql(f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                          "LC_CTYPE 'C.UTF-8' TEMPLATE template0")
    eng.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def database_exists(name: str) -> bool:
    eng = sa.create_engine(PG_ADMIN)
    with eng.connect() as c:
        found = c.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}).scalar()
    eng.dispose()
    return bool(found)


def drop_db(name: str) -> None:
    eng = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    eng.dispose()


def migrate(url: str, instance: str) -> None:
    env = dict(os.environ, **ENV, DATABASE_URL=url, NTBASE_INSTANCE_PATH=instance, FLASK_APP="ntbase")
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_app(url: str, instance: str, *, cache: bool = False):
    os.environ["NTBASE_INSTANCE_PATH"] = instance
    for k, v in ENV.items():
        os.environ[k] = v
    from ntbase import create_app

    # in-process app for sessions and statement counts: counts a full render, not a cache hit
    # (``cache``: as gunicorn serves it, with the shared page cache, for bench.profile --cached)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SIGNING_KEY_DIR": os.path.join(instance, "keys"),
                       "CACHE_ENABLED": cache})


# ---------------------------------------------------------------- gunicorn
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn with the bench's worker settings; NTBase on ``url`` unless ``app`` says otherwise."""

    def __init__(self, url: str | None = None, instance: str | None = None, port: int | None = None, *,
                 app: str = "ntbase:create_app()", health: str = "/healthz", env: dict | None = None,
                 gunicorn: str | None = None, cwd: Path = ROOT, startup_s: float = 60):
        self.port = port or free_port()
        if env is None:
            env = dict(os.environ, **ENV, DATABASE_URL=url, NTBASE_INSTANCE_PATH=instance,
                       NTBASE_SIGNING_KEY_DIR=os.path.join(instance, "keys"))
        gunicorn = gunicorn or shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.proc = subprocess.Popen(
            [gunicorn, "-w", str(WORKERS), "--threads", str(THREADS), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--timeout", "120", app],
            env=env, cwd=cwd, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + startup_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn ({app}) exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.base + health, timeout=2)
                return
            except Exception:  # noqa: BLE001
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn ({app}) did not start")

    @classmethod
    def bare(cls) -> Gunicorn:
        """The bare Flask floor, same worker settings, no NTBase code or configuration."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NTBASE_", "DATABASE_URL"))}
        return cls(app="bench.bare_app:app", health="/floor", env=env)

    def worker_rss_mb(self) -> list[float]:
        out = []
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        out.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                pass
        return out

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except Exception:  # noqa: BLE001
            os.killpg(self.proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------- wrk
def wrk(base: str, lines: list[str], conc: int, duration: float, script: str = "paths.lua",
        per_connection: bool = False) -> dict:
    """One wrk run. ``per_connection``: one wrk thread per connection (a script whose state is
    one client's, bench/lua/heartbeat.lua); otherwise at most 2 threads, as the machine has."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
        path = fh.name
    threads = conc if per_connection else max(1, min(conc, 2))
    cmd = ["wrk", "-t", str(threads), "-c", str(conc), "-d", f"{max(1, int(duration))}s", "--timeout", "10s",
           "-s", str(LUA_DIR / script), base, "--", path, str(random.randint(0, 10**6))]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    os.unlink(path)
    m = re.search(r"^\{.*\}$", out, re.M)
    if not m:
        raise RuntimeError("wrk gave no result:\n" + out)
    r = json.loads(m.group(0))
    secs = r["duration_us"] / 1e6
    errors = sum(r["errors"].values())
    extra = {}
    if "non200" in r:  # the script counted every answer that was not 200 (wrk's "status" only counts >= 400)
        errors = errors - r["errors"]["status"] + r["non200"]
        extra = {"non200": r["non200"], "starts": r["starts"], "beats": r["beats"], "messages": r["messages"]}
    return {"rps": round(r["requests"] / secs, 1), "p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "requests": r["requests"], "errors": errors, **extra}


class LockWatch:
    """Samples PostgreSQL's lock waits on one database while a row runs: how often any
    backend was waiting for a lock, the most at once, and on what (lock type and relation)."""

    def __init__(self, url: str, interval: float = 0.05):
        import threading

        self.url, self.interval = url, interval
        self.samples = self.waiting_samples = self.max_waiting = 0
        self.on: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        eng = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with eng.connect() as c:
                while not self._stop.is_set():
                    rows = c.exec_driver_sql(
                        "SELECT l.locktype, COALESCE(l.relation::regclass::text, '') FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE NOT l.granted AND a.datname = current_database()").all()
                    self.samples += 1
                    if rows:
                        self.waiting_samples += 1
                        self.max_waiting = max(self.max_waiting, len(rows))
                        for locktype, rel in rows:
                            key = f"{locktype} {rel}".strip()
                            self.on[key] = self.on.get(key, 0) + 1
                    self._stop.wait(self.interval)
        finally:
            eng.dispose()

    def __enter__(self) -> LockWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def result(self) -> dict:
        return {"samples": self.samples, "samples_waiting": self.waiting_samples, "max_waiting": self.max_waiting,
                "on": self.on}


def drain(base: str, quick_s: float = 0.05, limit_s: float = 15.0) -> None:
    """Wait until the server answers its floor quickly again: requests wrk left queued behind a
    slow row (32 connections on a page of hundreds of milliseconds) would otherwise still be
    served during the next row and weigh on it."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(base + "/floor", timeout=limit_s).read()
        except OSError:
            pass
        if time.monotonic() - t0 < quick_s:
            return


def run_row(bases: dict[str, str], lines: dict[str, list[str]], ep: str, conc: int, duration: float,
            db_url: str | None = None) -> dict:
    """wrk on one row with its declared script and options (and the lock watch it asks for),
    then the server drained before the next row."""
    spec = ENDPOINTS[ep]

    def go():
        r = wrk(bases[spec.server], lines[ep], conc, duration, spec.script, spec.per_connection)
        drain(bases[spec.server])
        return r

    if not (spec.watch_locks and db_url and db_url.startswith("postgresql")):
        return go()
    with LockWatch(db_url) as watch:
        r = go()
    return dict(r, lock_waits=watch.result())


def endpoint_lines(app, sample: dict, rng: random.Random, only: list[str] | None = None) -> dict[str, list[str]]:
    """The requests of every declared row (bench/endpoints.py; or of ``only`` and the floors), by row name."""
    return build_lines(Context(app, sample, rng), only)


def check_status(bases: dict[str, str], lines: dict[str, list[str]], servers: dict[str, str] | None = None) -> None:
    """Each endpoint must answer 200 to its first request (not a redirect to the login page).

    ``bases``: URL per server name; ``servers``: server name per row (default: as declared)."""
    for ep, ls in lines.items():
        base = bases[servers[ep] if servers else ENDPOINTS[ep].server]
        method, path, cookie, ctype, body, extra = parse_line(ls[0])
        headers = dict(extra, Cookie=cookie) if cookie else dict(extra)
        if ctype:
            headers["Content-Type"] = ctype
        req = urllib.request.Request(base + path, method=method, headers=headers,
                                     data=body.encode() if body else None)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        text = ""
        try:
            with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise RuntimeError(f"{ep}: {method} {path} answered {status}, not 200")
        expect = ENDPOINTS[ep].expect if ep in ENDPOINTS else None
        if expect and expect not in text:
            raise RuntimeError(f"{ep}: {method} {path} answered 200 without {expect!r}: {text[:300]}")


def count_statements(app, lines: list[str], n: int = 5) -> float:
    """Average SQL statements per request, in-process against the same database."""
    from ntbase.kernel.db import db

    counts = []
    client = app.test_client()
    for line in lines[:n]:
        method, path, cookie, ctype, body, extra = parse_line(line)
        with app.app_context():
            c = {"n": 0}

            def before(*_a, **_k):
                c["n"] += 1  # noqa: B023 - used before the next iteration

            sa.event.listen(db.engine, "before_cursor_execute", before)
            try:
                headers = dict(extra)
                client._cookies.clear()
                if cookie:
                    cname, cval = cookie.split("=", 1)
                    client.set_cookie(cname, cval)
                if ctype:
                    headers["Content-Type"] = ctype
                client.open(path, method=method, headers=headers, data=body.encode() if body else None)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", before)
        counts.append(c["n"])
    return round(statistics.mean(counts), 1) if counts else 0.0


def bulk_verify(app, sample: dict, base_url: str) -> dict:
    """10,000-row bulk verification through the office API (token auth), timed end to end."""
    from ntbase.certificates import codes
    from ntbase.kernel.db import db

    try:
        from ntbase.office.tokens import create_token
    except ImportError:
        return {"skipped": "office API not available"}
    real = sample["certificate_codes"]
    rows = [(real[i % len(real)] if i % 3 else codes.new_code()) for i in range(10_000)]
    with app.app_context(), app.test_request_context("/", method="POST"):  # it writes: not a read
        from ntbase.accounts.models import User

        office = db.session.scalar(sa.select(User).where(User.email == sample["office_email"]))
        _row, token = create_token(office, "bench", ["verify:bulk"], 30)
        db.session.commit()
    req = urllib.request.Request(base_url + "/api/v1/office/verify-bulk", method="POST",
                                 data=json.dumps({"codes": rows}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as resp:
            data = json.loads(resp.read())
        times.append(time.perf_counter() - t0)
    n = len(data.get("results", []))
    return {"rows": 10_000, "results": n, "seconds_median": round(statistics.median(times), 3)}


def hammer(app, url: str, instance: str, sample: dict, duration: float) -> dict:
    """Two gunicorn instances, one database, enrollments for tiny courses; then count."""
    from ntbase.catalog.models import Course
    from ntbase.enrollment.models import SEAT_STATES, Enrollment
    from ntbase.kernel.db import db
    from ntbase.payments.models import PaymentIntent, PaymentState

    with app.app_context():
        # five future courses become 5-seat courses with nobody enrolled
        ids = sample["course_ids"][-5:]
        db.session.execute(sa.delete(PaymentIntent).where(PaymentIntent.enrollment_id.in_(
            sa.select(Enrollment.id).where(Enrollment.course_id.in_(ids)))))
        from ntbase.enrollment.models import EnrollmentEvent

        db.session.execute(sa.delete(EnrollmentEvent).where(EnrollmentEvent.enrollment_id.in_(
            sa.select(Enrollment.id).where(Enrollment.course_id.in_(ids)))))
        db.session.execute(sa.delete(Enrollment).where(Enrollment.course_id.in_(ids)))
        from ntbase.kernel.db import now

        t = now()
        db.session.execute(sa.update(Course).where(Course.id.in_(ids)).values(
            capacity=5, seats_taken=0, enroll_opens_at=t.replace(year=t.year - 1),
            status="published"))
        db.session.commit()
    sessions = session_cookies(app, sample["learner_ids"][200:1200])
    lines = [tsv("POST", f"/courses/{random.choice(ids)}/enroll", cookie,
                 "application/x-www-form-urlencoded", "csrf_token=" + urllib.parse.quote(token))
             for cookie, token in sessions]
    a, b = Gunicorn(url, instance), Gunicorn(url, instance)
    try:
        import threading

        results = {}

        def run(name, server):
            results[name] = wrk(server.base, lines, 16, duration)

        th = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", a), ("b", b))]
        for t_ in th:
            t_.start()
        for t_ in th:
            t_.join()
    finally:
        a.stop()
        b.stop()
    with app.app_context():
        oversold = 0
        mismatched = 0
        for cid in ids:
            course = db.session.get(Course, cid)
            db.session.refresh(course)
            holding = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
                Enrollment.course_id == cid, Enrollment.state.in_(SEAT_STATES)))
            oversold += max(0, holding - course.capacity)
            mismatched += int(holding != course.seats_taken)
        paid_without_seat = db.session.scalar(
            sa.select(sa.func.count(PaymentIntent.id)).join(Enrollment, PaymentIntent.enrollment_id == Enrollment.id)
            .where(Enrollment.course_id.in_(ids), PaymentIntent.state == PaymentState.SUCCEEDED,
                   Enrollment.state.not_in(SEAT_STATES)))
        total = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(Enrollment.course_id.in_(ids)))
    return {"requests": results["a"]["requests"] + results["b"]["requests"], "enrollments": total,
            "seats": 5 * len(ids), "oversold": oversold, "seat_count_mismatches": mismatched,
            "payments_without_seat": paid_without_seat}


# ---------------------------------------------------------------- driver
def measure(bases: dict[str, str], lines: dict[str, list[str]], concurrencies: list[int], duration: float,
            label: str = "", db_url: str | None = None) -> dict[str, dict[str, dict]]:
    """One pass: at each concurrency both floors, then every row, then both floors again.

    A floor's figure is the mean of its two runs, and every row's ratios are taken against the
    floors bracketing it at the same concurrency, so a neighbour loading the shared machine in
    the middle of the pass weighs on the rows and their references alike.
    """
    results: dict[str, dict[str, dict]] = {}
    refs = [ep for ep in REFERENCES if ep in lines]
    rows = [ep for ep in lines if ep not in refs]
    for conc in concurrencies:
        samples: dict[str, list[dict]] = {ep: [] for ep in refs}

        def run_refs() -> None:
            for ep in refs:
                samples[ep].append(run_row(bases, lines, ep, conc, duration))  # noqa: B023

        run_refs()
        measured = {ep: run_row(bases, lines, ep, conc, duration, db_url) for ep in rows}
        run_refs()
        measured.update({ep: combine(samples[ep]) for ep in refs})
        bare, floor = measured.get(BARE), measured.get(FLOOR)
        for ep in lines:  # declaration order
            r = with_ratios(measured[ep], bare, floor)
            results.setdefault(ep, {})[str(conc)] = r
            log(f"{label} c={conc} {ep}: {r['rps']} rps p95 {r['p95_ms']} ms "
                f"ratio to bare {r['ratio_to_bare']} to /floor {r['ratio_to_floor']}"
                + (f" errors {r['errors']}" if r.get("errors") else "")
                + (f" messages {r['messages']}" if "messages" in r else "")
                + (f" lock waits {r['lock_waits']}" if "lock_waits" in r else ""))
    return results


def stats_compute_seconds(app, year: int = 2025, n: int = 3) -> float:
    """The office statistics' four aggregates worked out in full (what each STATS_MAX_AGE
    costs the database once; the page row above reads the snapshot), median of ``n``."""
    from ntbase.kernel.db import db
    from ntbase.office.stats import services as stats

    times = []
    for _ in range(n):
        with app.test_request_context("/office/stats"):
            t0 = time.perf_counter()
            stats._compute(year)
            times.append(time.perf_counter() - t0)
            db.session.rollback()
    return round(statistics.median(times), 3)


def run_size(size: str, concurrencies: list[int], duration: float, do_hammer: bool,
             only: list[str] | None = None, keep: bool = False) -> dict:
    """``keep``: generate the size's database once and keep it (and its sample) for the next
    run with ``--keep-data`` (size L takes over ten minutes to generate); the runs measured on
    it have written to it (enrollments, heartbeats), which the figures barely feel."""
    from bench.generate import generate

    name = f"ntbase_bench_{size.lower()}_{os.getpid()}"  # other checkouts may run the smoke at once
    instance = tempfile.mkdtemp(prefix=f"ntbase-bench-{size}-")
    kept_sample = None
    if keep:
        shutil.rmtree(instance, ignore_errors=True)
        name, instance = f"ntbase_bench_kept_{size.lower()}", os.path.join(tempfile.gettempdir(), f"ntbase-bench-kept-{size}")
        kept_path = Path(instance) / "sample.json"
        if kept_path.exists() and database_exists(name):
            kept_sample = json.loads(kept_path.read_text())
    try:  # ids repeat across sizes: start every size with an empty page cache
        import redis

        redis.Redis.from_url(ENV["CACHE_URL"]).flushdb()
    except Exception:  # noqa: BLE001 - no Redis: the in-process cache starts empty anyway
        pass
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name if kept_sample else create_db(name)
    try:
        os.environ["NTBASE_INSTANCE_PATH"] = instance  # the generator stores the lesson file there
        if kept_sample:
            log(f"{size}: the kept database {name} (--keep-data)")
            sample, gen_s = kept_sample, kept_sample.get("generate_seconds")
        else:
            os.makedirs(instance, exist_ok=True)
            log(f"{size}: migrating")
            migrate(url, instance)
            log(f"{size}: generating")
            t0 = time.perf_counter()
            sample = generate(url, size, log=lambda m: log(f"{size}: {m}"))
            gen_s = round(time.perf_counter() - t0, 1)
            if keep:
                (Path(instance) / "sample.json").write_text(json.dumps(dict(sample, generate_seconds=gen_s)))
        app = make_app(url, instance)
        rng = random.Random(7)
        with app.app_context():
            lines = endpoint_lines(app, sample, rng, only)
        with app.app_context():
            from ntbase.kernel.db import db

            with db.engine.begin() as c:
                c.exec_driver_sql("ANALYZE")
        server = Gunicorn(url, instance)
        try:
            bare = Gunicorn.bare()
        except BaseException:
            server.stop()
            raise
        bases = {"ntbase": server.base, "bare": bare.base}
        try:
            check_status(bases, lines)
            for ep in lines:  # warm every worker
                run_row(bases, lines, ep, 4, 1)
            results = measure(bases, lines, concurrencies, duration, label=size, db_url=url)
            rss = server.worker_rss_mb()
            bulk = bulk_verify(app, sample, server.base)
            stats_s = stats_compute_seconds(app) if "office_stats" in lines else None
        finally:
            bare.stop()
            server.stop()
        statements = {ep: (ENDPOINTS[ep].statements or count_statements)(app, ls) for ep, ls in lines.items()
                      if ENDPOINTS[ep].server == "ntbase"}
        out = {"size": size, "counts": sample["counts"], "generate_seconds": gen_s, "endpoints": results,
               "sql_statements_per_request": statements, "worker_rss_mb": rss, "bulk_verify": bulk}
        if stats_s is not None:
            out["stats_compute_seconds"] = stats_s
        if do_hammer:
            log(f"{size}: oversell hammer (two gunicorn instances)")
            out["hammer"] = hammer(app, url, instance, sample, max(2.0, duration))
            log(f"{size}: hammer {out['hammer']}")
        return out
    finally:
        if not keep:
            drop_db(name)
            shutil.rmtree(instance, ignore_errors=True)


def markdown(report: dict) -> str:
    workers, threads = report.get("workers", WORKERS), report.get("threads", THREADS)
    has_bare = any(BARE in res["endpoints"] for res in report["sizes"].values())
    served = "for NTBase and for the bare Flask floor" if has_bare else "(this run had no bare Flask floor)"
    lines = [f"Machine: {report['machine']}; gunicorn {workers} sync workers × {threads} thread(s) {served}; "
             f"wrk {report['duration']} s per point; PostgreSQL {report.get('pg', '')}.", ""]
    targets = evaluate_targets(report)
    if targets:
        lines += ["Against the targets (declared in `bench/endpoints.py`; ratios are throughput over the bare "
                  "Flask floor's and over NTBase's `/floor`, measured at the same concurrency in the same pass):",
                  "", target_table(targets), ""]
    for size, res in report["sizes"].items():
        c = res["counts"]
        lines.append(f"**Size {size}** — {c['courses']:,} courses, {c['learners']:,} learners, "
                     f"{c['enrollments']:,} enrollments, {c['certificates']:,} certificates, "
                     f"{c['ledger']:,} ledger entries (generated in {res['generate_seconds']} s).")
        lines.append("")
        lines.append("| endpoint | clients | req/s | ratio to bare floor | ratio to /floor | p50 ms | p95 ms | p99 ms "
                     "| errors | SQL/request |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for ep, by_c in res["endpoints"].items():
            for conc, r in by_c.items():
                bare = r.get("ratio_to_bare")
                lines.append(f"| {ep} | {conc} | {r['rps']:,} | {'—' if bare is None else bare} | "
                             f"{r.get('ratio_to_floor')} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                             f"{r['errors']} | {res['sql_statements_per_request'].get(ep, '')} |")
        for ep, by_c in res["endpoints"].items():
            for conc, r in by_c.items():
                if "messages" in r:
                    msgs = ", ".join(f"{k} {v:,}" for k, v in sorted(r["messages"].items()))
                    lines.append(f"\n{ep}, {conc} clients: {r.get('starts', 0):,} `start` and {r.get('beats', 0):,} "
                                 f"`beat` requests; answers 200 by message: {msgs or 'none'}; not 200: "
                                 f"{r.get('non200', 0)}.")
                lw = r.get("lock_waits")
                if lw:
                    on = ", ".join(f"{k} ({v})" for k, v in sorted(lw["on"].items())) or "nothing"
                    lines.append(f"PostgreSQL lock waits during that run: {lw['samples_waiting']} of {lw['samples']} "
                                 f"samples of `pg_locks` had a backend waiting (at most {lw['max_waiting']} at "
                                 f"once), on: {on}.")
        known, unknown = res["endpoints"].get("verify_api_known", {}), res["endpoints"].get("verify_api_unknown", {})
        if known and unknown:
            same = ", ".join(f"{c} clients {known[c]['p50_ms']:.1f} and {unknown[c]['p50_ms']:.1f} ms"
                             for c in known if c in unknown)
            lines.append(f"\nVerify API, p50 for known and for unknown codes: {same}.")
        for later in res.get("later_rows", []):
            fl = "; ".join(f"{ref} " + ", ".join(f"{int(v):,} req/s at {c}" for c, v in by.items())
                           for ref, by in later["floors_rps"].items() if by)
            lines.append(f"\nRows {', '.join(later['rows'])}: from a later run (`{later['run']}`, "
                         f"{later['started']}, {later['duration']} s per point), with its ratios to that run's "
                         f"own floors ({fl}), not to the floor rows above.")
        b = res.get("bulk_verify", {})
        if "seconds_median" in b:
            lines.append(f"\nBulk verification of {b['rows']:,} codes: {b['seconds_median']} s (median of 3), "
                         f"{b['results']:,} results.")
        if res.get("stats_compute_seconds") is not None:
            lines.append(f"Office statistics worked out in full (the four aggregates, once per `STATS_MAX_AGE`): "
                         f"{res['stats_compute_seconds']} s (median of 3).")
        if res.get("worker_rss_mb"):
            lines.append(f"Worker RSS after the run: {', '.join(str(x) for x in res['worker_rss_mb'])} MB.")
        if "hammer" in res:
            h = res["hammer"]
            lines.append(f"Oversell hammer (two gunicorn instances, {h['requests']:,} enrollment POSTs on "
                         f"{h['seats']} seats): oversold {h['oversold']}, seat-count mismatches "
                         f"{h['seat_count_mismatches']}, payments without a seat {h['payments_without_seat']}.")
        lines.append("")
    if "growth" in report:
        lines.append(f"| endpoint | p50 L/S ({report.get('growth_clients', 32)} clients) |")
        lines.append("|---|---:|")
        for ep, g in report["growth"].items():
            lines.append(f"| {ep} | {g} |")
    return "\n".join(lines) + "\n"


def growth(report: dict) -> tuple[str, dict[str, float]] | None:
    """p50 at L over p50 at S for every row both sizes have, at the highest concurrency of the run."""
    sizes = report["sizes"]
    if "S" not in sizes or "L" not in sizes:
        return None
    small, large = sizes["S"]["endpoints"], sizes["L"]["endpoints"]
    top = str(max(int(c) for by_c in small.values() for c in by_c))
    return top, {ep: round(large[ep][top]["p50_ms"] / max(small[ep][top]["p50_ms"], 0.001), 2)
                 for ep in small if top in small[ep] and top in large.get(ep, {})}


def merge(old: dict, new: dict) -> dict:
    """``old`` with ``new``'s rows (not its floors) put in, each size's later rows noted with
    the run they come from and that run's floors (their ratios are to those, not to ``old``'s)."""
    out = json.loads(json.dumps(old))
    for size, res in new["sizes"].items():
        rows = {ep: by_c for ep, by_c in res["endpoints"].items() if ep not in REFERENCES}
        if not rows:
            continue
        if size not in out["sizes"]:
            out["sizes"][size] = res
            continue
        dest = out["sizes"][size]
        dest["endpoints"].update(rows)
        dest.setdefault("sql_statements_per_request", {}).update(
            {ep: n for ep, n in res.get("sql_statements_per_request", {}).items() if ep in rows})
        floors = {ref: {c: r["rps"] for c, r in res["endpoints"].get(ref, {}).items()} for ref in REFERENCES}
        dest["later_rows"] = [x for x in dest.get("later_rows", []) if not set(x["rows"]) & set(rows)]
        dest["later_rows"].append({"rows": list(rows), "run": new["name"], "started": new["started"],
                                   "duration": new["duration"], "floors_rps": floors,
                                   "counts": res.get("counts")})
    g = growth(out)
    if g:
        out["growth_clients"], out["growth"] = int(g[0]), g[1]
    return out


def write_report(report: dict, update_readme: bool) -> str:
    report["targets"] = evaluate_targets(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{report['name']}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    md = markdown(report)
    (RESULTS / f"{report['name']}.md").write_text(md)
    if update_readme:
        readme = ROOT / "README.md"
        text = readme.read_text()
        block = f"<!-- bench:start -->\n{md}<!-- bench:end -->"
        text = re.sub(r"<!-- bench:start -->.*<!-- bench:end -->", lambda _m: block, text, flags=re.S)
        readme.write_text(text)
    return md


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="S")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--name", default=None)
    ap.add_argument("--smoke", action="store_true", help="size XS, 1 s per point, one concurrency (CI)")
    ap.add_argument("--no-hammer", action="store_true")
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--keep-data", action="store_true", help="keep each size's generated database and reuse "
                    "it on the next run with this flag (drop them with DROP DATABASE ntbase_bench_kept_<size>)")
    ap.add_argument("--endpoints", default="", help="comma-separated rows to measure (the two floors always "
                    "run with them); default: every declared row")
    ap.add_argument("--merge-into", metavar="JSON", help="after the run, put its rows (not its floors) into "
                    "this earlier report, replacing rows of the same name, and write that report (with "
                    "--update-readme, the README table); the run itself is kept under --name")
    ap.add_argument("--render", metavar="JSON", help="measure nothing: rewrite the .md (and, with "
                    "--update-readme, the README table) from an earlier run's JSON")
    args = ap.parse_args()
    if args.render:
        report = json.loads(Path(args.render).read_text())
        if args.name:
            report["name"] = args.name
        print(write_report(report, args.update_readme))
        return
    only = [e.strip() for e in args.endpoints.split(",") if e.strip()] or None
    unknown = [e for e in only or [] if e not in ENDPOINTS]
    if unknown:
        sys.exit(f"unknown rows {unknown}; declared: {', '.join(ENDPOINTS)}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if args.smoke:
        sizes, concs, duration, name = ["XS"], [4], 1.0, args.name or "smoke"
    else:
        sizes = args.sizes.split(",")
        concs = [int(c) for c in args.concurrency.split(",")]
        duration, name = args.duration, args.name or ("latest" if only is None else "_".join(only))
    eng = sa.create_engine(PG_ADMIN)
    with eng.connect() as c:
        pg = c.exec_driver_sql("SHOW server_version").scalar()
    eng.dispose()
    report = {"name": name, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
              f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, Python "
              f"{platform.python_version()}", "pg": pg, "duration": duration, "workers": WORKERS,
              "threads": THREADS, "started": time.strftime("%Y-%m-%d %H:%M"), "sizes": {}}
    for size in sizes:
        report["sizes"][size] = run_size(size, concs, duration, not args.no_hammer, only, args.keep_data)
    g = growth(report)
    if g:
        report["growth_clients"], report["growth"] = int(g[0]), g[1]
    if args.merge_into:
        print(write_report(report, False))
        merged = merge(json.loads(Path(args.merge_into).read_text()), report)
        print(write_report(merged, args.update_readme))
    else:
        print(write_report(report, args.update_readme))
    failures = []
    for size, res in report["sizes"].items():
        h = res.get("hammer")
        if h and (h["oversold"] or h["payments_without_seat"] or h["seat_count_mismatches"]):
            failures.append(f"{size}: hammer found inconsistencies {h}")
        for ep, by_c in res["endpoints"].items():
            for conc, r in by_c.items():
                if r["requests"] == 0:
                    failures.append(f"{size} {ep} c={conc}: no request completed")
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main()
