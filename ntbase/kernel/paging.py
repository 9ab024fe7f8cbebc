"""A page of a list, for the ``pager`` macro (templates/_macros/forms.html)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Page:
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_of(items: Sequence, page: int | None, per_page: int) -> tuple[Sequence, Page]:
    """The items of ``page`` (1 when missing; a page past the last is the last) and the pager's
    state."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page or 1, 1), pages)
    return items[(page - 1) * per_page:page * per_page], Page(page, pages)
