from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ntbase.office.web import REQUIRED


class ComplaintForm(FlaskForm):
    target = RadioField(_l("The complaint is about"), choices=[
        ("base", _l("A training base")), ("employer", _l("An employer"))], default="base",
        render_kw={"class": "check-list"})
    base_id = SelectField(_l("Training base"), coerce=int, validators=[Optional()])
    employer_name = StringField(_l("Employer's name"), validators=[Length(max=200)])
    subject = StringField(_l("In a few words"), validators=[DataRequired(REQUIRED), Length(max=200)])
    details = TextAreaField(_l("What happened"), validators=[DataRequired(REQUIRED), Length(max=10000)],
                            render_kw={"rows": 6})
    attachments = MultipleFileField(_l("Attachments (optional)"),
                                    description=_l("Up to 5 files: PDF, JPEG or PNG, at most 10 MB each."),
                                    render_kw={"accept": ".pdf,.jpg,.jpeg,.png"})


class TransitionForm(FlaskForm):
    to = SelectField(_l("Move to"), choices=[("in_progress", _l("In progress")), ("answered", _l("Answered"))])
    answer = TextAreaField(_l("Answer to the learner"), validators=[Length(max=10000)], render_kw={"rows": 5})
    note = StringField(_l("Internal note"), validators=[Length(max=500)])
