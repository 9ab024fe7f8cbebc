"""Translations: one .po file per domain under ntbase/translations/<locale>/parts/,
merged and compiled into messages.mo (at start-up when stale, or `flask ntbase i18n`).

Msgids are English; zh_CN is the default locale and its catalogue must be complete
(tests/test_i18n.py checks every msgid in the code has a Chinese translation).
"""
from __future__ import annotations

import logging
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_login import current_user

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).parent.parent / "translations"


def merged_catalog(locale: str) -> Catalog:
    """Every part's translations in one catalogue. A word used in two senses carries a
    context (``pgettext("disclosure part", "Complete")``, ``msgctxt`` in the .po): the
    context is kept, so each sense keeps its own translation. Fuzzy and empty entries are
    left out (``ntbase.i18n_check`` reports them)."""
    merged = Catalog(locale=locale)
    parts = sorted((TRANSLATIONS / locale / "parts").glob("*.po"))
    for part in parts:
        with part.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for msg in cat:
            if msg.id and msg.string and not msg.fuzzy:
                merged.add(msg.id, msg.string, context=msg.context)
    return merged


def compile_translations(force: bool = False) -> list[Path]:
    written = []
    for locale_dir in sorted(p for p in TRANSLATIONS.iterdir() if (p / "parts").is_dir()):
        parts = list((locale_dir / "parts").glob("*.po"))
        if not parts:
            continue
        # Flask-Babel asks for zh_Hans_CN, which gettext expands to zh_Hans_CN, zh:
        # compiled catalogues are stored under the bare language.
        mo = TRANSLATIONS / locale_dir.name.split("_")[0] / "LC_MESSAGES" / "messages.mo"
        newest = max((p.stat().st_mtime for p in parts), default=0)
        if not force and mo.exists() and mo.stat().st_mtime >= newest:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        catalog = merged_catalog(locale_dir.name)
        tmp = mo.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)
        written.append(mo)
    return written


def ensure_compiled() -> None:
    try:
        compile_translations()
    except OSError as exc:  # read-only deploy: the build step compiled them
        log.warning("could not compile translations: %s", exc)


_LOCALES: dict[str, Locale] = {}


def _locale(code: str) -> Locale:
    """The parsed ``Locale`` of ``code``, parsed once per process (Flask-Babel parses what
    the selector returns on every request unless it is a ``Locale`` already)."""
    found = _LOCALES.get(code)
    if found is None:
        found = _LOCALES[code] = Locale.parse(code)
    return found


def select_locale() -> Locale:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, jobs: the default language
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.args.get("lang")
    if chosen in langs:
        return _locale(chosen)
    if session.get("lang") in langs:
        return _locale(session["lang"])

    # a logged-in user's own language (someone anonymous, most requests, needs no user object)
    signed_in = "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    if signed_in and getattr(current_user, "is_authenticated", False) and current_user.locale in langs:
        return _locale(current_user.locale)
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
