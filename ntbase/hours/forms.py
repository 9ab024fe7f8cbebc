"""Forms of the hours pages. Numbers are typed as text and parsed by the services, so a wrong
number gets a translated message next to its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

REQUIRED = _l("This field is required.")


def category_choices():
    return [("public", _l("Public subject")), ("specialized", _l("Specialized subject")),
            ("elective", _l("Personal elective"))]


def entry_kind_choices():
    return [("conference", _l("Academic conference")),
            ("training_class", _l("Training class, refresher class or lecture elsewhere")),
            ("talent_base_training", _l("Training at a city high-level-talent training base")),
            ("online_course", _l("Online course elsewhere")),
            ("self_study", _l("Self-study (hours converted by the employer)")),
            ("transfer", _l("Hours earned in the Yangtze River Delta"))]


def conference_level_choices():
    return [("", _l("— level —")), ("international", _l("International (10 h/day)")),
            ("national", _l("National (10 h/day)")), ("regional", _l("Regional (10 h/day)")),
            ("local", _l("Below regional level (6 h/day)"))]


def region_choices():
    return [("", _l("— region —")), ("shanghai", _l("Shanghai")), ("jiangsu", _l("Jiangsu")),
            ("zhejiang", _l("Zhejiang")), ("anhui", _l("Anhui")),
            ("other", _l("Outside the Yangtze River Delta (not counted)"))]


def exemption_kind_choices():
    return [("award", _l("Science and technology progress award")),
            ("book", _l("Monograph or translation published")),
            ("degree", _l("Degree in the national education series")),
            ("papers", _l("Papers published")),
            ("exam_passed", _l("Professional title or qualification exam passed")),
            ("public_round_certificate", _l("Public-course round certificate"))]


def award_level_choices():
    return [("", _l("— level —")), ("national", _l("National")), ("provincial", _l("Provincial")),
            ("city", _l("City (bureau)")), ("county", _l("County"))]


def grade_choices():
    return [("", _l("— class —")), ("1", _l("1st class")), ("2", _l("2nd class")),
            ("3", _l("3rd class")), ("4", _l("4th class"))]


class EntryForm(FlaskForm):
    kind = SelectField(_l("What did you do?"), choices=entry_kind_choices)
    title = StringField(_l("Name of the activity"), validators=[DataRequired(REQUIRED), Length(max=200)])
    organizer = StringField(_l("Organiser"), validators=[Length(max=200)])
    start_date = DateField(_l("First day"), validators=[Optional()])
    end_date = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("An activity spanning two years counts in the year it ends."))
    level = SelectField(_l("Conference level"), choices=conference_level_choices)
    days = StringField(_l("Days attended"), render_kw={"inputmode": "decimal"},
                       description=_l("Half days count half (e.g. 1.5)."))
    region = SelectField(_l("Where were the hours earned?"), choices=region_choices)
    hours = StringField(_l("Hours"), render_kw={"inputmode": "decimal"},
                        description=_l("For online courses, self-study and transferred hours."))
    category = SelectField(_l("Kind of content"), choices=category_choices, default="specialized")
    evidence = FileField(_l("Evidence (PDF, JPEG or PNG, at most 10 MB)"),
                         render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})


class ExemptionForm(FlaskForm):
    kind = SelectField(_l("What happened?"), choices=exemption_kind_choices)
    title = StringField(lazy_pgettext("exemption", "Description"), validators=[DataRequired(REQUIRED), Length(max=200)],
                        description=_l("e.g. the award's name, the book's title, the exam."))
    year = StringField(_l("Year"), render_kw={"inputmode": "numeric"})
    level = SelectField(_l("Award level"), choices=award_level_choices)
    grade = SelectField(_l("Award class"), choices=grade_choices)
    characters = StringField(_l("Characters you wrote (co-written book)"), render_kw={"inputmode": "numeric"},
                             description=_l("Leave empty for a book you wrote alone."))
    provincial = StringField(_l("Papers in provincial or higher journals"), default="0",
                             render_kw={"inputmode": "numeric"})
    city = StringField(_l("Papers in city-level journals"), default="0", render_kw={"inputmode": "numeric"})
    county = StringField(_l("Papers in county-level journals"), default="0", render_kw={"inputmode": "numeric"})
    round = StringField(_l("Round of the public-course certificate"), render_kw={"inputmode": "numeric"})
    evidence = FileField(_l("Evidence (PDF, JPEG or PNG, at most 10 MB)"),
                         render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})


class PeriodForm(FlaskForm):
    start_year = StringField(_l("First year"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    end_year = StringField(_l("Last year"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "numeric"})


class StatementForm(FlaskForm):
    year = SelectField(_l("Year"), choices=[])


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the learner sees it; required to reject)"), validators=[Length(max=2000)])


class AdjustmentForm(FlaskForm):
    year = StringField(_l("Year"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    hours = StringField(_l("Hours"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "decimal"})
    category = SelectField(_l("Kind of content"), choices=category_choices, default="specialized")
    reason = TextAreaField(_l("Written reason (Art. 17(7))"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class PolicyForm(FlaskForm):
    effective_year = StringField(_l("In force from (year)"), validators=[DataRequired(REQUIRED)])
    required_total = StringField(_l("Required hours per year"), validators=[DataRequired(REQUIRED)])
    required_public = StringField(_l("Required public-subject hours"), validators=[DataRequired(REQUIRED)])
    public_cap_share = StringField(_l("Share of the total that public hours may fill"),
                                   validators=[DataRequired(REQUIRED)], description=_l("A fraction, e.g. 1/3."))
    self_study_cap_share = StringField(_l("Share of the total that self-study may fill"),
                                       validators=[DataRequired(REQUIRED)], description=_l("A fraction, e.g. 1/3."))
    exemptions_cover_public = BooleanField(_l("Exemptions also waive the public-subject minimum"))
    minutes_per_hour = StringField(_l("Minutes of online study that make one hour"), default="45",
                                   render_kw={"inputmode": "numeric"},
                                   description=_l("For online courses: their declared hours may not exceed the "
                                                  "lessons' minutes divided by this number."))
    source = StringField(_l("Source (document and article)"), validators=[Length(max=200)])
    reason = TextAreaField(_l("Reason for the change"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class RoundForm(FlaskForm):
    round = StringField(_l("Round"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    year = StringField(_l("Year whose public subjects it waives"), validators=[DataRequired(REQUIRED)],
                       render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Reason for the change"), validators=[DataRequired(REQUIRED), Length(max=2000)])


# ------------------------------------------------------------------ calculator
# Plain wtforms.Form rows inside the CSRF-protected page form (one token for the page).

def calc_kind_choices():
    return [("", _l("— none —")), ("course", _l("Course (hours)")),
            ("training_class", _l("Training class (6 h/day)")),
            ("talent_base_training", _l("High-level-talent training (8 h/day)")),
            ("conference", _l("Academic conference")), ("self_study", _l("Self-study (hours)")),
            ("transfer", _l("Yangtze River Delta hours"))]


def calc_exemption_choices():
    return [("", _l("— none —"))] + exemption_kind_choices()


class ActivityRow(Form):
    kind = SelectField(_l("Activity"), choices=calc_kind_choices, validate_choice=False)
    category = SelectField(_l("Kind of content"), choices=category_choices, default="specialized",
                           validate_choice=False)
    level = SelectField(_l("Conference level"), choices=conference_level_choices, validate_choice=False)
    region = SelectField(_l("Region"), choices=region_choices, validate_choice=False)
    days = StringField(_l("Days"), render_kw={"inputmode": "decimal"})
    hours = StringField(_l("Hours"), render_kw={"inputmode": "decimal"})


class ExemptionRow(Form):
    kind = SelectField(_l("Exemption"), choices=calc_exemption_choices, validate_choice=False)
    year = StringField(_l("Year"), render_kw={"inputmode": "numeric"})
    level = SelectField(_l("Award level"), choices=award_level_choices, validate_choice=False)
    grade = SelectField(_l("Award class"), choices=grade_choices, validate_choice=False)
    characters = StringField(_l("Characters (co-written book)"), render_kw={"inputmode": "numeric"})
    provincial = StringField(_l("Provincial papers"), render_kw={"inputmode": "numeric"})
    city = StringField(_l("City papers"), render_kw={"inputmode": "numeric"})
    county = StringField(_l("County papers"), render_kw={"inputmode": "numeric"})
    round = StringField(_l("Certificate round"), render_kw={"inputmode": "numeric"})


class CalculatorForm(FlaskForm):
    year = StringField(_l("Year"), validators=[DataRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    activities = FieldList(FormField(ActivityRow), min_entries=4, max_entries=40)
    exemptions = FieldList(FormField(ExemptionRow), min_entries=2, max_entries=10)
    period_start = StringField(_l("Appointment period: first year"), render_kw={"inputmode": "numeric"})
    period_end = StringField(_l("Appointment period: last year"), render_kw={"inputmode": "numeric"})

    def to_request(self) -> dict:
        """The JSON body of POST /api/v1/hours/assess that this form describes."""
        body: dict = {"year": (self.year.data or "").strip(), "activities": [], "exemptions": []}
        # body index -> form row, to put an error next to the row it belongs to
        self.activity_rows, self.exemption_rows = [], []
        for row in self.activities:
            r = row.form
            if not r.kind.data:
                continue
            item: dict = {"kind": r.kind.data}
            if r.kind.data in ("conference", "training_class", "talent_base_training"):
                item["days"] = (r.days.data or "").strip()
            else:
                item["hours"] = (r.hours.data or "").strip()
            if r.kind.data != "self_study":
                item["category"] = r.category.data or "specialized"
            if r.kind.data == "conference":
                item["level"] = r.level.data
            if r.kind.data == "transfer":
                item["region"] = r.region.data
            body["activities"].append(item)
            self.activity_rows.append(r)
        for row in self.exemptions:
            r = row.form
            if not r.kind.data:
                continue
            item = {"kind": r.kind.data}
            if r.kind.data == "public_round_certificate":
                item["round"] = (r.round.data or "").strip()
            elif (r.year.data or "").strip():
                item["year"] = r.year.data.strip()
            if r.kind.data == "award":
                item.update(level=r.level.data, grade=r.grade.data)
            if r.kind.data == "book" and (r.characters.data or "").strip():
                item["characters"] = r.characters.data.strip()
            if r.kind.data == "papers":
                for lvl in ("provincial", "city", "county"):
                    item[lvl] = (getattr(r, lvl).data or "0").strip() or "0"
            body["exemptions"].append(item)
            self.exemption_rows.append(r)
        if (self.period_start.data or "").strip() or (self.period_end.data or "").strip():
            body["appointment_period"] = {"start_year": (self.period_start.data or "").strip(),
                                          "end_year": (self.period_end.data or "").strip()}
        return body
