"""A learner rates a course they completed (/me/courses/<id>/rate)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.catalog.services import get_course_or_404
from ntbase.kernel.auth import learner_required
from ntbase.kernel.forms import submit
from ntbase.office.blueprint import bp
from ntbase.office.ratings import services
from ntbase.office.ratings.forms import RatingForm


@bp.route("/me/courses/<int:course_id>/rate", methods=["GET", "POST"])
@learner_required
def rate_course(course_id: int):
    course = get_course_or_404(course_id)
    existing = services.existing_rating(current_user.id, course_id)
    eligible = services.completed_enrollment(current_user.id, course_id) is not None
    form = RatingForm()
    if existing is None and form.validate_on_submit():
        if submit(form, lambda: services.rate_course(current_user, course_id, form.stars.data,
                                                     form.comment.data or ""))[0]:
            flash(_("Thank you for your rating."), "success")
            return redirect(url_for("office.rate_course", course_id=course_id))
    elif request.method == "POST" and existing is not None:
        form.form_errors.append(_("You have already rated this course."))
    code = 422 if (form.errors or form.form_errors) else 200
    return render_template("office/rate.html", form=form, course=course, existing=existing,
                           eligible=eligible), code
