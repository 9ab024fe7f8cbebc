from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from ntbase.kernel.bounds import MAX_ID


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail, name or user number)"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    subject = IntegerField(_l("Subject (user number)"), validators=[Optional(), NumberRange(1, MAX_ID)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
