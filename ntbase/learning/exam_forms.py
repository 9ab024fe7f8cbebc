"""Forms of the exam pages (CSRF on every one). The answers of an attempt are fields named
``q<question id>`` rendered by the template; the form itself carries only the token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ntbase.learning.models import QuestionKind


class ExamSettingsForm(FlaskForm):
    question_count = IntegerField(_l("Number of questions"), validators=[InputRequired(), NumberRange(1, 200)],
                                  description=_l("Drawn at random from the active questions of the bank."))
    time_limit_minutes = IntegerField(_l("Time limit (minutes)"), validators=[InputRequired(), NumberRange(1, 600)])
    pass_mark = IntegerField(_l("Pass mark (out of 100)"), validators=[InputRequired(), NumberRange(0, 100)],
                             description=_l("Every question counts the same; a multiple-choice question counts "
                                            "only when all its right choices, and no other, are picked."))


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=lambda: QuestionKind.choices(), default=QuestionKind.SINGLE.value)
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    choices = TextAreaField(_l("Choices"), validators=[Optional(), Length(max=4200)],
                            description=_l("One choice per line, in order: the first is A, the next B… "
                                           "Leave empty for a true-or-false question."))
    answer = StringField(_l("Right answer"), validators=[DataRequired(), Length(max=20)],
                         description=_l("The letters of the right choices, e.g. A or AC; for true or false, "
                                        "对 or 错."))
    explanation = TextAreaField(_l("Explanation (shown after the attempt)"), validators=[Optional(),
                                                                                         Length(max=2000)])


class QuestionImportForm(FlaskForm):
    file = FileField(_l("Excel or CSV file (.xlsx, .csv)"), render_kw={"accept": ".csv,.xlsx"},
                     description=_l("At most 2 MB and 500 questions, one per row, as in the template. If any row "
                                    "has a problem, nothing is imported."))


class AnswersForm(FlaskForm):
    """Submit (or save) an attempt's answers: the token only."""


class ExamActionForm(FlaskForm):
    """A button that needs only the token: start the exam, take a question out of the draw."""
