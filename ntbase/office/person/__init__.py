"""A person's record by full ID number (Art. 27), and the yearly assessment of many learners."""
from ntbase.office.person.services import (
    assess_many,
    get_learner,
    lookup_person,
    parse_full_id,
    parse_period,
    period_check,
    person_record,
    review_external,
)

__all__ = ["assess_many", "get_learner", "lookup_person", "parse_full_id", "parse_period", "period_check",
           "person_record", "review_external"]
