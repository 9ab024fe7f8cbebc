"""Course ratings by learners who completed the course."""
from ntbase.office.ratings.services import (
    base_rating_figures,
    completed_enrollment,
    existing_rating,
    rate_course,
)

__all__ = ["base_rating_figures", "completed_enrollment", "existing_rating", "rate_course"]
