from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

REQUIRED = _l("This field is required.")


class ScanForm(FlaskForm):
    """Staff check a learner in by the token (or whole URL) read from their QR."""

    token = StringField(_l("Learner's check-in code"), validators=[DataRequired(REQUIRED)],
                        description=_l("Scan the learner's QR with this phone, or paste the link it contains."),
                        render_kw={"autocomplete": "off", "autofocus": True})


class AssessmentForm(FlaskForm):
    score = IntegerField(_l("Score"), validators=[
        Optional(), NumberRange(0, 100, _l("Enter a score from 0 to 100."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 100})


class ConfirmForm(FlaskForm):
    """A bare POST with a CSRF token (check-in confirmations, completion buttons)."""
