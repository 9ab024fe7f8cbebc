"""How the catalog reacts to the others' events."""
from __future__ import annotations

from ntbase.bases.events import TeacherRenamed
from ntbase.catalog import services
from ntbase.kernel.events import subscribe


@subscribe(TeacherRenamed)
def refresh_search_text(event: TeacherRenamed) -> None:
    """Keyword search finds courses by their teachers' names: rebuild it for the renamed one."""
    services.refresh_search_text_for_teacher(event.teacher_id)
