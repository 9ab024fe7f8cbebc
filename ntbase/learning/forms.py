from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from ntbase.learning.models import LessonKind


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (join a live session, start an exam)."""


class ChapterForm(FlaskForm):
    title = StringField(_l("Chapter title"), validators=[DataRequired(), Length(max=200)], id="chapter-title")


class MoveForm(FlaskForm):
    """Move a chapter or a lesson one place up (-1) or down (1)."""
    step = IntegerField(validators=[InputRequired(), NumberRange(-1, 1), AnyOf([-1, 1])])


class LessonFieldsMixin:
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Minutes to study (documents)"), validators=[Optional(), NumberRange(1, 6000)],
                           description=_l("How long the document takes to read; it counts towards the hours "
                                          "only while the page is in front."))
    join_url = StringField(_l("Join link (live sessions)"), validators=[Optional(), Length(max=500)],
                           render_kw={"inputmode": "url", "placeholder": "https://"})
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class LessonForm(LessonFieldsMixin, FlaskForm):
    chapter_id = SelectField(_l("Chapter"), coerce=int, validators=[InputRequired()])
    kind = RadioField(_l("Kind"), choices=lambda: LessonKind.choices(), default=LessonKind.VIDEO.value)
    file = FileField(_l("File"), render_kw={"accept": "video/mp4,video/webm,application/pdf"},
                     description=_l("A video (MP4 or WebM) or a PDF document. The file is checked by its "
                                    "content; a video's length is read from the file."))


class LessonEditForm(LessonFieldsMixin, FlaskForm):
    pass


class LessonFileForm(FlaskForm):
    file = FileField(_l("New file"), render_kw={"accept": "video/mp4,video/webm,application/pdf"})
