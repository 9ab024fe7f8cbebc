import pytest

from ntbase.kernel.db import db


def test_staff_reaches_own_base(client, login, staff_a, base_a):
    login(staff_a)
    assert client.get(f"/manage/bases/{base_a.id}").status_code == 200


def test_staff_cannot_reach_other_base(client, login, staff_a, base_b):
    login(staff_a)
    r = client.get(f"/manage/bases/{base_b.id}")
    assert r.status_code == 403
    assert "没有权限" in r.get_data(as_text=True)


@pytest.mark.parametrize("who", ["learner", "office"])
def test_non_staff_cannot_manage(client, login, base_a, who, request):
    login(request.getfixturevalue(who))
    assert client.get(f"/manage/bases/{base_a.id}").status_code == 403


def test_anonymous_is_sent_to_login(client, base_a):
    db.session.commit()
    r = client.get(f"/manage/bases/{base_a.id}")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]


def test_suspended_base_not_listed(client, base_a, base_b):
    from ntbase.bases.services import change_base_status
    from ntbase.kernel.enums import CertificationStatus

    change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    html = client.get("/bases").get_data(as_text=True)
    assert "甲基地" in html and "乙基地" not in html
