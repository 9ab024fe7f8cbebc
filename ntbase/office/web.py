"""What the rooms' views and forms share: private pages, the year and format arguments,
the checkbox list. (Downloads are ``ntbase.kernel.tabular.download``.)"""
from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from ntbase.hours.policy import FIRST_YEAR, LAST_YEAR
from ntbase.kernel.bounds import parse_id
from ntbase.kernel.db import now

REQUIRED = _l("This field is required.")


def private(html: str, status: int = 200) -> Response:
    """A page with a person's data: never stored by the browser or a proxy."""
    return Response(html, status=status, headers={"Cache-Control": "private, no-store"})


def year_arg() -> int:
    """``?year=``, or this year when it is missing or out of range."""
    year = parse_id(request.args.get("year"))
    return year if year and FIRST_YEAR <= year <= LAST_YEAR else now().year


def format_arg() -> str:
    """``?format=xlsx``, else CSV."""
    return "xlsx" if request.args.get("format") == "xlsx" else "csv"


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
