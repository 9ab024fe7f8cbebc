"""The player's texts come translated with the heartbeat answer."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from ntbase.learning.messages import player_text, still_here_button
from ntbase.learning.tracking import Message

SHOWN = [Message.SEEK_REFUSED, Message.PAUSED_ELSEWHERE, Message.STILL_HERE, Message.NOT_STARTED, Message.HIDDEN]


@pytest.mark.parametrize("message", SHOWN)
def test_every_shown_message_has_a_chinese_text(app_ctx, message):
    with force_locale("en"):
        english = player_text(message)
    with force_locale("zh_CN"):
        chinese = player_text(message)
    assert english and chinese and chinese != english


@pytest.mark.parametrize("message", [Message.OK, Message.STALE])
def test_quiet_answers_show_nothing(app_ctx, message):
    assert player_text(message) == ""


def test_the_confirm_button(app_ctx):
    with force_locale("zh_CN"):
        assert still_here_button() == "我还在"
