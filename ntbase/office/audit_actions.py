"""What the office's actions are called in the audit log (office staff and the person read them)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ntbase.kernel.audit import register_actions

register_actions({
    "person.view": _l("Viewed the person's record"),
    "person.lookup": _l("Looked up a person by ID number"),
    "person.lookup_miss": _l("Looked up an ID number with no account"),
    "person.print": _l("Printed the appointment-period check"),
    "person.entry_review": _l("Reviewed an external activity"),
    "api.person_assessment": _l("Read the yearly assessment through the API"),
    "api.verify_bulk": _l("Verified codes through the API"),
    "bulk.upload": _l("Uploaded a bulk verification file"),
    "bulk.download": _l("Downloaded bulk verification results"),
    "applicant.register": _l("Registered a title applicant"),
    "applicant.recheck": _l("Re-checked title applicants"),
    "applicant.proof": _l("Recorded public-hours proof"),
    "applicant.export": _l("Exported the title applicants"),
    "base.certify": _l("Certified a base"),
    "base.status": _l("Changed a base's certification"),
    "base.assess": _l("Recorded a base assessment"),
    "complaint.transition": _l("Handled a complaint"),
    "complaint.view": _l("Viewed a complaint"),
    "complaint.file": _l("Opened a complaint's attachment"),
    "token.create": _l("Created an API token"),
    "token.revoke": _l("Revoked an API token"),
    "stats.export": _l("Exported statistics"),
})
