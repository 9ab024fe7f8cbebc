"""(to be written) routes on the learning blueprint."""
from __future__ import annotations

from ntbase.learning.blueprint import bp

__all__ = ["bp"]
