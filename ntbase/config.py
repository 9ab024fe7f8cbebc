"""Settings read from the environment, with an embedded SQLite default.

Nothing insecure is silently used in production: ``NTBASE_ENV=production``
without a real ``SECRET_KEY`` refuses to start.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def _bool(name: str, default: bool = False) -> bool:
    val = os.environ.get(name)
    if val is None:
        return default
    return val.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: Path, filename: str, nbytes: int = 32) -> str:
    """Read a secret from the instance folder, creating it once (development only)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(nbytes))
    return path.read_text().strip()


def load_config(instance_path: str, test_config: dict | None = None) -> dict:
    inst = Path(instance_path)
    env = os.environ.get("NTBASE_ENV", "development")
    cfg: dict = {
        "NTBASE_ENV": env,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{inst / 'ntbase.sqlite3'}"
        ),
        # pooled connections are checked only after DB_PING_AFTER_IDLE seconds unused
        # (ntbase.kernel.db.ping_after_idle), not on every checkout as pool_pre_ping would
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DB_PING_AFTER_IDLE": float(os.environ.get("DB_PING_AFTER_IDLE", 10)),
        "SQLALCHEMY_RECORD_QUERIES": False,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        # stored datetimes are already China Standard Time (see ntbase.db.now)
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["zh_CN", "en"],
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # X-RateLimit-* headers cost the storage a second round trip on every limited request;
        # a refused one still says when to retry (ntbase.errors)
        "RATELIMIT_HEADERS_ENABLED": _bool("RATELIMIT_HEADERS_ENABLED", False),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "60 per minute"),
        # staff looking people up by full ID number (manual enrollment, title applicants)
        "ID_LOOKUP_RATE_LIMIT": os.environ.get("ID_LOOKUP_RATE_LIMIT", "30 per 10 minutes"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)),
        # JSON bodies (the API, the payment webhooks): at most this many bytes and levels
        "JSON_MAX_BYTES": int(os.environ.get("JSON_MAX_BYTES", 1024 * 1024)),
        "JSON_MAX_DEPTH": int(os.environ.get("JSON_MAX_DEPTH", 32)),
        # page cache: redis://… shares it (and its invalidation) across app servers
        "CACHE_URL": os.environ.get("CACHE_URL", ""),
        "CACHE_TTL": int(os.environ.get("CACHE_TTL", 300)),
        # office statistics: the aggregates are worked out at most this often (seconds)
        "STATS_MAX_AGE": int(os.environ.get("STATS_MAX_AGE", 300)),
        "CACHE_ENABLED": _bool("CACHE_ENABLED", True),
        # background jobs (ntbase.kernel.jobs): a SQLite file needs no server; redis://… in production
        "JOBS_URL": os.environ.get("JOBS_URL", f"sqlite:///{inst / 'jobs.sqlite3'}"),
        "JOBS_WORKERS": int(os.environ.get("JOBS_WORKERS", 2)),
        # e-mail over SMTP (Flask-Mailman); without MAIL_SERVER mails are written as files to
        # instance/mail/ (development), MAIL_BACKEND=console prints them
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "NTBase <noreply@localhost>"),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", 10)),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND") or ("smtp" if os.environ.get("MAIL_SERVER") else "file"),
        "MAIL_FILE_PATH": os.environ.get("MAIL_FILE_PATH", str(inst / "mail")),
        # SMS: "sandbox" keeps texts for staff to read on /office/sms; "package.module:Class" a gateway
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", "sandbox"),
        # a failed send is retried after 60 s, 2, 4, 8… min; given up after 8 attempts (~4 h)
        "DELIVERY_RETRY_SECONDS": float(os.environ.get("DELIVERY_RETRY_SECONDS", 60)),
        "DELIVERY_MAX_ATTEMPTS": int(os.environ.get("DELIVERY_MAX_ATTEMPTS", 8)),
        "HOLD_MINUTES": int(os.environ.get("NTBASE_HOLD_MINUTES", 15)),
        "OFFER_MINUTES": int(os.environ.get("NTBASE_OFFER_MINUTES", 60 * 24)),
        # attendance of a session can be recorded from this many minutes before it starts
        "ATTENDANCE_OPENS_MINUTES_BEFORE": int(os.environ.get("ATTENDANCE_OPENS_MINUTES_BEFORE", 30)),
        "PAYMENT_WEBHOOK_SECRET": os.environ.get("PAYMENT_WEBHOOK_SECRET"),
        "PAYMENT_WEBHOOK_TOLERANCE": 300,
        # the built-in sandbox pay page; turn off where a real provider is plugged in
        "PAYMENT_SANDBOX_ENABLED": _bool("PAYMENT_SANDBOX_ENABLED", True),
        # where links printed on certificates and QR codes point; unset: the address the
        # request came to (set it when a proxy fronts the app)
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 64 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        # HTTPS redirect (and HSTS) in production; off where a plain-HTTP intranet must be served
        "FORCE_HTTPS": _bool("NTBASE_FORCE_HTTPS", env == "production"),
        # where browsers report Content-Security-Policy violations (optional)
        "CSP_REPORT_URI": os.environ.get("CSP_REPORT_URI", ""),
        "TESTING": False,
    }
    secret = os.environ.get("SECRET_KEY")
    pii_key = os.environ.get("NTBASE_PII_KEY")
    webhook = cfg["PAYMENT_WEBHOOK_SECRET"]
    if test_config:
        cfg.update(test_config)
        secret = cfg.get("SECRET_KEY", secret)
        pii_key = cfg.get("NTBASE_PII_KEY", pii_key)
        webhook = cfg.get("PAYMENT_WEBHOOK_SECRET", webhook)

    if cfg["NTBASE_ENV"] == "production":
        if not secret or len(secret) < 32 or secret in {"dev", "change-me", "secret"}:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not pii_key:
            pii_key_path = inst / "pii.key"
            if not pii_key_path.exists():
                raise ConfigError(
                    "NTBASE_PII_KEY (or instance/pii.key) is required in production: "
                    "it encrypts ID numbers and must live outside the database."
                )
            pii_key = pii_key_path.read_text().strip()
        if not webhook:
            raise ConfigError("PAYMENT_WEBHOOK_SECRET must be set in production.")
    else:
        secret = secret or _instance_secret(inst, "secret_key")
        pii_key = pii_key or _instance_secret(inst, "pii.key")
        webhook = webhook or _instance_secret(inst, "webhook_secret")
    cfg["SECRET_KEY"] = secret
    cfg["NTBASE_PII_KEY"] = pii_key
    cfg["PAYMENT_WEBHOOK_SECRET"] = webhook
    cfg.setdefault("SIGNING_KEY_DIR", os.environ.get("NTBASE_SIGNING_KEY_DIR", str(inst / "keys")))
    return cfg
