"""NTBase: the web platform of Nantong's continuing-education training bases."""
from __future__ import annotations

import logging
import os

from flask import Flask, g, request, session
from flask_babel import get_locale

from ntbase import (
    models,  # noqa: F401  (every table on the metadata)
    registry,
)
from ntbase.accounts.login import init_login
from ntbase.cli import ntbase_cli
from ntbase.config import load_config
from ntbase.errors import init_errors
from ntbase.kernel import bounds, jobs, json_input, limits, uow
from ntbase.kernel.cache import init_cache
from ntbase.kernel.db import include_object, ping_after_idle
from ntbase.kernel.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from ntbase.kernel.i18n import ensure_compiled, select_locale
from ntbase.kernel.sessions import init_sessions
from ntbase.security_headers import init_security_headers
from ntbase.templating import init_templating
from ntbase.verification.api import CodeConverter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: dict | None = None) -> Flask:
    app = uow.UnitOfWorkFlask(
        __name__,
        instance_path=os.environ.get("NTBASE_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.update(load_config(app.instance_path, test_config))
    json_input.init_app(app)  # bounded JSON bodies (size, depth); Chinese unescaped
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    limits.drop_idle_request_check(app)  # after the blueprints: every limit is declared by now
    register_handlers()
    register_jobs(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter


def register_extensions(app: Flask) -> None:
    init_sessions(app)  # Flask's cookie sessions, the signer built once
    db.init_app(app)
    if app.config.get("DB_PING_AFTER_IDLE") and not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        with app.app_context():
            for engine in db.engines.values():
                if engine.dialect.name != "sqlite":
                    ping_after_idle(engine, app.config["DB_PING_AFTER_IDLE"])
    uow.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True,
                     compare_type=True, include_object=include_object)
    csrf.init_app(app)
    ensure_compiled()
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(ROOT, "ntbase", "translations"))
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    init_cache(app)
    init_login(login_manager)
    init_security_headers(app)


def register_blueprints(app: Flask) -> None:
    bounds.install(app)  # <int:…> refuses ids beyond the database's integers (a 404), before any route
    app.url_map.converters["code"] = CodeConverter
    for bp in registry.blueprints():
        app.register_blueprint(bp)


def register_handlers() -> None:
    registry.load(registry.HANDLERS)


def register_jobs(app: Flask) -> None:
    registry.load(registry.JOBS)
    jobs.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    init_templating(app)

    @app.before_request
    def _remember_locale():
        g.locale = str(get_locale())
        if request.args.get("lang") in app.config["LANGUAGES"]:
            session["lang"] = request.args["lang"]


def register_commands(app: Flask) -> None:
    app.cli.add_command(ntbase_cli)
