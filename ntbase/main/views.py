from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from ntbase.bases.services import list_public_bases
from ntbase.kernel.extensions import db
from ntbase.kernel.forms import safe_local_path

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/home.html", bases=list_public_bases())


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; serve the vendored icon."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True)


@bp.get("/floor")
def floor():
    """Benchmark floor: same app, no database, tiny response."""
    return "ok"


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code

    return redirect(safe_local_path(request.args.get("next"), url_for("main.home")))
