"""Charts where people would rather look than read: a base's enrollments over time, a
learner's hours by year. Each chart's data sits beside a table of the same numbers."""
from __future__ import annotations

from datetime import datetime

from ntbase.enrollment import services as enrollments
from ntbase.kernel.db import db
from tests.factories import make_course, make_learner
from tests.office.test_stats import _chart_specs


def test_base_enrollments_by_month_counts_the_last_twelve_months(app_ctx, base_a):
    course = make_course(base_a, capacity=5)
    for _ in range(3):
        enrollments.enroll_learner(course, make_learner())
    db.session.commit()
    months = enrollments.base_enrollments_by_month(base_a.id)
    assert len(months) == 12 and months[-1].confirmed == 3 and sum(m.confirmed for m in months) == 3
    january = enrollments.base_enrollments_by_month(base_a.id, now=datetime(2027, 1, 15))
    assert [m.label for m in january][:2] == ["2026-02", "2026-03"] and january[-1].label == "2027-01"


def test_figures_page_has_the_chart_and_its_table(client, login, base_a, staff_a):
    course = make_course(base_a, capacity=5)
    enrollments.enroll_learner(course, make_learner())
    db.session.commit()
    login(staff_a)
    html = client.get(f"/manage/bases/{base_a.id}/enrollments").get_data(as_text=True)
    spec = next(s for s in _chart_specs(html) if s["title"] == "近12个月报名情况")
    assert len(spec["series"]) == 2 and spec["series"][1]["name"] == "已取消"
    assert spec["series"][0]["values"][-1] == 1.0 and len(spec["labels"]) == 12
    assert 'id="by-month-table"' in html and "/static/js/charts.js" in html


def test_hours_dashboard_has_hours_by_year(client, login, learner):
    login(learner)
    html = client.get("/me/hours").get_data(as_text=True)
    spec = next(s for s in _chart_specs(html) if s["title"] == "历年学时")
    assert spec["stacked"] and spec["unit"] == "学时" and spec["line"]["name"] == "要求学时"
    assert spec["labels"] == sorted(spec["labels"])  # oldest first
    assert 'id="hours-by-year-table"' in html
