from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ntbase.office.web import REQUIRED


class PersonLookupForm(FlaskForm):
    id_number = StringField(_l("Full ID number"), validators=[DataRequired(REQUIRED)],
                            description=_l("All 18 characters. Partial numbers are not searched. The look-up is "
                                           "recorded and the person can see it."),
                            render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false"})


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to reject; the learner sees it)"),
                           validators=[Length(max=2000)], render_kw={"rows": 2})
