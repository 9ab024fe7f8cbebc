from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("This field is required.")


class EnrollForm(FlaskForm):
    """Only the CSRF token: the course is in the URL, the learner is the session."""


class ActionForm(FlaskForm):
    """Cancel, accept an offer: a CSRF-protected button."""


class CheckoutForm(FlaskForm):
    invoice_title = StringField(_l("Invoice title (发票抬头), optional"), validators=[Length(max=200)],
                                description=_l("Your employer's full name, or your own name."))
    invoice_taxpayer_no = StringField(_l("Taxpayer number (纳税人识别号), optional"),
                                      validators=[Length(max=25)],
                                      description=_l("15 to 20 digits or capital letters; needed for a company invoice."),
                                      render_kw={"autocomplete": "off", "maxlength": 25})


class ManualEnrollForm(FlaskForm):
    id_number = StringField(_l("Learner's resident ID number"), validators=[DataRequired(REQUIRED)],
                            description=_l("The full 18-character number. The learner must have an NTBase account."),
                            render_kw={"autocomplete": "off", "maxlength": 18, "inputmode": "text"})
