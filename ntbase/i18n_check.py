"""Find msgids used in code/templates that the zh_CN catalogue does not translate.

``python -m ntbase.i18n_check`` prints them (as a .po stub to fill in);
tests/test_i18n.py fails while any is missing.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from ntbase.kernel.i18n import merged_catalog

ROOT = Path(__file__).resolve().parent.parent
# .txt templates: the messages of ntbase.notifications (plain text, not HTML-escaped)
METHOD_MAP = [("ntbase/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}, "templates/**.txt": {}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extracted_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS,
        # Babel's default skips folders starting with "_" (templates/_macros holds strings too)
        directory_filter=lambda d: not os.path.basename(d).startswith(".") and ".venv" not in d,
    ):
        msgs = message if isinstance(message, tuple) else (message,)
        for m in msgs:
            if m:
                found.setdefault(m, f"{filename}:{lineno}")
    return found


def missing(locale: str = "zh_CN") -> dict[str, str]:
    cat = merged_catalog(locale)
    have = {m.id for m in cat if m.id and m.string}
    return {mid: where for mid, where in extracted_msgids().items() if mid not in have}


def _po_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


if __name__ == "__main__":
    gaps = missing()
    for mid, where in sorted(gaps.items(), key=lambda kv: kv[1]):
        print(f"#: {where}\nmsgid \"{_po_escape(mid)}\"\nmsgstr \"\"\n")
    print(f"# {len(gaps)} missing", file=sys.stderr)
    sys.exit(1 if gaps else 0)
