"""Forms of the employer pages, the learner's “My employer” page and the office's."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ntbase.employers.models import DISTRICTS, EmployerKind

REQUIRED = _l("This field is required.")
FILE_ACCEPT = {"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
CATEGORY_CHOICES = [("public", _l("Public subject")), ("specialized", _l("Specialized subject")),
                    ("elective", _l("Personal elective"))]


def _kind_choices():
    return EmployerKind.choices()


class RegisterEmployerForm(FlaskForm):
    name = StringField(_l("Registered name of the employer (单位名称)"),
                       validators=[DataRequired(REQUIRED), Length(max=200)],
                       description=_l("Exactly as on the business licence or registration certificate."))
    uscc = StringField(_l("Unified social credit code (统一社会信用代码)"), validators=[DataRequired(REQUIRED)],
                       description=_l("18 characters; the last one is a check character."),
                       render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false"})
    kind = SelectField(_l("Type of employer"), choices=_kind_choices)
    district = SelectField(_l("District"), choices=DISTRICTS)
    address = StringField(_l("Address"), validators=[Length(max=200)])
    contact_name = StringField(_l("HR contact"), validators=[DataRequired(REQUIRED), Length(max=50)])
    contact_phone = StringField(_l("Contact telephone"), validators=[DataRequired(REQUIRED), Length(max=20)],
                                render_kw={"inputmode": "tel", "autocomplete": "tel"})
    admin_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    admin_email = EmailField(_l("Your e-mail (your log-in)"),
                             validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address."))],
                             render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)],
                             description=_l("At least 10 characters, mixing letters and digits or symbols."),
                             render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(_l("Repeat password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", _l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"})


class ContactForm(FlaskForm):
    contact_name = StringField(_l("HR contact"), validators=[DataRequired(REQUIRED), Length(max=50)])
    contact_phone = StringField(_l("Contact telephone"), validators=[DataRequired(REQUIRED), Length(max=20)],
                                render_kw={"inputmode": "tel"})
    district = SelectField(_l("District"), choices=DISTRICTS)
    address = StringField(_l("Address"), validators=[Length(max=200)])


class AddAdminForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address."))],
                       description=_l("They receive a link to choose their password."))


class InviteForm(FlaskForm):
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(REQUIRED)],
                            description=_l("The full 18-character number. It is matched exactly and never shown "
                                           "in full again."),
                            render_kw={"autocomplete": "off", "maxlength": 18, "inputmode": "text"})
    department = StringField(_l("Department (optional)"), validators=[Length(max=100)])
    started_on = DateField(_l("Works here since (optional)"), validators=[Optional()])


class JoinForm(FlaskForm):
    code = StringField(_l("Join code from your HR office"), validators=[DataRequired(REQUIRED), Length(max=20)],
                       render_kw={"autocomplete": "off", "maxlength": 20, "spellcheck": "false"})


class ActionForm(FlaskForm):
    """A CSRF-protected button."""


class EndMembershipForm(FlaskForm):
    ended_on = DateField(_l("Last day"), validators=[Optional()])
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=300)])


class DepartmentForm(FlaskForm):
    department = StringField(_l("Department"), validators=[Length(max=100)])


class SelfStudyForm(FlaskForm):
    title = StringField(_l("What was studied"), validators=[DataRequired(REQUIRED), Length(max=200)])
    start_date = DateField(_l("First day"), validators=[Optional()])
    end_date = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Self-study spanning two years counts in the year it ends."))
    hours = StringField(_l("Hours it converts into"), validators=[DataRequired(REQUIRED), Length(max=10)],
                        render_kw={"inputmode": "decimal"},
                        description=_l("At most 1/3 of the year's requirement (30 of 90 hours) counts."))
    plan = TextAreaField(_l("The plan (有计划)"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                         render_kw={"rows": 3})
    organisation = TextAreaField(_l("How it was organised (有组织)"),
                                 validators=[DataRequired(REQUIRED), Length(max=2000)], render_kw={"rows": 3})
    examination = TextAreaField(_l("How it was examined, and the result (有考核)"),
                                validators=[DataRequired(REQUIRED), Length(max=2000)], render_kw={"rows": 3})
    evidence = FileField(_l("Evidence (PDF, JPEG or PNG, at most 10 MB)"), render_kw=FILE_ACCEPT)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GroupForm(FlaskForm):
    course_id = HiddenField()
    learner_ids = MultiCheckboxField(_l("Staff to enroll"), coerce=int, validate_choice=False)


class PayForm(FlaskForm):
    invoice_title = StringField(_l("Invoice title (发票抬头)"), validators=[Length(max=200)],
                                description=_l("The employer's registered name unless you change it."))
    invoice_taxpayer_no = StringField(_l("Taxpayer number (纳税人识别号)"), validators=[Length(max=25)],
                                      description=_l("The unified social credit code unless you change it."),
                                      render_kw={"autocomplete": "off", "maxlength": 25})


class ConsentForm(FlaskForm):
    consented_on = DateField(_l("Date the learner consented"), validators=[Optional()])
    contract = FileField(_l("Signed service contract (PDF, JPEG or PNG, at most 10 MB)"), render_kw=FILE_ACCEPT)
    note = StringField(_l("Note (optional)"), validators=[Length(max=300)])


class PlanItemForm(FlaskForm):
    topic = StringField(_l("Topic"), validators=[DataRequired(REQUIRED), Length(max=200)])
    category = SelectField(_l("Kind of content"), choices=CATEGORY_CHOICES)
    target_staff = StringField(_l("Target staff"), validators=[DataRequired(REQUIRED), Length(max=200)])
    planned_hours = StringField(_l("Planned hours"), validators=[DataRequired(REQUIRED), Length(max=10)],
                                render_kw={"inputmode": "decimal"})
    budget = StringField(_l("Budget (yuan)"), validators=[Length(max=20)], render_kw={"inputmode": "decimal"})


class PlanSubmitForm(FlaskForm):
    confirm = BooleanField(_l("The plan is complete; submit it to the HR bureau"))


class ReportForm(FlaskForm):
    note = TextAreaField(_l("Note to the HR bureau (optional)"), validators=[Length(max=4000)],
                         render_kw={"rows": 4})


class RecoveryForm(FlaskForm):
    amount = StringField(_l("Amount to repay (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20)],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           description=_l("The learner reads it, for example “did not attend; the service "
                                          "contract provides for repayment”."), render_kw={"rows": 3})


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           render_kw={"rows": 3})


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           description=_l("The employer's administrators read it."), render_kw={"rows": 3})


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("acknowledge", _l("Acknowledge")),
                                                   ("comment", _l("Comment: ask for a revision"))],
                          default="acknowledge")
    comment = TextAreaField(_l("Comment"), validators=[Length(max=4000)], render_kw={"rows": 3})
