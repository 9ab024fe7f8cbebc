from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ntbase.office.tokens.services import SCOPES
from ntbase.office.web import REQUIRED, CheckboxList


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                       description=_l("Which system uses it, e.g. 职称申报系统."))
    scopes = CheckboxList(_l("Permissions"), choices=lambda: [(k, str(v)) for k, v in SCOPES.items()],
                          render_kw={"class": "check-list"})
    days = IntegerField(_l("Valid for (days)"), default=90,
                        validators=[Optional(), NumberRange(1, 366, _l("Between 1 and 366 days."))],
                        description=_l("Every token expires; create a new one before it does."))
