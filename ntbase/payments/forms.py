from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField

METHOD_CHOICES = [("wechat", _l("WeChat Pay")), ("alipay", _l("Alipay")), ("card", _l("Bank card"))]


class SandboxPayForm(FlaskForm):
    method = RadioField(_l("Pay with"), choices=METHOD_CHOICES, default="wechat")
