from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("This field is required.")


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form anyone may submit

    code = StringField(_l("Certificate or statement code"), validators=[DataRequired(REQUIRED)],
                       description=_l("15 characters, e.g. 7KQ2M-XH4PA-Z9R3C. Case, spaces and dashes do not matter."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "maxlength": 40})


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(REQUIRED), Length(max=500)])


class NameForm(FlaskForm):
    holder_name = StringField(_l("Corrected name"), validators=[DataRequired(REQUIRED), Length(max=50)])


class ReissueForm(FlaskForm):
    pass
