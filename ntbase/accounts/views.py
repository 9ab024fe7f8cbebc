from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ntbase.accounts import services
from ntbase.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    MarkReadForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
)
from ntbase.kernel.extensions import limiter
from ntbase.kernel.forms import safe_local_path, submit

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _safe_next(default: str) -> str:
    return safe_local_path(request.args.get("next"), default)


def _home_for(user) -> str:
    if user.is_staff:
        return url_for("catalog.base_dashboard", base_id=user.base_id)
    if user.is_employer_admin:
        return url_for("employers.dashboard")
    if user.is_office:  # office and admin land on their console (#15.11)
        return url_for("office.index")
    return url_for("main.home")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The e-mail, mobile number, ID number or password is not correct."))
            if services.looks_like_id_number(form.login.data or ""):
                form.login.data = ""  # a full ID number is never sent back into a page
        else:
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(_safe_next(_home_for(user)))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        ok, user = submit(form, lambda: services.register_learner(services.Registration(
            email=form.email.data, password=form.password.data, real_name=form.real_name.data,
            id_number=form.id_number.data, mobile=form.mobile.data, employer=form.employer.data,
            profession_series=form.profession_series.data, title_level=form.title_level.data,
        )))
        if ok:
            login_user(user)
            flash(_("Your account has been created."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/register.html", form=form), (422 if form.errors else 200)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    form = ProfileForm(obj=user.profile) if user.profile else ProfileForm()
    if request.method == "GET":
        form.locale.data = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    if form.validate_on_submit() and submit(form, lambda: services.update_profile(
            user, mobile=form.mobile.data if user.profile else "", employer=form.employer.data,
            profession_series=form.profession_series.data, title_level=form.title_level.data,
            locale=form.locale.data))[0]:
        session["lang"] = form.locale.data
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    # the owner alone sees their full ID number
    full_id = user.profile.id_number if user.profile else None
    return render_template("accounts/profile.html", form=form, full_id=full_id)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit() and submit(form, lambda: services.change_password(
            current_user, form.current_password.data, form.new_password.data))[0]:
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data, lambda token: url_for("accounts.reset", token=token, _external=True))
        flash(_("If this address is registered, a reset link has been sent to it."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    form = ResetForm()
    if form.validate_on_submit() and submit(form, lambda: services.reset_password(token, form.new_password.data))[0]:
        flash(_("Your password has been reset. Please log in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/notices")
@login_required
def notices():
    return render_template("accounts/notices.html", notices=services.notices_of(current_user.id),
                           form=MarkReadForm())


@bp.post("/notices/read")
@login_required
def mark_notices_read():
    if MarkReadForm().validate_on_submit():
        services.mark_notices_read(current_user.id)
    return redirect(url_for("accounts.notices"))
