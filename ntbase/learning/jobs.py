"""Learning's background jobs (to be written: closing exams whose time ran out)."""
from __future__ import annotations
