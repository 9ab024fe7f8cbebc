"""Hours pages: the learner's dashboard and ledger, statements, the office's review queue
and policy table, and the public calculator. Thin: parse → service → render/redirect."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import AppointmentPeriod, User
from ntbase.bases import seal, seal_views
from ntbase.certificates import codes
from ntbase.certificates import openbadges_views as badge_views
from ntbase.hours import engine, policy, services, statements
from ntbase.hours import openbadges as statement_badges
from ntbase.hours.api import assess_request, error_message
from ntbase.hours.evidence import MAX_EVIDENCE_BYTES, can_download, store_evidence
from ntbase.hours.forms import (
    AdjustmentForm,
    CalculatorForm,
    EntryForm,
    ExemptionForm,
    PeriodForm,
    PolicyForm,
    ReviewForm,
    RoundForm,
    StatementForm,
)
from ntbase.hours.models import EntryState, Evidence, Policy, Statement
from ntbase.hours.schemas import AssessRequest
from ntbase.kernel import audit, cache, charts
from ntbase.kernel.auth import learner_required, office_required
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import act, safe_local_path, submit

bp = Blueprint("hours", __name__)

KIND_TITLES = {
    "course": _l("NTBase course"), "conference": _l("Academic conference"),
    "training_class": _l("Training class, refresher class or lecture"),
    "talent_base_training": _l("High-level-talent training"), "online_course": _l("Online course"),
    "self_study": _l("Self-study"), "transfer": _l("Yangtze River Delta hours"),
    "adjustment": _l("Special case (Art. 17(7))"),
}
EXEMPTION_TITLES = {
    "award": _l("Science and technology progress award"), "book": _l("Monograph or translation"),
    "degree": _l("Degree"), "papers": _l("Papers published"), "exam_passed": _l("Exam passed"),
    "public_round_certificate": _l("Public-course round certificate"),
}
CATEGORY_TITLES = {"public": _l("Public subject"), "specialized": _l("Specialized subject"),
                   "elective": _l("Personal elective")}
LEVEL_TITLES = {"international": _l("International"), "national": _l("National"),
                "regional": _l("Regional"), "local": _l("Below regional level"),
                "provincial": _l("Provincial"), "city": _l("City (bureau)"), "county": _l("County")}
REGION_TITLES = {"shanghai": _l("Shanghai"), "jiangsu": _l("Jiangsu"), "zhejiang": _l("Zhejiang"),
                 "anhui": _l("Anhui"), "other": _l("Outside the Yangtze River Delta")}


@bp.context_processor
def _labels():
    def lang() -> str:
        return "en" if str(get_locale()).startswith("en") else "zh"

    return {"kind_titles": KIND_TITLES, "exemption_titles": EXEMPTION_TITLES,
            "category_titles": CATEGORY_TITLES, "level_titles": LEVEL_TITLES,
            "region_titles": REGION_TITLES, "reason_lang": lang(), "entry_hours": services.entry_hours,
            "r1": engine.round1, "code_display": codes.display, "percent": percent,
            "summary_rules": ("total", "public", "verdict"),
            "rule_labels": {} if lang() == "en" else engine.RULE_LABELS_ZH}


def percent(value, required) -> int:
    """Width of a progress bar, 0-100 (full when nothing is required)."""
    if not required or required <= 0:
        return 100
    return int(min(100, max(0, value * 100 / required)))


def gap_lines(a: engine.Assessment) -> list[str]:
    """What is missing, in plain words ("还差 10 学时非公需学时")."""
    if a.complies:
        return []
    lines = []
    room = a.public_cap - a.public_counted
    if a.shortfall_public > 0:
        lines.append(_("%(h)s more public-subject hours needed", h=engine.fmt_up(a.shortfall_public)))
    if a.shortfall_non_public > 0:
        lines.append(_("%(h)s more non-public hours needed", h=engine.fmt_up(a.shortfall_non_public)))
    rest = a.shortfall_total - a.shortfall_non_public - min(a.shortfall_public, room)
    if rest > 0:
        lines.append(_("%(h)s more hours of any subject needed", h=engine.fmt_up(rest)))
    return lines


def _upload() -> Evidence | None:
    f = request.files.get("evidence")
    if f is None or not f.filename:
        return None
    data = f.stream.read(MAX_EVIDENCE_BYTES + 1)
    return store_evidence(current_user.id, f.filename, data)


def _audit_view(subject_user_id: int, object_type: str, object_id: int) -> None:
    """DESIGN: every view of a person's record by someone else writes an audit row the
    person can see (``ntbase.kernel.audit``)."""
    audit.record_view("person.view", current_user, subject_user_id=subject_user_id, object_type=object_type,
                      object_id=object_id)


def _verify_url(st: Statement) -> str:
    return url_for("verification.verify", code=codes.display(st.code), _external=True)


# ------------------------------------------------------------------ learner

def _hours_by_year_chart(years) -> dict:
    """Counted hours per year (kept status), public subjects and the rest stacked, the
    requirement as a line."""
    ordered = list(reversed(years))  # oldest first, left to right
    public = [y.counted_public for y in ordered]
    other = [max(y.counted_total - y.counted_public, 0) for y in ordered]
    return charts.columns(_("My hours by year"), [str(y.year) for y in ordered],
                          [(_("Public-subject hours"), public, charts.OK),
                           (_("Other counted hours"), other, charts.PRIMARY)],
                          unit=_("h"), stacked=True,
                          line=(_("Required"), [y.required_total for y in ordered], charts.ACCENT))


@bp.get("/me/hours")
@learner_required
def dashboard():
    # cached per learner until what it reads of theirs changes (one statement to tell), a
    # policy or catalog write, or the next day; their studies, name and tokens filled each time
    return cache.cached_for_user(f"hours-dashboard:{current_user.id}", services.dashboard_version(current_user.id),
                                 _render_dashboard, namespaces=("policy", "catalog"))


def _render_dashboard():
    board = services.dashboard(current_user.id)
    current = board.current
    form = StatementForm()
    form.year.choices = [(str(y.year), str(y.year)) for y in board.history]
    return render_template("hours/dashboard.html", overview=board, current=current,
                           hours_chart=_hours_by_year_chart(board.history),
                           gaps=gap_lines(current.assessment),
                           suggestions=services.suggest_courses(current.assessment), statement_form=form,
                           pending=EntryState.PENDING, rejected=EntryState.REJECTED)


@bp.get("/me/hours/years/<int:year>")
@learner_required
def year(year: int):
    if not policy.FIRST_YEAR <= year <= now().year:
        abort(404)
    view = services.year_view(current_user.id, year)
    return render_template("hours/year.html", y=view, pending=EntryState.PENDING, rejected=EntryState.REJECTED)


@bp.route("/me/hours/entries/new", methods=["GET", "POST"])
@learner_required
def new_entry():
    form = EntryForm()
    if form.validate_on_submit():
        ok, entry = submit(form, lambda: services.add_external_entry(current_user.id, services.EntryInput(
            kind=form.kind.data, title=form.title.data, organizer=form.organizer.data,
            start_date=form.start_date.data, end_date=form.end_date.data, category=form.category.data,
            level=form.level.data or None, region=form.region.data or None, days=form.days.data,
            hours=form.hours.data), _upload()))
        if ok:
            flash(_("Recorded. It counts once the office has accepted it."), "success")
            if entry.flagged_overlap:
                flash(_("Its dates overlap another of your entries; the office will check it."), "warning")
            return redirect(url_for("hours.dashboard"))
    return render_template("hours/entry_form.html", form=form), (422 if form.errors else 200)


@bp.post("/me/hours/entries/<int:entry_id>/withdraw")
@learner_required
def withdraw_entry(entry_id: int):
    act(lambda: services.withdraw_entry(entry_id, current_user.id), _("The entry has been withdrawn."))
    return redirect(url_for("hours.dashboard"))


@bp.route("/me/hours/exemptions/new", methods=["GET", "POST"])
@learner_required
def new_exemption():
    form = ExemptionForm()
    if form.validate_on_submit():
        ok, _event = submit(form, lambda: services.add_exemption_event(current_user.id, services.ExemptionInput(
            kind=form.kind.data, title=form.title.data, year=form.year.data, level=form.level.data or None,
            grade=form.grade.data or None, characters=form.characters.data, provincial=form.provincial.data,
            city=form.city.data, county=form.county.data, round=form.round.data), _upload()))
        if ok:
            flash(_("Recorded. It counts once the office has accepted it."), "success")
            return redirect(url_for("hours.dashboard"))
    return render_template("hours/exemption_form.html", form=form), (422 if form.errors else 200)


@bp.post("/me/hours/exemptions/<int:event_id>/withdraw")
@learner_required
def withdraw_exemption(event_id: int):
    act(lambda: services.withdraw_exemption(event_id, current_user.id), _("The entry has been withdrawn."))
    return redirect(url_for("hours.dashboard"))


@bp.route("/me/hours/periods", methods=["GET", "POST"])
@learner_required
def periods():
    form = PeriodForm()
    if form.validate_on_submit() and submit(form, lambda: services.record_appointment_period(
            current_user.id, form.start_year.data, form.end_year.data, current_user.id))[0]:
        flash(_("Your appointment period has been recorded."), "success")
        return redirect(url_for("hours.dashboard") + "#period")
    rows = db.session.scalars(sa.select(AppointmentPeriod).where(AppointmentPeriod.learner_id == current_user.id)
                              .order_by(AppointmentPeriod.start_year.desc())).all()
    return render_template("hours/periods.html", form=form, periods=rows), (422 if form.errors else 200)


@bp.post("/me/hours/periods/<int:period_id>/delete")
@learner_required
def delete_period(period_id: int):
    try:
        services.delete_appointment_period(period_id, current_user.id)
    except DomainError:
        abort(404)
    flash(_("The appointment period has been deleted."), "success")
    return redirect(url_for("hours.periods"))


@bp.post("/me/hours/statements")
@learner_required
def issue_statement():
    try:
        st = statements.issue_statement(current_user.id, request.form.get("year", ""))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("hours.dashboard"))
    flash(_("Your hours statement has been issued."), "success")
    return redirect(url_for("hours.statement", statement_id=st.id))


def _statement_or_403(statement_id: int) -> Statement:
    st = db.session.get(Statement, statement_id)
    if st is None:
        abort(404)
    if not statements.can_view(st, current_user):
        abort(403)
    return st


@bp.get("/hours/statements/<int:statement_id>")
def statement(statement_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    st = _statement_or_403(statement_id)
    if st.learner_id != current_user.id:
        _audit_view(st.learner_id, "statement", st.id)
    return render_template("hours/statement.html", st=st, data=statements.statement_data(st),
                           authentic=statements.is_authentic(st), verify_url=_verify_url(st))


@bp.get("/hours/statements/<int:statement_id>.pdf")
def statement_pdf(statement_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    st = _statement_or_403(statement_id)
    if st.learner_id != current_user.id:
        _audit_view(st.learner_id, "statement", st.id)
    pdf = statements.render_pdf(st, _verify_url(st))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{st.year}-{st.code}.pdf"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@bp.get("/hours/evidence/<int:evidence_id>")
def evidence(evidence_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    ev = db.session.get(Evidence, evidence_id)
    if ev is None:
        abort(404)
    if not can_download(ev, current_user):
        abort(403)
    if ev.owner_id != current_user.id:
        _audit_view(ev.owner_id, "evidence", ev.id)
    return Response(ev.data, mimetype=ev.content_type, headers={
        "Content-Disposition": f'attachment; filename="evidence-{ev.id}{ev.filename[ev.filename.rfind("."):]}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


# ------------------------------------------------------------------ office

@bp.get("/office/hours/pending")
@office_required
def pending():
    entries = services.pending_entries()
    events = services.pending_exemptions()
    return render_template("hours/pending.html", entries=entries, events=events,
                           overlaps=services.overlaps_for(entries), form=ReviewForm())


def _decision() -> bool:
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        abort(400)
    return decision == "accept"


@bp.post("/office/hours/entries/<int:entry_id>/review")
@office_required
def review_entry(entry_id: int):
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    accept = _decision()
    def review():
        entry = services.review_entry(entry_id, accept, form.reason.data, current_user.id)
        audit.record("person.entry_review", current_user, subject_user_id=entry.learner_id,
                     object_type="ledger_entry", object_id=entry.id)

    act(review, _("Accepted.") if accept else _("Rejected."))
    return redirect(_back(url_for("hours.pending")))


@bp.post("/office/hours/exemptions/<int:event_id>/review")
@office_required
def review_exemption(event_id: int):
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    accept = _decision()
    def review():
        event = services.review_exemption(event_id, accept, form.reason.data, current_user.id)
        audit.record("person.entry_review", current_user, subject_user_id=event.learner_id,
                     object_type="exemption_event", object_id=event.id)

    act(review, _("Accepted.") if accept else _("Rejected."))
    return redirect(_back(url_for("hours.pending")))


def _back(default: str) -> str:
    return safe_local_path(request.form.get("next"), default)


def _learner_or_404(learner_id: int) -> User:
    user = db.session.get(User, learner_id)
    if user is None or not user.is_learner:
        abort(404)
    return user


@bp.route("/office/hours/learners/<int:learner_id>", methods=["GET", "POST"])
@office_required
def learner_ledger(learner_id: int):
    learner = _learner_or_404(learner_id)
    form = AdjustmentForm()
    if form.validate_on_submit() and submit(form, lambda: services.add_adjustment(
            learner.id, form.year.data, form.hours.data, form.category.data, form.reason.data, current_user.id))[0]:
        flash(_("The adjustment has been recorded."), "success")
        return redirect(url_for("hours.learner_ledger", learner_id=learner.id))
    _audit_view(learner.id, "user", learner.id)
    overview = services.learner_overview(learner.id)
    return render_template("hours/learner.html", learner=learner, overview=overview, form=form,
                           review_form=ReviewForm(), pending=EntryState.PENDING,
                           rejected=EntryState.REJECTED), (422 if form.errors else 200)


@bp.get("/office/policies")
@office_required
def policies():
    rows, rounds, history = policy.policy_overview()
    actor_ids = {c.actor_id for changes in history.values() for c in changes if c.actor_id}
    actors = {u.id: u.name for u in db.session.scalars(
        sa.select(User).where(User.id.in_(actor_ids)).options(selectinload(User.profile)))} if actor_ids else {}
    return render_template("hours/policies.html", rows=rows, rounds=rounds, history=history, actors=actors,
                           round_form=RoundForm())


@bp.route("/office/policies/new", methods=["GET", "POST"])
@bp.route("/office/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@office_required
def edit_policy(policy_id: int | None = None):
    row = db.session.get(Policy, policy_id) if policy_id is not None else None
    if policy_id is not None and row is None:
        abort(404)
    form = PolicyForm(obj=row) if row is not None and request.method == "GET" else PolicyForm()
    if row is not None and request.method == "GET":
        form.reason.data = ""
    if form.validate_on_submit() and submit(form, lambda: policy.save_policy(
            policy_id=policy_id, effective_year=services.parse_int(
                form.effective_year.data, "effective_year", minimum=policy.FIRST_YEAR, maximum=policy.LAST_YEAR),
            required_total=form.required_total.data, required_public=form.required_public.data,
            public_cap_share=form.public_cap_share.data, self_study_cap_share=form.self_study_cap_share.data,
            exemptions_cover_public=form.exemptions_cover_public.data, source=form.source.data,
            minutes_per_hour=services.parse_int(form.minutes_per_hour.data or "45", "minutes_per_hour",
                                                minimum=1, maximum=120),
            reason=form.reason.data, actor_id=current_user.id))[0]:
        flash(_("The policy has been saved."), "success")
        return redirect(url_for("hours.policies"))
    return render_template("hours/policy_form.html", form=form, row=row), (422 if form.errors else 200)


@bp.post("/office/policies/rounds")
@office_required
def save_round():
    form = RoundForm()
    if form.validate_on_submit():
        act(lambda: policy.set_round_year(
            services.parse_int(form.round.data, "round", minimum=1, maximum=100),
            services.parse_int(form.year.data, "year", minimum=policy.FIRST_YEAR, maximum=policy.LAST_YEAR),
            form.reason.data, current_user.id), _("The round table has been saved."))
    else:
        flash(_("Fill in the round, the year and the reason."), "error")
    return redirect(url_for("hours.policies") + "#rounds")


# ------------------------------------------------------------------ public calculator

def _attach_validation_errors(form: CalculatorForm, exc: ValidationError) -> None:
    for err in exc.errors():
        loc = list(err["loc"])
        message = error_message(err)
        target = None
        if loc and loc[0] in ("activities", "exemptions") and len(loc) > 1 and isinstance(loc[1], int):
            rows = form.activity_rows if loc[0] == "activities" else form.exemption_rows
            row = rows[loc[1]]
            name = loc[3] if len(loc) > 3 else "kind"
            target = getattr(row, str(name), row.kind)
        elif loc and loc[0] == "year":
            target = form.year
        elif loc and loc[0] == "appointment_period":
            target = form.period_end if (len(loc) > 1 and loc[1] == "end_year") or len(loc) == 1 else form.period_start
            if len(loc) == 1:
                message = _("The period must not end before it starts and lasts at most 10 years.")
        if target is not None:
            target.errors = list(target.errors or []) + [message]
        else:
            form.form_errors.append(message)


@bp.route("/hours/calculator", methods=["GET", "POST"])
def calculator():
    form = CalculatorForm()
    if request.method == "GET" and not form.year.data:
        form.year.data = str(now().year)
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            result = assess_request(AssessRequest.model_validate(form.to_request()))
        except ValidationError as exc:
            _attach_validation_errors(form, exc)
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template("hours/calculator.html", form=form, result=result,
                           gaps=gap_lines(result) if result else []), status


@bp.post("/hours/statements/<int:statement_id>/open-badge")
def statement_open_badge(statement_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    st = db.session.get(Statement, statement_id)
    if st is None or not statements.can_view(st, current_user):
        abort(404)
    form = badge_views.DownloadForm()
    if not form.validate_on_submit():
        abort(400)
    ok, token = submit(form, lambda: statement_badges.statement_jwt(st))
    if not ok:
        return badge_views.download_failed(form, url_for("hours.statement", statement_id=st.id))
    return badge_views.credential_response(token, f"statement-{st.year}-{st.code}.jwt")


@bp.get("/hours/statements/<int:statement_id>/seal.png")
def statement_seal(statement_id: int):
    """The platform's seal as printed on one statement, for whoever may see that statement."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    st = db.session.get(Statement, statement_id)
    if st is None or not statements.can_view(st, current_user):
        abort(404)
    current = seal.seal_of(None)
    if current is None:
        abort(404)
    return seal_views.png_response(current.png)
