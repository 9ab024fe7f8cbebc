"""The home page's cards follow the user's role, and /favicon.ico answers (#15.11, #15.16)."""
import re

import pytest

from ntbase.kernel.enums import Role
from tests.factories import make_user


def _cards(html: str) -> list[str]:
    section = html[html.index('id="home-tasks"'):]
    section = section[:section.index("</section>")]
    return re.findall(r'<a class="task-card" id="([a-z-]+)" href="([^"]+)"', section)


def test_anonymous_visitor_sees_courses_verification_and_a_staff_login(client):
    cards = dict(_cards(client.get("/").get_data(as_text=True)))
    assert set(cards) == {"card-courses", "card-staff-login", "card-verify"}
    assert cards["card-staff-login"].startswith("/account/login")


def test_learner_is_not_offered_base_management(client, login, learner):
    login(learner)
    html = client.get("/").get_data(as_text=True)
    cards = dict(_cards(html))
    assert set(cards) == {"card-courses", "card-my-courses", "card-my-hours", "card-verify"}
    assert "管理我的基地" not in html and "/account/login" not in "".join(cards.values())
    assert cards["card-my-hours"] == "/me/hours"


def test_base_staff_see_their_own_base(client, login, staff_a, base_a):
    login(staff_a)
    html = client.get("/").get_data(as_text=True)
    cards = dict(_cards(html))
    assert cards["card-base"] == f"/manage/bases/{base_a.id}"
    assert "管理甲基地" in html
    assert "card-office" not in cards and "card-staff-login" not in cards and "card-my-hours" not in cards


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_office_users_see_their_console(client, login, app_ctx, role):
    from ntbase.kernel.db import db

    user = make_user(role)
    db.session.commit()
    login(user)
    cards = dict(_cards(client.get("/").get_data(as_text=True)))
    assert cards["card-office"] == "/office"
    assert "card-base" not in cards and "card-staff-login" not in cards and "card-my-courses" not in cards
    assert client.get(cards["card-office"]).status_code == 200


def test_every_card_opens_for_its_viewer(client, login, learner, staff_a):
    """No card leads a logged-in user to a login page or a refusal."""
    for user in (learner, staff_a):
        login(user)
        for _id, href in _cards(client.get("/").get_data(as_text=True)):
            resp = client.get(href)
            assert resp.status_code == 200, (user.role, href, resp.status_code)


def test_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)
