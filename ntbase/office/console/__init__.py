"""The /office home: a thin read layer over the rooms' counts."""
from ntbase.office.console.services import console_counts

__all__ = ["console_counts"]
