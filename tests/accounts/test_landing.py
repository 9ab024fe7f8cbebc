"""Where people land after logging in and after registering (#15.11, #15.16)."""
import pytest

from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from tests.factories import PASSWORD, make_learner, make_user


def _log_in(client, user, next_=None):
    url = "/account/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"login": user.email, "password": PASSWORD})


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_office_users_land_on_their_console(client, app_ctx, role):
    user = make_user(role)
    db.session.commit()
    resp = _log_in(client, user)
    assert resp.status_code == 302 and resp.headers["Location"] == "/office"


def test_next_still_wins_over_the_console(client, app_ctx):
    user = make_user(Role.OFFICE)
    db.session.commit()
    resp = _log_in(client, user, next_="/office/stats")
    assert resp.headers["Location"] == "/office/stats"


def test_staff_and_learners_land_where_they_did(client, staff_a, base_a, learner):
    assert _log_in(client, staff_a).headers["Location"] == f"/manage/bases/{base_a.id}"
    client.post("/account/logout")
    assert _log_in(client, learner).headers["Location"] == "/"


def test_a_new_learner_is_shown_next_steps(client):
    from tests.factories import valid_id_number

    resp = client.post("/account/register", data={
        "real_name": "周文", "id_number": valid_id_number(77), "mobile": "13700001234",
        "email": "zw@example.cn", "employer": "南通市第三人民医院", "profession_series": "health",
        "title_level": "intermediate",
        "password": "Zhou-wen-2026", "password2": "Zhou-wen-2026"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.request.path == "/account/profile"
    steps = html[html.index('id="next-steps"'):]
    steps = steps[:steps.index("</section>")]
    for href, text in (("/courses", "查找课程并报名"), ("/me/hours", "查看我今年的学时"), ("/me/courses", "我的课程"),
                       ("/me/certificates", "我的证书")):
        assert f'href="{href}"' in steps and text in steps
    # each step opens for the new learner
    for href in ("/courses", "/me/hours", "/me/courses", "/me/certificates"):
        assert client.get(href).status_code == 200


def test_staff_profile_points_to_their_base(client, login, staff_a, base_a):
    login(staff_a)
    html = client.get("/account/profile").get_data(as_text=True)
    assert f'href="/manage/bases/{base_a.id}"' in html[html.index('id="next-steps"'):]


def test_learner_factory_profile_shows_steps(client, login, app_ctx):
    user = make_learner()
    db.session.commit()
    login(user)
    assert 'id="next-steps"' in client.get("/account/profile").get_data(as_text=True)
