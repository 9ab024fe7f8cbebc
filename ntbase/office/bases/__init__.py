"""Bases for the HR bureau: certification and its status (Art. 24/26), periodic assessments
with their figures (Art. 28)."""
from ntbase.office.bases.services import (
    FIGURE_LABELS,
    base_assessments,
    base_figures,
    certify_base,
    office_bases,
    record_assessment,
    set_base_status,
)

__all__ = ["FIGURE_LABELS", "base_assessments", "base_figures", "certify_base", "office_bases",
           "record_assessment", "set_base_status"]
