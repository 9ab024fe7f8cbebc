from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ntbase.kernel.enums import BaseLevel, CertificationStatus, TitleLevel
from ntbase.office.web import REQUIRED, CheckboxList


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
