"""NTBase against a peer, Indico (CERN's Flask event system), in one interleaved run.

    python -m bench.peer.run setup          # once: Indico's venv, its PostgreSQL and Redis, 20 events
    python -m bench.peer.run                # measure (sets up first if needed), then stop what it started
    python -m bench.peer.run --concurrency 1,8,32 --duration 5 --size S
    python -m bench.peer.run stop           # stop the peer's PostgreSQL and Redis if left running

Not part of CI or `make test`. Everything listens on loopback only:

- Indico (``pip install indico`` into bench/peer/.venv, its own Python 3.11 venv) with its own
  PostgreSQL cluster (``initdb`` under bench/peer/data/pg, run as the ``postgres`` OS user,
  port 5433) and its own Redis (port 6380); configured by writing
  bench/peer/data/indico/indico.conf and ``indico db prepare``; 20 conference events in one
  category, each with an open registration form (bench/peer/seed_indico.py).
- NTBase on a fresh database of the main server (size S by default, as bench.run makes it).

Both are served by gunicorn with the same settings as bench.run (BENCH_WORKERS sync workers
× BENCH_THREADS threads), next to the bare Flask floor. At each concurrency, pair by pair,
wrk drives NTBase's page then Indico's: the catalog against Indico's category page, a course
page against an event page, the enrollment page (a logged-in learner) against a registration
form page (anonymous, as Indico allows). Each figure carries its ratio to the bare floor and
each pair the NTBase/Indico throughput ratio (goal of issue #14: ≥ 20×).

Results: bench/results/peer.json and peer.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.endpoints import combine, session_cookies, tsv
from bench.run import (
    PG_ADMIN,
    RESULTS,
    ROOT,
    THREADS,
    WORKERS,
    Gunicorn,
    check_status,
    create_db,
    drop_db,
    log,
    make_app,
    migrate,
    wrk,
)

PEER = ROOT / "bench" / "peer"
VENV = PEER / ".venv"
DATA = PEER / "data"
PG_DIR = DATA / "pg"
PG_BIN = Path(os.environ.get("BENCH_PEER_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("BENCH_PEER_PG_PORT", "5433"))
REDIS_PORT = int(os.environ.get("BENCH_PEER_REDIS_PORT", "6380"))
HTTP_PORT = int(os.environ.get("BENCH_PEER_HTTP_PORT", "18401"))  # fixed: Indico's BASE_URL names it
INDICO_VERSION = os.environ.get("BENCH_PEER_INDICO", "indico==3.2.9")  # 3.2.x: the last line for Python 3.11
INDICO_DIR = DATA / "indico"
CONF = INDICO_DIR / "indico.conf"
SEED = DATA / "seed.json"
GOAL = 20.0

# (label, NTBase row, Indico row): what a visitor does on each side
PAIRS = [("list of events", "ntbase_catalog", "indico_category"),
         ("one event", "ntbase_course", "indico_event"),
         ("sign-up page", "ntbase_enroll", "indico_registration")]


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse to run as root."""
    return sh(["runuser", "-u", "postgres", "--", *cmd], **kw)


def python311() -> str:
    for cand in (os.environ.get("BENCH_PEER_PYTHON"), shutil.which("python3.11")):
        if cand:
            return cand
    sys.exit("Indico 3.2 needs Python 3.11 (3.3 needs 3.12.2+): set BENCH_PEER_PYTHON")


# ---------------------------------------------------------------- services
def pg_running() -> bool:
    return subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(PG_PORT)]).returncode == 0


def start_pg() -> bool:
    """Start the peer's cluster (creating it first); True if this call started it."""
    if pg_running():
        return False
    if not (PG_DIR / "PG_VERSION").exists():
        log(f"peer: initdb {PG_DIR}")
        PG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.chown(PG_DIR, "postgres", "postgres")
        PG_DIR.chmod(0o700)
        as_postgres([str(PG_BIN / "initdb"), "-D", str(PG_DIR), "-E", "UTF8", "--locale", "C.UTF-8",
                     "-A", "trust", "-U", "postgres"], stdout=subprocess.DEVNULL)
    log(f"peer: PostgreSQL on 127.0.0.1:{PG_PORT}")
    as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(PG_DIR), "-l", str(PG_DIR / "server.log"), "-w", "start",
                 "-o", f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -c unix_socket_directories={PG_DIR}"],
                stdout=subprocess.DEVNULL)
    return True


def stop_pg() -> None:
    if (PG_DIR / "postmaster.pid").exists():
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)


def redis_running() -> bool:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping"],
                          capture_output=True).returncode == 0


def start_redis() -> bool:
    if redis_running():
        return False
    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    log(f"peer: Redis on 127.0.0.1:{REDIS_PORT}")
    sh(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
        "--appendonly", "no", "--dir", str(DATA / "redis"), "--pidfile", str(DATA / "redis" / "redis.pid"),
        "--logfile", str(DATA / "redis" / "redis.log")])
    for _ in range(50):
        if redis_running():
            return True
        time.sleep(0.1)
    raise RuntimeError(f"redis-server on port {REDIS_PORT} did not start")


def stop_redis() -> None:
    pidfile = DATA / "redis" / "redis.pid"
    if pidfile.exists() and redis_running():
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "shutdown", "nosave"],
                       capture_output=True)


# ---------------------------------------------------------------- Indico
def indico_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NTBASE_", "DATABASE_URL", "VIRTUAL_ENV"))}
    env["INDICO_CONFIG"] = str(CONF)
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
    return env


# flask-pluginengine (an Indico 3.2 dependency) imports pkg_resources, gone from setuptools 81 on
PEER_PACKAGES = [INDICO_VERSION, "gunicorn", "setuptools<81"]


def install_indico() -> None:
    stamp = VENV / ".bench-installed"
    if stamp.exists() and stamp.read_text() == repr(PEER_PACKAGES):
        return
    log(f"peer: creating {VENV} and installing {INDICO_VERSION} (a few minutes)")
    if not (VENV / "bin" / "python").exists():
        sh([python311(), "-m", "venv", str(VENV)])
    sh([str(VENV / "bin" / "pip"), "install", "-q", "--upgrade", "pip"])
    sh([str(VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES])
    sh([str(VENV / "bin" / "python"), "-W", "ignore", "-c", "import pkg_resources, indico, gunicorn"])
    stamp.write_text(repr(PEER_PACKAGES))


LOGGING_YAML = """\
# Indico's logging.yaml.sample without the e-mail handler: files under LOG_DIR only
version: 1
root: {level: WARNING, handlers: [other]}
loggers:
  indico: {level: INFO, handlers: [indico]}
handlers:
  indico: {class: logging.FileHandler, filename: indico.log, filters: [indico], formatter: default}
  other: {class: logging.FileHandler, filename: other.log, filters: [other], formatter: simple, level: WARNING}
formatters:
  default: {format: '%(asctime)s  %(levelname)-7s  %(request_id)s  %(user_id)-6s  %(name)-25s %(message)s'}
  simple: {format: '%(asctime)s  %(levelname)-7s  %(name)-25s %(message)s'}
filters:
  indico: {name: indico}
  other: {name: other}
"""


def write_config() -> None:
    if CONF.exists():
        return
    for sub in ("log", "cache", "tmp", "archive"):
        (INDICO_DIR / sub).mkdir(parents=True, exist_ok=True)
    CONF.write_text(f"""\
# Written by bench/peer/run.py for the NTBase/Indico comparison: loopback only, nothing sent out.
SQLALCHEMY_DATABASE_URI = 'postgresql://postgres@127.0.0.1:{PG_PORT}/indico'
SECRET_KEY = {secrets.token_hex(32)!r}
BASE_URL = 'http://127.0.0.1:{HTTP_PORT}'
CELERY_BROKER = 'redis://127.0.0.1:{REDIS_PORT}/0'
REDIS_CACHE_URL = 'redis://127.0.0.1:{REDIS_PORT}/1'
DISABLE_CELERY_CHECK = True
DEFAULT_TIMEZONE = 'Asia/Shanghai'
DEFAULT_LOCALE = 'en_GB'
ENABLE_ROOMBOOKING = False
CACHE_DIR = {str(INDICO_DIR / 'cache')!r}
TEMP_DIR = {str(INDICO_DIR / 'tmp')!r}
LOG_DIR = {str(INDICO_DIR / 'log')!r}
STORAGE_BACKENDS = {{'default': 'fs:{INDICO_DIR / 'archive'}'}}
ATTACHMENT_STORAGE = 'default'
LOGGING_CONFIG_FILE = 'logging.yaml'
SMTP_SERVER = ('127.0.0.1', 25)
SMTP_USE_CELERY = False
NO_REPLY_EMAIL = 'noreply@bench.invalid'
SUPPORT_EMAIL = 'support@bench.invalid'
SYSTEM_NOTICES_URL = None
SENTRY_DSN = None
""")
    (INDICO_DIR / "logging.yaml").write_text(LOGGING_YAML)


def prepare_db() -> None:
    eng = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        exists = c.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = 'indico'").scalar()
        if not exists:
            c.exec_driver_sql("CREATE DATABASE indico ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
                              "TEMPLATE template0")
    eng.dispose()
    eng = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/indico", isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        c.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        prepared = c.exec_driver_sql("SELECT to_regclass('public.alembic_version')").scalar()
    eng.dispose()
    if not prepared:
        log("peer: indico db prepare")
        sh([str(VENV / "bin" / "indico"), "db", "prepare"], env=indico_env(), cwd=INDICO_DIR,
           stdout=subprocess.DEVNULL)


def seed() -> dict:
    proc = subprocess.run([str(VENV / "bin" / "python"), "-W", "ignore", str(PEER / "seed_indico.py")],
                          env=indico_env(), cwd=INDICO_DIR, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError("bench/peer/seed_indico.py failed:\n" + proc.stderr[-3000:])
    out = proc.stdout
    data = json.loads(out.strip().splitlines()[-1])
    if len(data["events"]) < 20 or not all(rid for _eid, rid in data["events"]):
        raise RuntimeError(f"Indico seed gave {data}")
    SEED.write_text(json.dumps(data))
    return data


def setup() -> tuple[dict, list[str]]:
    """Idempotent: install, start the services, prepare and seed. Returns (seed, services started)."""
    DATA.mkdir(parents=True, exist_ok=True)
    install_indico()
    started = []
    if start_pg():
        started.append("pg")
    if start_redis():
        started.append("redis")
    write_config()
    prepare_db()
    data = seed()
    log(f"peer: Indico category {data['category_id']} with {len(data['events'])} events and registration forms")
    return data, started


def indico_server() -> Gunicorn:
    if shutil.which("gunicorn", path=str(VENV / "bin")) is None:
        raise RuntimeError("gunicorn missing from the peer venv: python -m bench.peer.run setup")
    # bench/peer/indico_wsgi.py: Indico ships indico/web/indico.wsgi, not an importable module
    return Gunicorn(app="indico_wsgi:application", health="/", env=indico_env(),
                    gunicorn=str(VENV / "bin" / "gunicorn"), cwd=PEER, port=HTTP_PORT, startup_s=180)


# ---------------------------------------------------------------- the run
def rows(app, sample: dict, peer: dict) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Request lines per row and which server answers each."""
    courses = sample["course_ids"][:20]  # as many as Indico's events
    learners = session_cookies(app, sample["dashboard_learner_ids"][:100])
    rng = random.Random(7)
    lines = {
        "bare_floor": [tsv("GET", "/floor")],
        "ntbase_catalog": [tsv("GET", f"/courses?page={p}") for p in (1, 2, 3)],
        "indico_category": [tsv("GET", f"/category/{peer['category_id']}/")],
        "ntbase_course": [tsv("GET", f"/courses/{cid}") for cid in courses],
        "indico_event": [tsv("GET", f"/event/{eid}/") for eid, _rid in peer["events"]],
        "ntbase_enroll": [tsv("GET", f"/courses/{rng.choice(courses)}/enroll", cookie) for cookie, _ in learners],
        "indico_registration": [tsv("GET", f"/event/{eid}/registrations/{rid}/") for eid, rid in peer["events"]],
    }
    servers = {name: ("bare" if name == "bare_floor" else name.split("_", 1)[0]) for name in lines}
    return lines, servers


def pair_ratio(a: dict, b: dict) -> float | None:
    return round(a["rps"] / b["rps"], 1) if b.get("rps") else None


def measure(bases: dict[str, str], lines: dict[str, list[str]], servers: dict[str, str], concurrencies: list[int],
            duration: float) -> dict:
    """Per concurrency: the bare floor, then each pair back to back (the side that goes first
    alternates from one concurrency to the next), then the bare floor again."""
    out: dict = {"rows": {}, "pairs": {}}
    for i, conc in enumerate(concurrencies):
        def drive(name: str) -> dict:
            return wrk(bases[servers[name]], lines[name], conc, duration)  # noqa: B023

        bare = [drive("bare_floor")]
        got = {}
        for _label, a, b in PAIRS:
            for name in ((a, b) if i % 2 == 0 else (b, a)):
                got[name] = drive(name)
        bare.append(drive("bare_floor"))
        got["bare_floor"] = combine(bare)
        for name, r in got.items():
            r["ratio_to_bare"] = round(r["rps"] / got["bare_floor"]["rps"], 3) if got["bare_floor"]["rps"] else None
            out["rows"].setdefault(name, {})[str(conc)] = r
        for label, a, b in PAIRS:
            ratio = pair_ratio(got[a], got[b])
            out["pairs"].setdefault(label, {})[str(conc)] = ratio
            log(f"peer c={conc} {label}: NTBase {got[a]['rps']} rps p95 {got[a]['p95_ms']} ms, "
                f"Indico {got[b]['rps']} rps p95 {got[b]['p95_ms']} ms: {ratio}×")
    return out


def markdown(report: dict) -> str:
    res = report["results"]
    lines = [f"Machine: {report['machine']}; gunicorn {report['workers']} sync workers × {report['threads']} "
             f"thread(s) for NTBase, Indico {report['indico']} and the bare Flask floor; wrk {report['duration']} s "
             f"per point; NTBase size {report['size']} on PostgreSQL {report['pg']}, Indico on its own "
             f"PostgreSQL {report['peer_pg']} and Redis.", "",
             "Bare Flask floor: " + ", ".join(f"{r['rps']:,} req/s at {c} clients"
                                              for c, r in res["rows"]["bare_floor"].items()) + ".", "",
             "| page | clients | NTBase row | req/s | p50 ms | p95 ms | to bare | Indico row | req/s | p50 ms "
             "| p95 ms | to bare | NTBase/Indico | goal ≥ 20× |",
             "|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for label, a, b in PAIRS:
        for conc, ratio in res["pairs"][label].items():
            ra, rb = res["rows"][a][conc], res["rows"][b][conc]
            met = "—" if ratio is None else ("yes" if ratio >= GOAL else "no")
            lines.append(f"| {label} | {conc} | {a} | {ra['rps']:,} | {ra['p50_ms']:.1f} | {ra['p95_ms']:.1f} | "
                         f"{ra['ratio_to_bare']} | {b} | {rb['rps']:,} | {rb['p50_ms']:.1f} | {rb['p95_ms']:.1f} | "
                         f"{rb['ratio_to_bare']} | {ratio}× | {met} |")
    errors = {name: sum(r["errors"] for r in by_c.values()) for name, by_c in res["rows"].items()}
    if any(errors.values()):
        lines += ["", "Errors (non-2xx, timeouts): " + ", ".join(f"{k} {v}" for k, v in errors.items() if v)]
    return "\n".join(lines) + "\n"


def run(args) -> None:
    from bench.generate import generate

    peer, started = setup()
    name = f"ntbase_peer_{os.getpid()}"
    instance = tempfile.mkdtemp(prefix="ntbase-peer-")
    servers: list[Gunicorn] = []
    try:
        url = create_db(name)
        log(f"peer: NTBase size {args.size}: migrating and generating")
        migrate(url, instance)
        sample = generate(url, args.size, log=lambda m: log(f"{args.size}: {m}"))
        app = make_app(url, instance)
        with app.app_context():
            lines, which = rows(app, sample, peer)
            from ntbase.kernel.db import db

            with db.engine.begin() as c:
                c.exec_driver_sql("ANALYZE")
        servers.append(Gunicorn(url, instance))
        bases = {"ntbase": servers[-1].base}
        servers.append(Gunicorn.bare())
        bases["bare"] = servers[-1].base
        log("peer: starting Indico under gunicorn")
        servers.append(indico_server())
        bases["indico"] = servers[-1].base
        check_status(bases, lines, which)
        for row, ls in lines.items():  # warm every worker of every server
            wrk(bases[which[row]], ls, 4, 2)
        results = measure(bases, lines, which, args.concurrency, args.duration)
    finally:
        for s in servers:
            s.stop()
        drop_db(name)
        shutil.rmtree(instance, ignore_errors=True)
        if not args.keep_running:
            if "redis" in started:
                stop_redis()
            if "pg" in started:
                stop_pg()
    version = subprocess.run([str(VENV / "bin" / "python"), "-c", "import indico; print(indico.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    peer_pg = re.search(r"\d+\.\d+", subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True,
                                                  text=True).stdout).group(0)
    eng = sa.create_engine(PG_ADMIN)
    with eng.connect() as c:
        pg = c.exec_driver_sql("SHOW server_version").scalar().split()[0]
    eng.dispose()
    report = {"name": "peer", "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
              f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, NTBase on Python "
              f"{platform.python_version()}", "pg": pg, "peer_pg": peer_pg, "indico": version,
              "size": args.size, "duration": args.duration, "workers": WORKERS, "threads": THREADS,
              "started": time.strftime("%Y-%m-%d %H:%M"), "goal": GOAL, "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peer.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    md = markdown(report)
    (RESULTS / "peer.md").write_text(md)
    print(md)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", default="run", choices=["run", "setup", "stop"])
    ap.add_argument("--size", default="S", help="NTBase data size (bench.generate)")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--keep-running", action="store_true", help="leave the peer's PostgreSQL and Redis up")
    args = ap.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if os.geteuid() != 0 and args.command != "stop":
        log("peer: not root: initdb/pg_ctl run through runuser -u postgres, which needs root")
    if args.command == "setup":
        setup()
        log("peer: set up; PostgreSQL and Redis left running (python -m bench.peer.run stop)")
    elif args.command == "stop":
        stop_redis()
        stop_pg()
    else:
        if shutil.which("wrk") is None:
            sys.exit("wrk is not installed (apt-get install wrk)")
        run(args)


if __name__ == "__main__":
    main()
