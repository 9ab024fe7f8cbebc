"""Forms for the Art. 22 disclosure (labels lazily translated; rules live in services)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from ntbase.kernel.enums import Category, TitleLevel

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScopeForm(FlaskForm):
    subjects = MultiCheckboxField(_l("Subjects offered"), choices=Category.choices,
                                  render_kw={"class": "checks"})
    staff_levels = MultiCheckboxField(_l("Staff levels served"), choices=TitleLevel.choices,
                                      render_kw={"class": "checks"})
    scope_text = TextAreaField(_l("Scope of training"), validators=[DataRequired(REQUIRED), Length(max=5000)],
                               description=_l("What you train, for whom, and how (classes, online, practice)."))
    terms_text = TextAreaField(_l("Terms and times"), validators=[DataRequired(REQUIRED), Length(max=5000)],
                               description=_l("Terms or periods of the year, days of the week, usual hours."))


class RefundPolicyForm(FlaskForm):
    refund_policy = TextAreaField(_l("Refund policy"), validators=[DataRequired(REQUIRED), Length(max=5000)],
                                  description=_l("When and how much learners get back if they cancel."))


class FeeItemForm(FlaskForm):
    name = StringField(_l("Fee item"), validators=[DataRequired(REQUIRED), Length(max=100)])
    amount_yuan = StringField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED)],
                              render_kw={"inputmode": "decimal", "placeholder": "200.00"})
    unit = StringField(_l("Unit"), validators=[DataRequired(REQUIRED), Length(max=50)],
                       description=_l("e.g. per person, per hour, per term"))
    covers = StringField(_l("What it covers"), validators=[DataRequired(REQUIRED), Length(max=300)])


class TeacherForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=50)])
    title = StringField(_l("Professional title"), validators=[DataRequired(REQUIRED), Length(max=100)],
                        description=_l("e.g. 教授, 副教授, 高级工程师"))
    organisation = StringField(_l("Organisation"), validators=[DataRequired(REQUIRED), Length(max=200)])
    subjects = StringField(_l("Subjects taught"), validators=[DataRequired(REQUIRED), Length(max=300)])
    bio = TextAreaField(_l("Short biography"), validators=[Length(max=2000)])


class ManagerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=50)])
    duty = StringField(_l("Duty"), validators=[DataRequired(REQUIRED), Length(max=100)])
    contact = StringField(_l("Contact"), validators=[DataRequired(REQUIRED), Length(max=100)],
                          description=_l("An office phone or e-mail learners may use."))


class LocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    address = StringField(_l("Address"), validators=[DataRequired(REQUIRED), Length(max=300)])
    facilities = TextAreaField(_l("Facilities"), validators=[DataRequired(REQUIRED), Length(max=3000)],
                               description=_l("Equipment, computers, accessibility, parking, canteen…"))


class RoomForm(FlaskForm):
    name = StringField(_l("Room"), validators=[DataRequired(REQUIRED), Length(max=100)])
    seats = IntegerField(_l("Seats"), validators=[DataRequired(REQUIRED), NumberRange(min=1, max=10000)],
                         render_kw={"inputmode": "numeric", "min": 1})


class RetireForm(FlaskForm):
    """CSRF only."""

