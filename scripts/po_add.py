"""Add or update zh_CN translations in one domain's .po part.

Usage: python scripts/po_add.py <part-name> translations.json
where the JSON maps English msgid -> Chinese msgstr, or is a list of
{"msgctxt": "...", "msgid": "...", "msgstr": "..."} for words used in more than one sense
(``pgettext(context, msgid)``). Existing entries are kept unless the JSON gives them
again. Then run `python -m ntbase.i18n_check`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

PARTS = Path(__file__).resolve().parent.parent / "ntbase" / "translations" / "zh_CN" / "parts"


def main(part: str, source: str) -> None:
    PARTS.mkdir(parents=True, exist_ok=True)
    path = PARTS / f"{part}.po"
    if path.exists():
        with path.open("rb") as fh:
            cat = read_po(fh, locale="zh_CN")
    else:
        cat = Catalog(locale="zh_CN", project="NTBase", domain="messages")
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    entries = ([(e.get("msgctxt"), e["msgid"], e["msgstr"]) for e in data] if isinstance(data, list)
               else [(None, msgid, msgstr) for msgid, msgstr in data.items()])
    for context, msgid, msgstr in entries:
        cat.add(msgid, msgstr, context=context)
    with path.open("wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, sort_output=True)
    print(f"{path}: {len(cat)} entries")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
