"""How the attendance domain reacts to the others' events."""
from __future__ import annotations

from ntbase.attendance import services
from ntbase.catalog.events import SessionsRemoved
from ntbase.kernel.events import subscribe


@subscribe(SessionsRemoved)
def keep_sessions_with_attendance(event: SessionsRemoved) -> None:
    """Attendance records point at their session: such a session cannot be removed."""
    services.refuse_removing_attended_sessions(event.session_ids)
