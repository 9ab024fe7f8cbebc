"""The statistics page and its CSV/XLSX tables."""
from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ntbase.kernel import audit, tabular
from ntbase.kernel.auth import office_required
from ntbase.kernel.bounds import page_arg
from ntbase.kernel.enums import Category
from ntbase.kernel.paging import page_of
from ntbase.office.blueprint import bp
from ntbase.office.stats import charts, services
from ntbase.office.web import format_arg, year_arg

BASES_PER_PAGE = 20


@bp.get("/office/stats")
@office_required
def statistics():
    year = year_arg()
    snap = services.snapshot(year, fresh=request.args.get("fresh") == "1")
    emp, prof = snap.employers, snap.professions
    # the bases busiest first: 12 charted, the table a page at a time (the export has them all)
    busiest = sorted(snap.enrollments, key=lambda b: (-b["total"], b["base"]))
    bases, bases_page = page_of(busiest, page_arg(), BASES_PER_PAGE)
    return render_template(
        "office/stats.html", year=year, snap=snap, enrollments=bases, charted=busiest[:12],
        bases_page=bases_page, base_total=len(busiest), hours=snap.hours,
        hours_items=[(Category(r["category"]).title, float(r["hours"])) for r in snap.hours],
        employers=emp[:20], employer_total=len(emp), emp_items=[(r.label, r.share) for r in emp[:20]],
        professions=prof, prof_items=[(r.label, r.share) for r in prof], overall=snap.overall,
        max_age_minutes=max(1, int(current_app.config.get("STATS_MAX_AGE", 300)) // 60), charts=charts)


@bp.get("/office/stats/export")
@office_required
def statistics_export():
    year, kind = year_arg(), request.args.get("table", "")
    if kind not in ("enrollments", "hours", "employers", "professions"):
        abort(404)
    header, rows = services.export_table(kind, year)
    audit.record_view("stats.export", current_user, object_type="stats", detail=f"{kind} {year}")
    file_format = format_arg()
    return tabular.download(header, rows, file_format, f"ntbase-{kind}-{year}.{file_format}", sheet=kind)
