"""Helpers for the phone "cards" table pattern (static/css/ntbase.css, table.cards)."""
from __future__ import annotations

from html.parser import HTMLParser


class _Cells(HTMLParser):
    def __init__(self, table_id: str | None, table_class: str | None):
        super().__init__()
        self.want_id, self.want_class = table_id, table_class
        self.depth = 0  # >0 inside the wanted table
        self.tables: list[dict] = []
        self.in_tbody = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            if self.depth:
                self.depth += 1
            elif (self.want_id and a.get("id") == self.want_id) or (
                    self.want_class and self.want_class in (a.get("class") or "").split()):
                self.depth = 1
                self.tables.append({"class": (a.get("class") or "").split(), "cells": []})
        elif self.depth == 1 and tag == "tbody":
            self.in_tbody = True
        elif self.depth == 1 and self.in_tbody and tag == "td":
            self.tables[-1]["cells"].append(a)

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody" and self.depth == 1:
            self.in_tbody = False


def card_tables(html: str, *, table_id: str | None = None, table_class: str | None = None) -> list[dict]:
    """[{class: [...], cells: [attrs of each body <td>]}] for the matching tables."""
    p = _Cells(table_id, table_class)
    p.feed(html)
    return p.tables


def assert_cards(html: str, **which) -> None:
    """The table shows as cards on phones: class ``cards``, and every body cell says which
    column it belongs to (data-label), except the one that titles the card."""
    tables = card_tables(html, **which)
    assert tables, f"no table {which}"
    for t in tables:
        assert "cards" in t["class"], t["class"]
        assert t["cells"], "no rows to check"
        for cell in t["cells"]:
            if cell.get("colspan"):
                continue  # the "nobody yet" row
            assert cell.get("data-label"), cell
