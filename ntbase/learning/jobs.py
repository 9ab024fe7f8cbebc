"""Learning's background jobs: exams whose time ran out are graded within a minute, with
what the learner saved before the deadline, even if the page was closed."""
from __future__ import annotations

from ntbase.kernel.jobs import every_minute, job
from ntbase.learning import exams


@job("learning.close-exams", periodic=every_minute)
def close_exams_every_minute() -> None:
    exams.close_expired()
