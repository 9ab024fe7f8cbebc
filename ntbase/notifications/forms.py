from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class PreferencesForm(FlaskForm):
    email = BooleanField(_l("By e-mail, to my account's address"))
    sms = BooleanField(_l("By SMS, to my mobile number"))
