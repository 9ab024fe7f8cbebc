from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ntbase.certificates import codes

REQUIRED = _l("This field is required.")


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form anyone may submit

    code = StringField(_l("Certificate or statement code"), validators=[DataRequired(REQUIRED)],
                       description=_l("15 characters, e.g. %(code)s. Case, spaces and dashes do not matter.",
                                      code=codes.display(codes.EXAMPLE_CODE)),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "maxlength": 40})
