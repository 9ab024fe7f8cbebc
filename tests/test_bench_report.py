"""The benchmark's arithmetic and tables: ratios to both floors, target verdicts, markdown.

Pure functions on made-up figures: nothing is served or timed here.
"""
from __future__ import annotations

import pytest

from bench import endpoints as eps
from bench.endpoints import (
    BARE,
    ENDPOINTS,
    FLOOR,
    Target,
    combine,
    evaluate_targets,
    target_table,
    with_ratios,
)


def fig(rps, p50=1.0, p95=2.0, p99=3.0, requests=100, errors=0):
    return {"rps": rps, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "requests": requests, "errors": errors}


def test_both_floors_are_declared_first_and_served_apart():
    names = list(ENDPOINTS)
    assert names[:2] == [BARE, FLOOR]
    assert ENDPOINTS[BARE].server == "bare"
    assert {ep.server for name, ep in ENDPOINTS.items() if name != BARE} == {"ntbase"}


def test_combine_averages_the_bracketing_runs():
    r = combine([fig(1000, p95=2.0, requests=10), fig(3000, p95=4.0, requests=30, errors=1)])
    assert r["rps"] == 2000
    assert r["p95_ms"] == 3.0
    assert r["requests"] == 40 and r["errors"] == 1
    assert r["rps_samples"] == [1000, 3000]


def test_ratios_to_both_floors():
    r = with_ratios(fig(1500), fig(5000), fig(3000))
    assert r["ratio_to_bare"] == 0.3
    assert r["ratio_to_floor"] == 0.5
    assert with_ratios(fig(10), None, fig(0))["ratio_to_bare"] is None
    assert with_ratios(fig(10), None, fig(0))["ratio_to_floor"] is None


def report_with(size, clients, rows, growth=None):
    by_ep = {name: {str(clients): with_ratios(r, rows[BARE], rows[FLOOR])} for name, r in rows.items()}
    report = {"sizes": {size: {"endpoints": by_ep}}}
    if growth is not None:
        report["growth"] = growth
    return report


@pytest.fixture
def one_target(monkeypatch):
    """Only the floors and one row with a target on every axis."""
    reg = {BARE: ENDPOINTS[BARE], FLOOR: ENDPOINTS[FLOOR]}
    monkeypatch.setattr(eps, "ENDPOINTS", reg)
    eps.endpoint("page", target=Target(issue=99, min_bare=0.3, min_floor=0.5, max_p95_ms=40))(lambda ctx: [])
    return reg


def test_a_row_declared_with_a_target_gets_a_verdict(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(2000), "page": fig(1600, p95=30)}
    [t] = evaluate_targets(report_with("M", 32, rows, growth={"page": 1.2}))
    assert t["endpoint"] == "page" and t["exact"]
    assert (t["ratio_to_bare"], t["ratio_to_floor"]) == (0.4, 0.8)
    assert t["met"] == "yes"


def test_each_axis_can_fail(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(3000), "page": fig(1400, p95=50)}
    [t] = evaluate_targets(report_with("M", 32, rows, growth={"page": 2.0}))
    assert t["met"] == "no"
    assert t["failed"] == ["floor", "p95", "growth"]  # 0.35 of the bare floor passes
    rows["page"] = fig(1000, p95=10)
    [t] = evaluate_targets(report_with("M", 32, rows, growth={"page": 1.0}))
    assert t["failed"] == ["bare", "floor"]


def test_growth_unmeasured_is_said_not_passed(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(2000), "page": fig(1600, p95=30)}
    [t] = evaluate_targets(report_with("M", 32, rows))
    assert t["met"] == "not measured: growth"


def test_another_size_or_concurrency_is_shown_but_not_judged(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(2000), "page": fig(100, p95=500)}
    [t] = evaluate_targets(report_with("S", 8, rows))
    assert (t["size"], t["clients"], t["exact"]) == ("S", "8", False)
    assert t["ratio_to_bare"] == 0.025
    assert t["met"].startswith("n/a (target at M, 32 clients)")


def test_largest_size_and_nearest_concurrency_are_shown(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(2000), "page": fig(1000)}
    report = report_with("XS", 1, rows)
    report["sizes"]["S"] = report_with("S", 8, rows)["sizes"]["S"]
    report["sizes"]["S"]["endpoints"]["page"]["48"] = report["sizes"]["S"]["endpoints"]["page"]["8"]
    [t] = evaluate_targets(report)
    assert (t["size"], t["clients"]) == ("S", "48")


def test_target_table_shows_both_ratios_and_limits(one_target):
    rows = {BARE: fig(4000), FLOOR: fig(2000), "page": fig(1600, p95=30)}
    md = target_table(evaluate_targets(report_with("M", 32, rows, growth={"page": 1.2})))
    header, rule, row = md.splitlines()
    assert "ratio to bare floor" in header and "ratio to /floor" in header
    assert header.count("|") == rule.count("|") == row.count("|")
    assert row == ("| page | #99 | M, 32 clients | 0.4 | ≥ 0.3 | 0.8 | ≥ 0.5 | 30.0 | ≤ 40 | 1.2 | ≤ 1.5 | yes |")


def test_markdown_has_a_bare_column_and_tolerates_older_runs():
    from bench.run import growth, markdown

    counts = dict(courses=1, learners=1, enrollments=1, certificates=1, ledger=1)
    size = {"counts": counts, "generate_seconds": 0.1, "sql_statements_per_request": {FLOOR: 0},
            "endpoints": {BARE: {"4": with_ratios(fig(4000), fig(4000), fig(2000))},
                          FLOOR: {"4": with_ratios(fig(2000), fig(4000), fig(2000))}}}
    report = {"machine": "m", "duration": 1, "pg": "15", "sizes": {"S": size, "L": size}}
    g = growth(report)
    assert g == ("4", {BARE: 1.0, FLOOR: 1.0})
    md = markdown(report)
    assert "| floor | 4 | 2,000 | 0.5 | 1.0 |" in md
    assert "for NTBase and for the bare Flask floor" in md

    old = {"machine": "m", "duration": 1, "sizes": {"S": dict(size, endpoints={
        FLOOR: {"4": dict(fig(2000), ratio_to_floor=1.0)}})}}
    md = markdown(old)
    assert "| floor | 4 | 2,000 | — | 1.0 |" in md
    assert "no bare Flask floor" in md
