from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
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


class StaffRefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund (yuan)"), validators=[DataRequired(REQUIRED), Length(max=20)],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=200)],
                           description=_l("The learner reads it in their notice, for example “70% refund "
                                          "under the base's policy: withdrew 3 days before the start”."),
                           render_kw={"rows": 3, "maxlength": 200})
    # one per page load: a double submit refunds once
    key = HiddenField()
