"""State machines with a history: one way to change a state, one shape of history row.

Enrollments, payments, refunds, complaints, certificates and bases each have a state and a
table of its changes. ``StateHistoryMixin`` gives those tables the same columns (from,
to, who, why, when) and ``StateMachine`` the same rules:

- a change that ``allowed`` does not list raises the machine's ``illegal`` error and
  changes nothing;
- the change is a compare-and-set at the database (``UPDATE … WHERE id = :id AND
  state = :from``), so of two requests racing on one row exactly one wins and the other
  gets the machine's ``concurrent`` error;
- every change writes one history row.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ntbase.kernel.db import compare_and_set, db, now
from ntbase.kernel.errors import DomainError


class StateHistoryMixin:
    """Columns of a state-history row; the owning table adds its foreign key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(default=now)

    @declared_attr
    def actor_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy's declared_attr signature
        return mapped_column(sa.ForeignKey("user.id"))


class StateMachine:
    """The allowed changes of one model's ``state`` column and the table that records them.

    ``owner_key`` is the history table's column naming the changed row (``enrollment_id``).
    """

    def __init__(self, *, history: type, owner_key: str,
                 allowed: Mapping[enum.Enum | None, frozenset],
                 illegal: Callable[[enum.Enum | None, enum.Enum], DomainError],
                 concurrent: Callable[[], DomainError]):
        self.history = history
        self.owner_key = owner_key
        self.allowed = allowed
        self.illegal = illegal
        self.concurrent = concurrent

    def can(self, frm: enum.Enum | None, to: enum.Enum) -> bool:
        return to in self.allowed.get(frm, frozenset())

    def record(self, obj, frm: enum.Enum | None, to: enum.Enum, actor_id: int | None, reason: str,
               at: datetime | None = None, **extra: Any):
        row = self.history(**{self.owner_key: obj.id}, from_state=frm.value if frm is not None else None,
                           to_state=to.value, actor_id=actor_id, reason=(reason or "")[:2000],
                           at=at or now(), **extra)
        db.session.add(row)
        return row

    def transition(self, obj, to: enum.Enum, actor_id: int | None, reason: str, at: datetime | None = None,
                   *, history: Mapping[str, Any] | None = None, **values: Any):
        """Move ``obj`` to ``to`` (and set column ``values``), or raise and change nothing."""
        frm = obj.state
        if not self.can(frm, to):
            raise self.illegal(frm, to)
        at = at or now()
        if hasattr(type(obj), "updated_at"):
            values["updated_at"] = at
        if not compare_and_set(obj, frm, to, **values):
            raise self.concurrent()
        self.record(obj, frm, to, actor_id, reason, at, **(history or {}))
        return obj
