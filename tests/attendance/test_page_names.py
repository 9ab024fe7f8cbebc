""""点名册" named two pages: the enrollment list of a course and the attendance roll of a
session. Each has its own name now, in its links and its headings (#15.16)."""
import re

from tests.attendance.helpers import enroll, past_course
from tests.cards import card_problems, card_tables


def _h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


def test_the_two_lists_have_distinct_chinese_names(client, login, staff_a, base_a):
    course = past_course(base_a)
    enroll(course)
    from ntbase.kernel.db import db

    db.session.commit()
    login(staff_a)
    session = course.sessions[0]
    enrollments = client.get(f"/manage/courses/{course.id}/roster").get_data(as_text=True)
    roll = client.get(f"/manage/courses/{course.id}/sessions/{session.id}/roster").get_data(as_text=True)
    assert _h1(enrollments).startswith("报名名单")
    assert _h1(roll) == "考勤点名册"
    assert "点名册" not in enrollments
    # the links that lead to them carry the same names
    manage = client.get(f"/manage/courses/{course.id}").get_data(as_text=True)
    assert re.search(rf'href="/manage/courses/{course.id}/roster">报名名单</a>', manage)
    attendance = client.get(f"/manage/courses/{course.id}/attendance").get_data(as_text=True)
    assert re.search(rf'href="/manage/courses/{course.id}/sessions/{session.id}/roster">考勤点名册</a>', attendance)
    base_page = client.get(f"/manage/bases/{base_a.id}").get_data(as_text=True)
    assert "报名名单</a>" in base_page and "点名册" not in base_page


def test_both_rosters_become_cards_on_phones(client, login, staff_a, base_a):
    """On a phone each learner is a card titled with the name, each cell labelled with its column."""
    course = past_course(base_a)
    enroll(course)
    enroll(course)
    from ntbase.kernel.db import db

    db.session.commit()
    login(staff_a)
    enrollments = client.get(f"/manage/courses/{course.id}/roster").get_data(as_text=True)
    roll = client.get(f"/manage/courses/{course.id}/sessions/{course.sessions[0].id}/roster").get_data(as_text=True)
    for html, title_column in ((enrollments, "姓名"), (roll, "学员")):
        assert card_problems(html) == []  # every table of the page (there is one): class cards, cells labelled
        (table,) = card_tables(html)
        assert len(table["rows"]) == 2  # a card for each learner, not the "nobody yet" row
        for row in table["rows"]:
            # each cell is labelled with its own column's name, in the columns' order
            assert [cell.get("data-label") for cell in row] == table["headers"]
            # one cell titles the card: the learner's name
            assert [cell["data-label"] for cell in row if "card-title" in cell.get("class", "").split()] \
                == [title_column]
