"""Who may do what: role decorators and object-level checks, in one place."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ntbase.kernel.enums import Role


def roles_required(*roles: Role):
    """Logged in with one of ``roles`` (admin passes every role check)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


learner_required = roles_required(Role.LEARNER)
office_required = roles_required(Role.OFFICE)
staff_required = roles_required(Role.BASE_STAFF)
# an employer's administrator (单位管理员); which employer is checked by ntbase.employers
employer_admin_required = roles_required(Role.EMPLOYER_ADMIN)


def base_manager_required(view):
    """For routes with ``base_id`` in the URL: staff of that base (or admin) only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        base_id = kwargs.get("base_id")
        if base_id is None or not current_user.can_manage_base(int(base_id)):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def require_base_manager(base_id: int) -> None:
    """Object-level check for routes keyed by another object (course, enrollment…)."""
    if not current_user.is_authenticated or not current_user.can_manage_base(base_id):
        abort(403)
