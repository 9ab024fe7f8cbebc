from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length


class RatingForm(FlaskForm):
    stars = RadioField(_l("Your rating"), choices=[(str(i), "★" * i) for i in range(5, 0, -1)],
                       validators=[DataRequired(_l("Choose 1 to 5 stars."))], render_kw={"class": "check-list stars"})
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)], render_kw={"rows": 4})
