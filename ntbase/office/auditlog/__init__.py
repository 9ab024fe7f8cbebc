"""The audit search for admins, and the learner's view of who looked at their data."""
from ntbase.office.auditlog.services import AuditFilter, search

__all__ = ["AuditFilter", "search"]
