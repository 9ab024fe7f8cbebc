"""Jinja filters and globals: money in fen, hours, dates, language switch."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ntbase.accounts.services import unread_notice_count
from ntbase.certificates import codes
from ntbase.kernel.cache import personal, register_filler, render_part
from ntbase.kernel.db import now
from ntbase.kernel.enums import TitleLevel, profession_title
from ntbase.kernel.formatting import format_hours, format_yuan
from ntbase.learning import services as learning


def fen_to_yuan(fen: int | None) -> str:
    return format_yuan(fen)


def fmt_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def fmt_date(value, fmt: str = "yyyy-MM-dd") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, fmt)
    return format_date(value, fmt) if isinstance(value, date) else str(value)


def lang_url(lang: str) -> str:
    args = dict(request.view_args or {})
    args.update(request.args.to_dict())
    args["lang"] = lang
    try:
        return url_for(request.endpoint, **args) if request.endpoint else "/?lang=" + lang
    except Exception:  # noqa: BLE001 - endpoint needs args we do not have
        return "/?lang=" + lang


# (endpoint, label, who sees it) — endpoints not registered yet are skipped
_NAV = [
    ("catalog.index", _l("Courses"), "all"),
    ("bases.index", _l("Training bases"), "all"),
    ("catalog.compare", _l("Compare bases"), "all"),
    ("verification.verify", _l("Verify a certificate"), "all"),
    ("hours.calculator", _l("Hours calculator"), "anon"),
    ("enrollment.my_courses", _l("My courses"), "learner"),
    ("hours.dashboard", _l("My hours"), "learner"),
    ("certificates.mine", _l("My certificates"), "learner"),
    ("employers.my_employers", _l("My employer"), "learner"),
    ("employers.dashboard", _l("My employer"), "employer"),
    ("office.index", _l("Office console"), "office"),
]
_FOOTER = [
    ("hours.calculator", _l("Hours calculator")),
    ("verification.verify", _l("Verify a certificate")),
    ("api.openapi", _l("API")),
]


def _nav_role() -> str:
    if not current_user.is_authenticated:
        return "anon"
    return "learner" if current_user.is_learner else ("office" if current_user.is_office else (
        "employer" if current_user.is_employer_admin else "staff"))


def fragment(name: str, *key, caller) -> Markup:
    """``{% call fragment("footer") %}…{% endcall %}``: a part of the page chrome that is the
    same for everyone given the language and ``key`` (the role, the endpoint), rendered once
    per app process and reused (the menu and footer of every page: a dozen translations
    and URLs each time otherwise)."""
    store = current_app.extensions.setdefault("ntbase_fragments", {})
    k = (name, str(get_locale()), *key)
    hit = store.get(k)
    if hit is None:
        hit = store[k] = Markup(caller())
    return hit


def _nav_items():
    role = _nav_role()
    items = []
    for ep, label, who in _NAV:
        if ep not in current_app.view_functions:
            continue
        if who == "all" or who == role or (who == "anon" and role != "learner"):
            items.append((ep, label))
    return items


def _footer_items():
    return [(ep, label) for ep, label in _FOOTER if ep in current_app.view_functions]


def _title_level(value: str) -> str:
    try:
        return TitleLevel(value).title
    except ValueError:
        return value


def init_templating(app) -> None:
    app.jinja_env.globals["now"] = now
    app.jinja_env.globals["nav_items"] = _nav_items
    app.jinja_env.globals["fragment"] = fragment
    app.jinja_env.globals["nav_role"] = _nav_role
    app.jinja_env.globals["has_endpoint"] = lambda ep: ep in app.view_functions
    app.jinja_env.globals["footer_items"] = _footer_items
    # a code that parses (its check character computed), for examples next to code fields
    app.jinja_env.globals["example_code"] = codes.display(codes.EXAMPLE_CODE)
    app.jinja_env.filters["yuan"] = fen_to_yuan
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.filters["dt"] = fmt_dt
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.filters["profession"] = profession_title
    app.jinja_env.filters["title_level"] = _title_level
    app.jinja_env.globals["lang_url"] = lang_url
    # the public course page lists an online course's lessons (learning sits above catalog)
    app.jinja_env.globals["course_syllabus"] = learning.syllabus
    # "continue where I left off" on My courses and the hours dashboard
    app.jinja_env.globals["studying"] = learning.studying
    # the parts of a cached page that belong to one person (ntbase.kernel.cache.cached_page)
    app.jinja_env.filters["personal"] = lambda html, name: personal(name, html)
    register_filler("csrf", lambda **_kw: render_part("_personal/csrf.html"))
    register_filler("account", lambda **_kw: render_part("_personal/account.html", unread_notices=_unread()))
    register_filler("studying", lambda **_kw: render_part("_personal/studying.html"))
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals():
        return {
            "current_locale": str(get_locale()),
            "unread_notices": _unread(),
            "Markup": Markup,
        }


def _unread() -> int:
    """The account menu's badge: counted when the user was loaded (accounts.login), else now."""
    if not current_user.is_authenticated:
        return 0
    unread = getattr(current_user, "unread_at_load", None)
    return unread_notice_count(current_user.id) if unread is None else unread
