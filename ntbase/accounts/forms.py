from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ntbase.kernel.enums import PROFESSION_SERIES, TitleLevel

REQUIRED = _l("This field is required.")


def _title_choices():
    return [(t.value, t.title) for t in TitleLevel]


class LoginForm(FlaskForm):
    login = StringField(_l("E-mail, mobile number or ID number"), validators=[DataRequired(REQUIRED)],
                        description=_l("Learners may log in with their 18-character resident ID number."),
                        render_kw={"autocomplete": "username", "autocapitalize": "off", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class RegisterForm(FlaskForm):
    real_name = StringField(_l("Real name (as on your ID card)"), validators=[DataRequired(REQUIRED), Length(max=50)])
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "off", "maxlength": 18, "inputmode": "text"})
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(REQUIRED)],
                         render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 14})
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address."))],
                       render_kw={"autocomplete": "email"})
    employer = StringField(_l("Employer (工作单位)"), validators=[Length(max=200)])
    profession_series = SelectField(_l("Profession series (职称系列)"), choices=PROFESSION_SERIES)
    title_level = SelectField(_l("Title level"), choices=_title_choices)
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)],
                             description=_l("At least 10 characters, mixing letters and digits or symbols."),
                             render_kw={"autocomplete": "new-password"})
    password2 = PasswordField(_l("Repeat password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", _l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"})


class ProfileForm(FlaskForm):
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(REQUIRED)])
    employer = StringField(_l("Employer (工作单位)"), validators=[Length(max=200)])
    profession_series = SelectField(_l("Profession series (职称系列)"), choices=PROFESSION_SERIES)
    title_level = SelectField(_l("Title level"), choices=_title_choices)
    locale = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                                 render_kw={"autocomplete": "new-password"})
    new_password2 = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", _l("The two passwords do not match."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address."))])


class ResetForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                                 render_kw={"autocomplete": "new-password"})
    new_password2 = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", _l("The two passwords do not match."))])


class MarkReadForm(FlaskForm):
    """A button: mark every notice read (a POST, with its CSRF token)."""

