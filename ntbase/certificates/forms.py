from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("This field is required.")


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(REQUIRED), Length(max=500)])


class NameForm(FlaskForm):
    holder_name = StringField(_l("Corrected name"), validators=[DataRequired(REQUIRED), Length(max=50)])


class ReissueForm(FlaskForm):
    pass
