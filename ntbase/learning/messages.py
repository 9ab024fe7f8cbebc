"""The player's messages in the learner's language, for the heartbeat answer's ``text``.

Kept apart from ntbase.learning.tracking, which stays free of Flask.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ntbase.learning.tracking import Message


def player_text(message: Message) -> str:
    """What the player shows for an answer; empty when it shows nothing."""
    if message is Message.SEEK_REFUSED:
        return _("You can only skip to the furthest point you have watched. "
                 "The video has gone back there.")
    if message is Message.PAUSED_ELSEWHERE:
        return _("This lesson was paused because you started playing in another window or on "
                 "another device. Press play to continue here.")
    if message is Message.STILL_HERE:
        return _("Are you still here? Your study time is not counted until you confirm.")
    if message is Message.NOT_STARTED:
        return _("Press play to start counting your study time.")
    if message is Message.HIDDEN:
        return _("Study time counts only while this page is in front.")
    return ""


def still_here_button() -> str:
    return _("I'm still here")
