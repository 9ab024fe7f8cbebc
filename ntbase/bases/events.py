"""What the bases domain tells the others."""
from __future__ import annotations

from dataclasses import dataclass

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class TeacherRenamed(Event):
    teacher_id: int
