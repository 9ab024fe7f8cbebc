"""API tokens in the console: create (the secret is shown once), list, revoke."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel.auth import office_required
from ntbase.kernel.db import now
from ntbase.kernel.forms import act, submit
from ntbase.office.blueprint import bp
from ntbase.office.tokens import services
from ntbase.office.tokens.forms import TokenForm


@bp.route("/office/tokens", methods=["GET", "POST"])
@office_required
def tokens():
    form = TokenForm()
    created = secret = None
    if form.validate_on_submit():
        ok, result = submit(form, lambda: services.create_token(current_user, form.name.data,
                                                                form.scopes.data or [], form.days.data))
        if ok:
            created, secret = result
            form = TokenForm(formdata=None)
    html = render_template("office/tokens.html", form=form, tokens=services.list_tokens(current_user),
                           created=created, secret=secret, at=now(), scopes=services.SCOPES)
    # the secret is on this page once: never cache it
    return html, (422 if form.errors else 200), {"Cache-Control": "no-store"}


@bp.post("/office/tokens/<int:token_id>/revoke")
@office_required
def token_revoke(token_id: int):
    act(lambda: services.revoke_token(token_id, current_user), _("The token has been revoked."))
    return redirect(url_for("office.tokens"))
