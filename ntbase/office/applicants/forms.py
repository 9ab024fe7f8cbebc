from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ntbase.office.web import REQUIRED


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
