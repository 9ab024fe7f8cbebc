from __future__ import annotations

from flask import Blueprint, render_template

from ntbase.auth import base_manager_required
from ntbase.bases.services import get_base_or_404, list_public_bases

bp = Blueprint("bases", __name__)


@bp.get("/bases")
def index():
    return render_template("bases/index.html", bases=list_public_bases())


@bp.get("/bases/<int:base_id>")
def detail(base_id: int):
    base = get_base_or_404(base_id)
    return render_template("bases/detail.html", base=base)


@bp.get("/manage/bases/<int:base_id>")
@base_manager_required
def manage(base_id: int):
    base = get_base_or_404(base_id)
    return render_template("bases/manage.html", base=base)
