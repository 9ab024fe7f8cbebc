"""The /office home: links to every room, with the counts that need the office's attention."""
from __future__ import annotations

from flask import render_template

from ntbase.kernel.auth import office_required
from ntbase.office.blueprint import bp
from ntbase.office.console.services import console_counts


@bp.get("/office")
@office_required
def index():
    return render_template("office/index.html", counts=console_counts())
