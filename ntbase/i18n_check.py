"""Find msgids used in code/templates that the zh_CN catalogue does not translate.

``python -m ntbase.i18n_check`` prints them (as a .po stub to fill in) and the entries of
the .po parts that are empty or fuzzy; tests/test_i18n.py fails while any is left.

A word used in two senses is written with a context — ``pgettext("action", "Complete")``,
``lazy_pgettext``, ``npgettext`` (templates: ``pgettext(…)``) — and its .po entry carries
the same ``msgctxt``: a msgid is the pair (context, text).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ntbase.kernel.i18n import TRANSLATIONS, merged_catalog

ROOT = Path(__file__).resolve().parent.parent
# .txt templates: the messages of ntbase.notifications (plain text, not HTML-escaped)
METHOD_MAP = [("ntbase/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}, "templates/**.txt": {}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}

Key = tuple[str | None, str]  # (context, msgid)


def extracted_msgids() -> dict[Key, str]:
    found: dict[Key, str] = {}
    for filename, lineno, message, _comments, ctx in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS,
        # Babel's default skips folders starting with "_" (templates/_macros holds strings too)
        directory_filter=lambda d: not os.path.basename(d).startswith(".") and ".venv" not in d,
    ):
        msgs = message if isinstance(message, tuple) else (message,)
        for m in msgs:
            if m:
                found.setdefault((ctx or None, m), f"{filename}:{lineno}")
    return found


def missing(locale: str = "zh_CN") -> dict[Key, str]:
    cat = merged_catalog(locale)
    have = {(m.context or None, m.id) for m in cat if m.id and m.string}
    return {key: where for key, where in extracted_msgids().items() if key not in have}


def unfinished(locale: str = "zh_CN") -> list[str]:
    """Entries of the .po parts with an empty or fuzzy translation: they would be shown in
    English (empty) or not at all (fuzzy entries are not compiled)."""
    out = []
    for part in sorted((TRANSLATIONS / locale / "parts").glob("*.po")):
        with part.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for msg in cat:
            if not msg.id:
                continue
            strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
            label = f"{part.name}: {msg.context + ' | ' if msg.context else ''}{msg.id!r}"
            if msg.fuzzy:
                out.append(f"{label} is fuzzy")
            elif not all(strings):
                out.append(f"{label} is empty")
    return out


def conflicts(locale: str = "zh_CN") -> list[str]:
    """The same (context, msgid) translated differently in two parts: only one of them can
    win the merge, so one sense or one page shows the other's word (the "已完整" button)."""
    seen: dict[Key, dict[str, str]] = {}
    for part in sorted((TRANSLATIONS / locale / "parts").glob("*.po")):
        with part.open("rb") as fh:
            for msg in read_po(fh, locale=locale):
                if msg.id and isinstance(msg.id, str) and msg.string:
                    seen.setdefault((msg.context or None, msg.id), {})[part.name] = str(msg.string)
    return [f"{ctx + ' | ' if ctx else ''}{mid!r}: " + ", ".join(f"{p} {s!r}" for p, s in parts.items())
            for (ctx, mid), parts in seen.items() if len(set(parts.values())) > 1]


def _po_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


if __name__ == "__main__":
    gaps = missing()
    for (ctx, mid), where in sorted(gaps.items(), key=lambda kv: kv[1]):
        context = f"msgctxt \"{_po_escape(ctx)}\"\n" if ctx else ""
        print(f"#: {where}\n{context}msgid \"{_po_escape(mid)}\"\nmsgstr \"\"\n")
    problems = unfinished() + [f"translated differently: {c}" for c in conflicts()]
    for p in problems:
        print(f"# {p}", file=sys.stderr)
    print(f"# {len(gaps)} missing, {len(problems)} empty or fuzzy", file=sys.stderr)
    sys.exit(1 if gaps or problems else 0)
