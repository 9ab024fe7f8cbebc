from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ntbase.kernel.bounds import MAX_ID
from ntbase.kernel.enums import BaseLevel, CertificationStatus, TitleLevel

REQUIRED = _l("This field is required.")


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BulkUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file of codes"),
                     description=_l("One code per row, in a column headed “证书编号” (or “code”). Optional "
                                    "columns “姓名” and “身份证号” are cross-checked. At most 100,000 rows "
                                    "and 20 MB."),
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class PersonLookupForm(FlaskForm):
    id_number = StringField(_l("Full ID number"), validators=[DataRequired(REQUIRED)],
                            description=_l("All 18 characters. Partial numbers are not searched. The look-up is "
                                           "recorded and the person can see it."),
                            render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false"})


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to reject; the learner sees it)"),
                           validators=[Length(max=2000)], render_kw={"rows": 2})


class ApplicantForm(FlaskForm):
    id_number = StringField(_l("Applicant's full ID number"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false"})
    year = IntegerField(_l("Year"), validators=[DataRequired(REQUIRED), NumberRange(2011, 2100)])
    committee = SelectField(_l("Review committee"), choices=[
        ("nantong", _l("Nantong review committee")), ("entrusted", _l("Entrusted to another committee"))])
    committee_name = StringField(_l("Committee name"), validators=[Length(max=200)],
                                 description=_l("Required when the review is entrusted elsewhere."))


class ProofForm(FlaskForm):
    note = StringField(_l("Proof received"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                       description=_l("E.g. the training certificate's number and date."))


def _levels():
    return [(t.value, t.title) for t in TitleLevel]


class CertifyForm(FlaskForm):
    level = SelectField(_l("Level"), choices=lambda: [(b.value, b.title) for b in BaseLevel])
    staff_levels = CheckboxList(_l("Staff levels it serves"), choices=_levels, render_kw={"class": "check-list"},
                                description=_l("Art. 24: city-level bases mainly train senior and intermediate "
                                               "staff, county-level bases intermediate and junior."))
    is_talent_base = BooleanField(_l("City high-level talent training base (its talent courses count 8 h/day)"))
    reason = StringField(_l("Decision or note"), validators=[Length(max=500)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=lambda: [(s.value, s.title) for s in CertificationStatus])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2},
                           description=_l("Required to suspend or revoke; shown to the base."))


class AssessmentForm(FlaskForm):
    period_start = DateField(_l("Period from"), validators=[DataRequired(REQUIRED)])
    period_end = DateField(_l("Period to"), validators=[DataRequired(REQUIRED)])
    rating = SelectField(_l("Result"), choices=[
        ("excellent", _l("Excellent")), ("qualified", _l("Qualified")),
        ("needs_improvement", _l("Needs improvement")), ("unqualified", _l("Unqualified"))])
    conclusion = TextAreaField(_l("Conclusion"), validators=[DataRequired(REQUIRED), Length(max=5000)],
                               render_kw={"rows": 4})


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


class RatingForm(FlaskForm):
    stars = RadioField(_l("Your rating"), choices=[(str(i), "★" * i) for i in range(5, 0, -1)],
                       validators=[DataRequired(_l("Choose 1 to 5 stars."))], render_kw={"class": "check-list stars"})
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)], render_kw={"rows": 4})


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                       description=_l("Which system uses it, e.g. 职称申报系统."))
    scopes = CheckboxList(_l("Permissions"), render_kw={"class": "check-list"})
    days = IntegerField(_l("Valid for (days)"), default=90,
                        validators=[Optional(), NumberRange(1, 366, _l("Between 1 and 366 days."))],
                        description=_l("Every token expires; create a new one before it does."))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail, name or user number)"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    subject = IntegerField(_l("Subject (user number)"), validators=[Optional(), NumberRange(1, MAX_ID)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
