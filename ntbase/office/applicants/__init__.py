"""Title applicants (notice §4) and the postponement of their title certificate."""
from ntbase.office.applicants.services import (
    ApplicantRow,
    applicant_rows,
    applicant_table,
    get_application,
    postponed_count,
    recheck_applicants,
    record_proof,
    register_applicant,
)

__all__ = ["ApplicantRow", "applicant_rows", "applicant_table", "get_application", "postponed_count",
           "recheck_applicants", "record_proof", "register_applicant"]
