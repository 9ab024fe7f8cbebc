"""How the employers domain reacts to the others' events."""
from __future__ import annotations

from ntbase.employers import services
from ntbase.hours.events import YearlyStatusChanged
from ntbase.kernel.events import subscribe


@subscribe(YearlyStatusChanged)
def staff_lists_follow_the_kept_status(event: YearlyStatusChanged) -> None:
    """A member's verdict moved: their employer's kept staff counts are worked out again."""
    services.staff_status_changed(event.learner_ids)
