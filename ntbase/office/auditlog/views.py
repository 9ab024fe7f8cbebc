"""The audit log: the admins' search (/office/audit) and the learner's own page (/me/audit)
listing who looked at their data."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel import audit
from ntbase.kernel.auth import learner_required, roles_required
from ntbase.kernel.bounds import page_arg
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.office.auditlog.forms import AuditFilterForm
from ntbase.office.auditlog.services import AuditFilter, search
from ntbase.office.blueprint import bp


@bp.get("/office/audit")
@roles_required(Role.ADMIN)
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any action"))] + [(k, str(v)) for k, v in audit.ACTIONS.items()]
    f = AuditFilter()
    if form.validate():
        f = AuditFilter(actor=form.actor.data or "", action=form.action.data or "",
                        subject=form.subject.data, date_from=form.date_from.data, date_to=form.date_to.data)
    page = db.paginate(search(f), page=page_arg(), per_page=50, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("office/audit.html", form=form, page=page, args=args, action_title=audit.action_title)


@bp.get("/me/audit")
@learner_required
def my_audit():
    return render_template("office/my_audit.html", rows=audit.views_of(current_user.id),
                           action_title=audit.action_title)
