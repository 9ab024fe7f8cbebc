"""How the complaints room reacts to events: the learner hears that their complaint was answered."""
from __future__ import annotations

from ntbase.kernel.events import subscribe
from ntbase.notifications import services as notifications
from ntbase.office.complaints.events import ComplaintAnswered


@subscribe(ComplaintAnswered)
def tell_answered(event: ComplaintAnswered) -> None:
    notifications.notify(event.learner_id, "complaint_answered", link=f"/me/complaints/{event.complaint_id}",
                         subject=event.subject)
