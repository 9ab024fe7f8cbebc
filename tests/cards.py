"""Helpers for the phone "cards" table pattern (static/css/ntbase.css, table.cards).

``card_problems`` says what keeps a page's table from showing as cards, so a test asserts
it visibly: ``assert card_problems(html, table_id="hours") == []``.
"""
from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    """The page's tables (not those nested in a cell): their class, the texts of their
    header cells and the attributes of each body row's <td>s."""

    def __init__(self, table_id: str | None, table_class: str | None):
        super().__init__()
        self.want_id, self.want_class = table_id, table_class
        self.depth = 0  # >0 inside the wanted table
        self.tables: list[dict] = []
        self.part = None  # "thead" or "tbody" of the wanted table
        self.header: list[str] | None = None  # the text of the <th> being read

    def _wanted(self, a: dict) -> bool:
        if not (self.want_id or self.want_class):
            return True
        return bool((self.want_id and a.get("id") == self.want_id) or (
            self.want_class and self.want_class in (a.get("class") or "").split()))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            if self.depth:
                self.depth += 1
            elif self._wanted(a):
                self.depth = 1
                self.tables.append({"id": a.get("id"), "class": (a.get("class") or "").split(), "headers": [],
                                    "rows": [], "cells": []})
        elif self.depth != 1:
            return
        elif tag in ("thead", "tbody"):
            self.part = tag
        elif self.part == "thead" and tag == "th":
            self.header = []
        elif self.part == "tbody" and tag == "tr":
            self.tables[-1]["rows"].append([])
        elif self.part == "tbody" and tag == "td":
            table = self.tables[-1]
            if not table["rows"]:  # a <td> outside a <tr>: a row of its own
                table["rows"].append([])
            table["rows"][-1].append(a)
            table["cells"].append(a)

    def handle_data(self, data):
        if self.header is not None:
            self.header.append(data)

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth != 1:
            return
        elif tag in ("thead", "tbody"):
            self.part = None
        elif tag == "th" and self.header is not None:
            self.tables[-1]["headers"].append(" ".join("".join(self.header).split()))
            self.header = None


def card_tables(html: str, *, table_id: str | None = None, table_class: str | None = None) -> list[dict]:
    """[{id, class: [...], headers: [text of each header cell], rows: [[attrs of each body
    <td>]], cells: [the same, all rows in one list]}] for the matching tables; with neither
    ``table_id`` nor ``table_class``, for every table of the page."""
    p = _Tables(table_id, table_class)
    p.feed(html)
    return p.tables


def card_problems(html: str, **which) -> list[str]:
    """Why the table does not show as cards on phones (an empty list: it does). Cards need
    the class ``cards``, and every body cell says which column it belongs to (data-label)."""
    tables = card_tables(html, **which)
    if not tables:
        return [f"no table {which}"]
    problems = []
    for t in tables:
        name = t["id"] or " ".join(t["class"]) or "table"
        if "cards" not in t["class"]:
            problems.append(f"{name}: class {t['class']} has no 'cards'")
        if not t["cells"]:
            problems.append(f"{name}: no rows to check")
        problems += [f"{name}: a cell without data-label: {cell}" for cell in t["cells"]
                     if not cell.get("colspan") and not cell.get("data-label")]  # colspan: the "nobody yet" row
    return problems


# In a browser at phone width: where each labelled cell's label (its ::before) is drawn,
# relative to the cell's own left edge. A label left of 0 is outside its card, unseen.
_LABELS_JS = """(sel) => [...document.querySelectorAll(sel + ' tbody td[data-label]')].map(td => {
  const b = getComputedStyle(td, '::before'), c = getComputedStyle(td);
  const start = b.position === 'absolute' ? parseFloat(b.left) || 0 : parseFloat(c.paddingLeft) || 0;
  return {label: td.getAttribute('data-label'), content: b.content, x: start + (parseFloat(b.marginLeft) || 0)};
})"""


def hidden_labels(page, selector: str) -> list[str]:
    """The labels of the table's cells that a phone draws outside the cell, unseen (an empty
    list: all show). A card's title cell has no label on purpose (``content: none``)."""
    cells = page.evaluate(_LABELS_JS, selector)
    if not cells:
        return [f"no labelled cells in {selector}"]
    return [f"{c['label']}: drawn at {c['x']:.0f}px" for c in cells
            if c["content"] not in ("none", "normal", "") and c["x"] < 0]
