"""The title office and HR bureau console."""
from ntbase.office import audit_actions  # noqa: F401  (labels of the office's audit codes)
