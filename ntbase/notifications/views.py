"""A user's notification settings; the sandbox SMS inbox for staff."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ntbase.accounts.models import LearnerProfile
from ntbase.kernel.auth import office_required
from ntbase.kernel.db import db
from ntbase.kernel.security import mask_mobile
from ntbase.notifications import services
from ntbase.notifications.forms import PreferencesForm

bp = Blueprint("notifications", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    prefs = services.preferences_of(current_user.id)
    form = PreferencesForm(data={"email": prefs.email, "sms": prefs.sms})
    mobile = db.session.scalar(db.select(LearnerProfile.mobile).where(LearnerProfile.user_id == current_user.id))
    if form.validate_on_submit():
        services.set_preferences(current_user.id, email=form.email.data, sms=form.sms.data and bool(mobile))
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, email=current_user.email,
                           mobile=mask_mobile(mobile) if mobile else "")


@bp.get("/office/sms")
@office_required
def sandbox_sms():
    """What the sandbox SMS provider would have sent, newest first, numbers masked."""
    return render_template("notifications/sandbox_sms.html", texts=services.sandbox_texts())
