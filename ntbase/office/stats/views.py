"""The statistics page and its CSV/XLSX tables."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from ntbase.kernel import audit, tabular
from ntbase.kernel.auth import office_required
from ntbase.kernel.enums import Category
from ntbase.office.blueprint import bp
from ntbase.office.stats import charts, services
from ntbase.office.web import format_arg, year_arg


@bp.get("/office/stats")
@office_required
def statistics():
    year = year_arg()
    emp, prof, overall = services.compliance_shares(year)
    hours_rows = services.hours_by_category(year)
    return render_template(
        "office/stats.html", year=year, enrollments=services.enrollments_by_month(year), hours=hours_rows,
        hours_items=[(Category(r["category"]).title, float(r["hours"])) for r in hours_rows],
        employers=emp[:20], employer_total=len(emp), emp_items=[(r.label, r.share) for r in emp[:20]],
        professions=prof, prof_items=[(r.label, r.share) for r in prof], overall=overall, charts=charts)


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
