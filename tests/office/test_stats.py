"""Statistics: aggregates in a fixed number of statements, SVG charts, CSV export."""
import csv
import io
from datetime import timedelta

from ntbase.kernel.db import db, now
from ntbase.office import stats
from ntbase.office.stats import charts
from tests.factories import make_course, make_learner
from tests.office.helpers import add_entry, completed_enrollment, statements_for


def _data(base_a, base_b, n=2):
    year = now().year
    learners = []
    for i in range(n):
        lr = make_learner(employer="南通市第一人民医院" if i % 2 == 0 else "=evil()", profession_series="health")
        add_entry(lr, year=year, hours="24", category="public")
        add_entry(lr, year=year, hours="66" if i % 2 == 0 else "10", category="specialized")
        add_entry(lr, year=year, hours=None, days="2", kind="conference", level="national", category="specialized")
        completed_enrollment(lr, make_course(base_a if i % 2 == 0 else base_b, start=now() - timedelta(days=5)))
        learners.append(lr)
    db.session.commit()
    return year, learners


def test_figures(app_ctx, base_a, base_b):
    year, _ = _data(base_a, base_b)
    hours = {r["category"]: r for r in stats.hours_by_category(year)}
    assert hours["public"]["hours"] == 48
    assert hours["specialized"]["hours"] == 66 + 10 + 2 * 2 * 10  # conference: days × 10
    enr = stats.enrollments_by_month(year)
    assert sum(b["total"] for b in enr) == 2 and {b["base"] for b in enr} == {"甲基地", "乙基地"}
    emp, prof, overall = stats.compliance_shares(year)
    assert (overall.learners, overall.complying) == (2, 1)  # 24 + 10 + 20 = 54 h does not
    assert {r.label: r.share for r in emp}["南通市第一人民医院"] == 100.0


def test_page_has_svg_and_tables_with_fixed_statements(client, login, office, base_a, base_b, count_queries):
    login(office)
    year, _ = _data(base_a, base_b, n=2)
    html = client.get(f"/office/stats?year={year}").get_data(as_text=True)
    assert "<svg" in html and 'id="employers"' in html and "cdn" not in html.lower()
    n1 = statements_for(client, f"/office/stats?year={year}", count_queries)
    _data(base_a, base_b, n=6)
    assert statements_for(client, f"/office/stats?year={year}", count_queries) == n1


def test_chart_escapes_labels(app_ctx):
    svg = str(charts.bar_chart([("<script>", 5.0)], title="t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_export_is_escaped(client, login, office, base_a, base_b):
    login(office)
    year, _ = _data(base_a, base_b)
    out = client.get(f"/office/stats/export?table=employers&year={year}")
    rows = list(csv.reader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert ["'=evil()", "1", "0", "0.0"] in rows
    for table in ("enrollments", "hours", "professions"):
        assert client.get(f"/office/stats/export?table={table}&year={year}").status_code == 200
    assert client.get(f"/office/stats/export?table=nope&year={year}").status_code == 404


def test_charts_stay_readable_on_a_phone(app_ctx):
    """A 390 px phone shows the chart about 350 px wide: the drawing must be narrow enough
    that its text is not scaled below ~11 px (it was 640 units wide with 12-13 unit text)."""
    import re

    for svg in (str(charts.bar_chart([("南通市第一人民医院急诊科", 50.0)], title="t")),
                str(charts.month_chart(dict.fromkeys(range(1, 13), 3), title="t"))):
        width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
        smallest = min(int(f) for f in re.findall(r'font-size="(\d+)"', svg))
        assert smallest * 350 / width >= 11, (width, smallest)
    bar = str(charts.bar_chart([("南通市第一人民医院急诊科", 50.0)], title="t"))
    assert "<title>南通市第一人民医院急诊科</title>" in bar  # the shortened label keeps its full name
