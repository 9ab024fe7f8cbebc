"""Complaints (Art. 29): filed by learners, handled and answered by the office within 30 days."""
from ntbase.office.complaints.schemas import ComplaintInput
from ntbase.office.complaints.services import (
    base_complaint_figures,
    complaint_attachment,
    file_complaint,
    learner_complaints,
    load_complaint,
    office_complaints,
    open_count,
    transition_complaint,
)

__all__ = ["ComplaintInput", "base_complaint_figures", "complaint_attachment", "file_complaint",
           "learner_complaints", "load_complaint", "office_complaints", "open_count", "transition_complaint"]
