"""The peer comparison's table (bench/peer/run.py) from made-up figures: nothing served or timed."""
from __future__ import annotations

from bench.peer.run import GOAL, PAIRS, markdown, pair_ratio


def fig(rps, p50=1.0, p95=2.0, bare=None):
    return {"rps": rps, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95, "requests": 10, "errors": 0,
            "ratio_to_bare": bare}


def test_pair_ratio():
    assert pair_ratio(fig(1000), fig(40)) == 25.0
    assert pair_ratio(fig(1000), fig(0)) is None


def test_table_has_one_row_per_pair_and_concurrency_with_the_goal():
    rows = {"bare_floor": {"8": fig(3000, bare=1.0)}}
    pairs = {}
    for i, (label, a, b) in enumerate(PAIRS):
        rows[a] = {"8": fig(1500, bare=0.5)}
        rows[b] = {"8": fig(100 if i else 50, p95=300.0, bare=0.03)}
        pairs[label] = {"8": pair_ratio(rows[a]["8"], rows[b]["8"])}
    report = {"machine": "m", "workers": 4, "threads": 1, "indico": "3.2.9", "duration": 5, "size": "S",
              "pg": "15", "peer_pg": "15", "results": {"rows": rows, "pairs": pairs}}
    md = markdown(report)
    table = [line for line in md.splitlines() if line.startswith("| ") and "clients" not in line]
    assert len(table) == len(PAIRS)
    assert table[0].endswith("| 30.0× | yes |")  # 1500 / 50
    assert table[1].endswith("| 15.0× | no |")  # under the goal of 20
    assert GOAL == 20
    assert "3,000 req/s at 8 clients" in md
