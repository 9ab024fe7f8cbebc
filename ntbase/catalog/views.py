"""Catalog pages: the public catalog and course page (+ .ics), and the staff course
pages (create, edit, publish, close, cancel, import). Every staff route checks
``require_base_manager`` on the course's own base."""
from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ntbase.bases.services import (
    active_rooms,
    current_disclosure,
    disclosure_missing_parts,
    get_base_or_404,
    list_public_bases,
    load_disclosure,
    parse_yuan,
)
from ntbase.catalog import importer, services
from ntbase.catalog.compare import compare_bases
from ntbase.catalog.forms import (
    BLANK_SESSION_ROWS,
    ActionForm,
    CancelForm,
    CatalogFilterForm,
    ConfirmImportForm,
    ImportForm,
    course_form_class,
)
from ntbase.catalog.ics import course_calendar
from ntbase.catalog.models import Course, CourseChange, CourseMode, CourseStatus
from ntbase.catalog.search import CatalogFilters, search_courses
from ntbase.kernel import tabular
from ntbase.kernel.auth import base_manager_required, require_base_manager
from ntbase.kernel.bounds import page_arg, parse_id
from ntbase.kernel.cache import cached_page
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Category
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import act, attach_error, submit

bp = Blueprint("catalog", __name__)


# ---------------------------------------------------------------- public
def filters_from_form(form: CatalogFilterForm) -> CatalogFilters:
    def yuan(f):
        if not (f.data or "").strip():
            return None
        try:
            return parse_yuan(f.data, field=f.name)
        except DomainError as err:
            f.errors = [err.message]
            return None

    base_id = parse_id(form.base.data) if form.base.data else None
    if form.base.data and base_id is None:
        form.base.errors = [_("Choose a base from the list.")]
    return CatalogFilters(
        q=(form.q.data or "").strip()[:100],
        base_id=base_id,
        category=form.category.data or None, mode=form.mode.data or None, month=form.month.data or None,
        date_from=form.date_from.data, date_to=form.date_to.data,
        price_min_fen=yuan(form.price_min), price_max_fen=yuan(form.price_max),
        staff_level=form.staff_level.data or None, profession=form.profession.data or None,
        seats_left=bool(form.seats_left.data), include_past=bool(form.include_past.data),
        sort=form.sort.data if form.sort.data in ("start", "price", "-price") else "start",
    )


@bp.get("/courses")
@cached_page("catalog")
def index():
    form = CatalogFilterForm(request.args)
    form.validate()
    bases = list_public_bases()
    english = not str(get_locale()).startswith("zh")
    form.base.choices = [("", _("All"))] + [(str(b.id), b.name_en if english and b.name_en else b.name)
                                            for b in bases]
    filters = filters_from_form(form)
    page = search_courses(filters, page_arg())
    args = {k: v for k, v in request.args.items() if k not in ("page", "lang") and v}
    # the filter panel opens when a filter (not just a keyword or a sort) is in use, or has an error
    filtering = any(k not in ("q", "sort") for k in args) or any(f.errors for f in form)
    # a filter that cannot be used is shown next to its field, with the status saying so
    status = 422 if any(f.errors for f in form) else 200
    return render_template("catalog/index.html", form=form, page=page, courses=page.items, args=args,
                           filters=filters, filtering=filtering), status


def _visible_course(course_id: int) -> Course:
    """Drafts only to their own base's staff; every other status to everyone."""
    course = services.load_course(course_id)
    if course is None:
        abort(404)
    if not services.visible_to(course, current_user):
        abort(404)
    return course


@bp.get("/courses/<int:course_id>")
@cached_page("catalog")
def course(course_id: int):
    c = _visible_course(course_id)
    return render_template("catalog/course.html", course=c)


@bp.get("/courses/<int:course_id>.ics")
def course_ics(course_id: int):
    c = _visible_course(course_id)
    body = course_calendar(c, url_for("catalog.course", course_id=c.id, _external=True))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="course-{c.id}.ics"'})


# ---------------------------------------------------------------- staff: one course
def _staff_course(course_id: int) -> Course:
    course = services.get_course_or_404(course_id)
    require_base_manager(course.base_id)
    return course


def _course_form(base, course: Course | None):
    """The per-base form, with choices and (on GET) the course's values filled in."""
    base = load_disclosure(base.id)
    # a course keeps the fee items it was priced with, even once withdrawn: left out of the
    # form, saving would silently drop them and change the price
    used = {line.fee_item_id for line in course.fee_lines} if course is not None else set()
    fee_items = [f for f in base.fee_items if f.active or f.id in used]
    form_cls = course_form_class(fee_items)
    if request.method == "POST":
        form = form_cls()
    elif course is not None:
        form = form_cls(obj=course)
        form.teacher_ids.data = [t.id for t in course.teachers]
        form.room_id.data = str(course.room_id or "")
        # hours on the Art. 17 default stay empty: they then follow a changed schedule
        on_default = course.mode != CourseMode.ONLINE and course.hours == services.default_hours(
            [services.SessionInput(x.starts_at, x.ends_at) for x in course.sessions], course.is_talent_training)
        form.hours.data = "" if on_default else str(course.hours)
        form.change_reason.data = ""
        while len(form.sessions.entries):
            form.sessions.pop_entry()
        for s in course.sessions:
            form.sessions.append_entry({"day": s.starts_at.date(), "start": s.starts_at.time(),
                                        "end": s.ends_at.time(), "room_id": str(s.room_id or "")})
        quantities = {line.fee_item_id: line.quantity for line in course.fee_lines}
        for f in fee_items:
            getattr(form, f"fee_{f.id}").data = quantities.get(f.id, 0)
    else:
        form = form_cls(capacity=30, refund_cutoff_hours=24)
        while len(form.sessions.entries):
            form.sessions.pop_entry()
    if request.method == "GET":
        for _i in range(BLANK_SESSION_ROWS):
            form.sessions.append_entry()
    teachers = [t for t in base.teachers if t.active or (course and t in course.teachers)]
    form.teacher_ids.choices = [(t.id, f"{t.name}（{t.title}）") for t in teachers]
    rooms = active_rooms(base.id)
    room_choices = [(str(r.id), services.room_label(r)) for r in rooms]
    form.room_id.choices = [("", _("— choose a room (none for online courses) —"))] + room_choices
    for entry in form.sessions.entries:
        entry.form.room_id.choices = [("", _("Same room as the course"))] + room_choices
    form.fee_errors = []
    return base, form, fee_items


def _input_from_form(form, fee_items) -> services.CourseInput:
    sessions = []
    for entry in form.sessions.entries:
        sf = entry.form
        if sf.is_blank():
            continue
        if not (sf.day.data and sf.start.data and sf.end.data):
            raise DomainError(_("Fill in the date, start and end time of each session."), field="sessions")
        room = sf.room_id.data
        sessions.append(services.SessionInput(datetime.combine(sf.day.data, sf.start.data),
                                              datetime.combine(sf.day.data, sf.end.data),
                                              parse_id(room)))
    room = form.room_id.data
    return services.CourseInput(
        title=form.title.data, category=form.category.data, mode=form.mode.data, sessions=sessions,
        fee_lines=[services.FeeLineInput(f.id, getattr(form, f"fee_{f.id}").data or 0) for f in fee_items],
        hours=services.parse_hours(form.hours.data), is_talent_training=form.is_talent_training.data,
        teacher_ids=form.teacher_ids.data or [], room_id=parse_id(room),
        profession_series=form.profession_series.data or [], staff_levels=form.staff_levels.data or [],
        enroll_opens_at=form.enroll_opens_at.data, enroll_closes_at=form.enroll_closes_at.data,
        capacity=form.capacity.data, refund_policy=form.refund_policy.data or "",
        refund_cutoff_hours=form.refund_cutoff_hours.data, description_md=form.description_md.data or "",
        change_reason=form.change_reason.data or "",
        confirm_unusual_price=bool(form.confirm_price.data),
    )


def _attach(form, err: DomainError) -> None:
    """Price errors go next to the fee items; the rest next to their field."""
    if err.field in ("fee_lines", "price"):
        form.fee_errors.append(err.message)
    else:
        attach_error(form, err)


def _fee_lines(form, fee_items) -> tuple[list[tuple], int]:
    """(item, field, quantity, amount in fen) per declared fee item as typed, and the total:
    the page shows each line's amount and the price without JavaScript too."""
    lines = []
    for item in fee_items:
        f = getattr(form, f"fee_{item.id}")
        q = f.data if isinstance(f.data, int) and 0 <= f.data <= 1000 else 0
        lines.append((item, f, q, q * item.amount_fen))
    return lines, sum(line[3] for line in lines)


def _render_course_form(base, form, fee_items, course=None):
    status = 422 if (form.errors or form.form_errors or form.fee_errors) else 200
    lines, total = _fee_lines(form, fee_items)
    return render_template("catalog/course_form.html", base=base, form=form, fee_items=fee_items, course=course,
                           fee_lines=lines, price_total=total, missing=disclosure_missing_parts(base)), status


@bp.route("/manage/bases/<int:base_id>/courses/new", methods=["GET", "POST"])
@base_manager_required
def new_course(base_id: int):
    base, form, fee_items = _course_form(get_base_or_404(base_id), None)
    if form.validate_on_submit():
        try:
            c = services.create_course(base, _input_from_form(form, fee_items), current_user.id)
        except DomainError as err:
            db.session.rollback()
            _attach(form, err)
        else:
            flash(_("The course is saved as a draft. Check it, then publish it."), "success")
            return redirect(url_for("catalog.manage_course", course_id=c.id))
    return _render_course_form(base, form, fee_items)


@bp.route("/manage/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int):
    c = _staff_course(course_id)
    if c.status not in (CourseStatus.DRAFT, CourseStatus.PUBLISHED):
        flash(_("A closed or cancelled course can no longer be changed."), "warning")
        return redirect(url_for("catalog.manage_course", course_id=c.id))
    base, form, fee_items = _course_form(c.base, c)
    if form.validate_on_submit():
        try:
            services.update_course(c, _input_from_form(form, fee_items), current_user.id)
        except DomainError as err:
            db.session.rollback()
            _attach(form, err)
            c = services.get_course_or_404(course_id)
        else:
            flash(_("The course has been saved."), "success")
            return redirect(url_for("catalog.manage_course", course_id=c.id))
    return _render_course_form(base, form, fee_items, course=c)


@bp.get("/manage/courses/<int:course_id>")
@login_required
def manage_course(course_id: int):
    c = _staff_course(course_id)
    c = services.load_course(course_id)
    base = load_disclosure(c.base_id)
    changes = db.session.scalars(db.select(CourseChange).where(CourseChange.course_id == c.id)
                                 .order_by(CourseChange.id.desc())).all()
    return render_template("catalog/manage_course.html", course=c, base=base, changes=changes,
                           field_titles=services.change_field_titles(),
                           missing=disclosure_missing_parts(base), action_form=ActionForm())


def _action(course_id: int, fn, done: str):
    c = _staff_course(course_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    act(lambda: fn(c, current_user.id), done)
    return redirect(url_for("catalog.manage_course", course_id=course_id))


@bp.post("/manage/courses/<int:course_id>/publish")
@login_required
def publish_course(course_id: int):
    return _action(course_id, services.publish_course, _("The course is published in the catalog."))


@bp.post("/manage/courses/<int:course_id>/close")
@login_required
def close_course(course_id: int):
    return _action(course_id, services.close_course, _("Enrollment for this course is closed."))


@bp.route("/manage/courses/<int:course_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_course(course_id: int):
    c = _staff_course(course_id)
    form = CancelForm()
    if form.validate_on_submit() and submit(form, lambda: services.cancel_course(c, form.reason.data,
                                                                                   current_user.id))[0]:
        flash(_("The course is cancelled. Enrolled learners have been notified."), "success")
        return redirect(url_for("catalog.manage_course", course_id=course_id))
    return render_template("catalog/cancel.html", course=c, form=form), (422 if form.errors or form.form_errors else 200)


# ---------------------------------------------------------------- staff: import
def _import_page(base, form, check=None, status: int = 200):
    return render_template("catalog/import.html", base=base, form=form, check=check,
                           confirm_form=ConfirmImportForm(formdata=None, payload=check.payload if check else ""),
                           columns=importer.COLUMNS, column_title=importer.column_title), status


def _too_large_page(base):
    form = ImportForm(formdata=None)
    form.file.errors = [importer.too_large_message()]
    return _import_page(base, form, status=413)


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(exc):
    """Over MAX_CONTENT_LENGTH the body is refused before the view runs (with CSRF on, while
    the token is read): on the import page, say what to do instead of a bare error page."""
    base_id = (request.view_args or {}).get("base_id")
    if request.endpoint == "catalog.import_courses" and base_id is not None and current_user.is_authenticated \
            and current_user.can_manage_base(int(base_id)):
        return _too_large_page(get_base_or_404(int(base_id)))
    return render_template("errors/error.html", code=413,
                           message=_("The upload is too large. Please choose a smaller file.")), 413


@bp.route("/manage/bases/<int:base_id>/courses/import", methods=["GET", "POST"])
@base_manager_required
def import_courses(base_id: int):
    base = get_base_or_404(base_id)
    if request.method == "POST" and (request.content_length or 0) > importer.MAX_UPLOAD_BYTES + 64 * 1024:
        return _too_large_page(base)  # refused before the body is read
    form = ImportForm()
    check = None
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [_("Choose a file to upload.")]
        else:
            data = upload.stream.read(importer.MAX_UPLOAD_BYTES + 1)
            try:
                rows = importer.read_rows(upload.filename, data)
                check = importer.check_rows(base, rows, current_user.id)
            except importer.ImportFileError as err:
                form.file.errors = [err.message]
    failed = bool(form.file.errors) or (check is not None and not check.ok)
    return _import_page(base, form, check, 422 if failed else 200)


@bp.post("/manage/bases/<int:base_id>/courses/import/confirm")
@base_manager_required
def import_confirm(base_id: int):
    base = get_base_or_404(base_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rows = importer.unsign_rows(form.payload.data, base.id)
        created = importer.import_rows(base, rows, current_user.id)
    except importer.ImportFileError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("catalog.import_courses", base_id=base.id))
    except importer.ImportRowsError as err:
        db.session.rollback()
        flash(_("Nothing was imported: some rows are no longer valid (see below)."), "error")
        return _import_page(base, ImportForm(formdata=None), err.check, 422)
    flash(_("Courses imported as drafts: %(n)s. Check and publish them.", n=len(created)), "success")
    return redirect(url_for("catalog.base_dashboard", base_id=base.id) + "#courses")


@bp.get("/manage/bases/<int:base_id>/courses/import/template.<fmt>")
@base_manager_required
def import_template(base_id: int, fmt: str):
    base = get_base_or_404(base_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = importer.template_csv() if fmt == "csv" else importer.template_xlsx(base)
    return tabular.download_response(data, f"ntbase-courses-template.{fmt}", fmt)


@bp.get("/bases/compare")
@cached_page("catalog")
def compare():
    return render_template("catalog/compare.html", rows=compare_bases(), categories=list(Category))


# ---------------------------------------------------------------- a base's dashboard (its courses)
@bp.get("/manage/bases/<int:base_id>")
@base_manager_required
def base_dashboard(base_id: int):
    base = load_disclosure(base_id)
    page = services.base_courses(base.id, page_arg())
    return render_template("catalog/base_dashboard.html", base=base, missing=disclosure_missing_parts(base),
                           version=current_disclosure(base.id), courses=page.items, page=page, now=now())
