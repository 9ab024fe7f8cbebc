"""Statistics: enrollments per month, hours by category, compliance by employer and profession."""
from ntbase.office.stats.services import (
    compliance_shares,
    enrollments_by_month,
    export_table,
    hours_by_category,
)

__all__ = ["compliance_shares", "enrollments_by_month", "export_table", "hours_by_category"]
