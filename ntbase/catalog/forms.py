"""Course forms. The course form is built per base: its fee items, teachers and rooms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ntbase.bases.forms import MultiCheckboxField
from ntbase.catalog.models import CourseMode
from ntbase.kernel.enums import PROFESSION_SERIES, Category, TitleLevel

REQUIRED = _l("This field is required.")
BLANK_SESSION_ROWS = 3


class SessionForm(Form):
    """One row of the schedule; a row left blank is ignored."""
    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("Starts"), validators=[Optional()])
    end = TimeField(_l("Ends"), validators=[Optional()])
    room_id = SelectField(_l("Room"), choices=[], validate_choice=False)

    def is_blank(self) -> bool:
        return not (self.day.data or self.start.data or self.end.data)


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    category = SelectField(_l("Category"), choices=Category.choices)
    mode = SelectField(_l("Mode"), choices=CourseMode.choices)
    profession_series = MultiCheckboxField(_l("Profession series"), choices=PROFESSION_SERIES,
                                           render_kw={"class": "checks"},
                                           description=_l("None ticked: open to every series."))
    staff_levels = MultiCheckboxField(_l("Staff levels"), choices=TitleLevel.choices, render_kw={"class": "checks"},
                                      description=_l("None ticked: open to every level."))
    teacher_ids = MultiCheckboxField(_l("Teachers"), choices=[], coerce=int, render_kw={"class": "checks"})
    room_id = SelectField(_l("Teaching location and room"), choices=[], validate_choice=False,
                          description=_l("Required for in-person courses; sessions use it unless they name another room."))
    sessions = FieldList(FormField(SessionForm), min_entries=1)
    hours = StringField(_l("Hours (学时)"), render_kw={"inputmode": "decimal"},
                        description=_l("Leave empty for the Art. 17 default: days × 6 hours (× 8 for high-level talent "
                                       "training). You may declare fewer hours, never more. Online courses declare "
                                       "their hours."))
    is_talent_training = BooleanField(_l("Run as city high-level talent training (8 hours a day)"))
    capacity = IntegerField(_l("Capacity"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=10000)],
                            render_kw={"inputmode": "numeric", "min": 1})
    enroll_opens_at = DateTimeLocalField(_l("Enrollment opens"), format="%Y-%m-%dT%H:%M",
                                         validators=[Optional()], description=_l("Empty = from now on."))
    enroll_closes_at = DateTimeLocalField(_l("Enrollment closes"), format="%Y-%m-%dT%H:%M",
                                          validators=[Optional()],
                                          description=_l("At the latest when the first session starts; empty = then."))
    refund_policy = TextAreaField(_l("Refund policy of this course"), validators=[Length(max=5000)],
                                  description=_l("Empty: the base's refund policy applies."))
    refund_cutoff_hours = IntegerField(_l("Cancel with refund until (hours before the first session)"), default=24,
                                       validators=[InputRequired(REQUIRED), NumberRange(min=0, max=2160)])
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=20000)],
                                   render_kw={"rows": 8},
                                   description=_l("Plain text or Markdown: **bold**, lists with -, links. HTML is removed."))
    # shown only when the price is far above the base's usual ones (#15.13)
    confirm_price = BooleanField(_l("Yes, this price is right"))
    change_reason = TextAreaField(_l("Reason for the change"), validators=[Length(max=2000)],
                                  description=_l("Needed when learners have enrolled and you change the price, schedule "
                                                 "or place, or cut the hours; each of them is notified."))


def course_form_class(fee_items):
    """A CourseForm with one quantity field per declared fee item (``fee_<id>``)."""
    attrs = {}
    for item in fee_items:
        attrs[f"fee_{item.id}"] = IntegerField(
            item.name, default=0, validators=[Optional(), NumberRange(min=0, max=1000)],
            render_kw={"inputmode": "numeric", "min": 0})
    return type("BaseCourseForm", (CourseForm,), attrs)


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           description=_l("Enrolled learners are notified and read this reason."))


class ActionForm(FlaskForm):
    """CSRF only (publish, close)."""


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file (.csv, .xlsx)"), render_kw={"accept": ".csv,.xlsx"},
                     description=_l("At most 5 MB and 300 courses. Use the template: one course per row. A CSV saved "
                                    "by Excel or WPS (UTF-8 or GBK) is fine."))


class ConfirmImportForm(FlaskForm):
    payload = HiddenField()


class CatalogFilterForm(Form):
    """GET filters of the public catalog (no CSRF: nothing is written)."""
    q = StringField(_l("Keyword"), render_kw={"type": "search", "placeholder": _l("e.g. 安全, 人工智能, a teacher's name")})
    base = SelectField(_l("Base"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=lambda: [("", _l("All"))] + Category.choices(), validate_choice=False)
    mode = SelectField(_l("Mode"), choices=lambda: [("", _l("All"))] + CourseMode.choices(), validate_choice=False)
    month = StringField(_l("Month"), render_kw={"type": "month"})
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    price_min = StringField(_l("Price from (yuan)"), render_kw={"inputmode": "decimal"})
    price_max = StringField(_l("Price up to (yuan)"), render_kw={"inputmode": "decimal"})
    staff_level = SelectField(_l("Staff level"), choices=lambda: [("", _l("All"))] + TitleLevel.choices(),
                              validate_choice=False)
    profession = SelectField(_l("Profession series"), choices=[("", _l("All"))] + PROFESSION_SERIES,
                             validate_choice=False)
    seats_left = BooleanField(_l("Seats left only"))
    include_past = BooleanField(_l("Include past courses"))
    sort = SelectField(_l("Sort by"), choices=[("start", _l("Start date")), ("price", _l("Price, lowest first")),
                                               ("-price", _l("Price, highest first"))], validate_choice=False)

