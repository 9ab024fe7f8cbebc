"""The one ``office`` blueprint: every room's views module adds its routes to it, so the
endpoints stay ``office.<view>`` whichever room holds them. Also the template filters
every office page may use."""
from __future__ import annotations

from flask import Blueprint

from ntbase.certificates.codes import display
from ntbase.hours.engine import fmt
from ntbase.hours.views import EXEMPTION_TITLES, KIND_TITLES
from ntbase.office.bulk.checks import category_title

bp = Blueprint("office", __name__)


@bp.app_template_filter("office_fraction")
def _office_fraction(value) -> str:
    return fmt(value)


@bp.app_template_filter("office_code")
def _office_code(value: str) -> str:
    return display(value or "")


@bp.app_template_filter("office_category")
def _office_category(value: str) -> str:
    return category_title(value)


@bp.app_template_filter("office_kind")
def _office_kind(value: str) -> str:
    return str(KIND_TITLES.get(value) or EXEMPTION_TITLES.get(value) or value)
