"""Art. 22 disclosure: four parts, versions, pages, staff editing, cross-base access."""
import pytest
import sqlalchemy as sa

from ntbase.bases import services as bs
from ntbase.bases.models import DisclosureVersion, FeeItem, Room, Teacher
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.catalog.helpers import as_user, disclose


@pytest.mark.parametrize("raw,fen", [("200", 20000), ("200.5", 20050), ("¥1,200.50", 120050), ("0", 0),
                                     (" 99.99 元", 9999)])
def test_parse_yuan(raw, fen):
    assert bs.parse_yuan(raw) == fen


@pytest.mark.parametrize("raw", ["-1", "1.234", "abc", "", "NaN", "1e12"])
def test_parse_yuan_refuses(raw):
    with pytest.raises(DomainError):
        bs.parse_yuan(raw)


def test_missing_parts_step_by_step(base_a):
    base = bs.load_disclosure(base_a.id)
    assert bs.disclosure_missing_keys(base) == ["scope", "fees", "people", "locations"]
    assert len(bs.disclosure_missing_parts(base)) == 4
    d = disclose(base_a)
    assert bs.disclosure_missing_parts(bs.load_disclosure(base_a.id)) == []
    bs.retire_item(base_a, d.room, None)
    bs.retire_item(base_a, d.room2, None)
    assert bs.disclosure_missing_keys(bs.load_disclosure(base_a.id)) == ["locations"]


def test_every_save_is_a_new_immutable_version(base_a, staff_a):
    d = disclose(base_a, actor_id=staff_a.id)
    versions = db.session.scalars(sa.select(DisclosureVersion).order_by(DisclosureVersion.version)).all()
    assert [v.version for v in versions] == list(range(1, len(versions) + 1))
    assert all(v.created_by_id == staff_a.id for v in versions)
    last = versions[-1]
    before = dict(last.snapshot)
    bs.save_fee_item(base_a, d.fee, name="公需科目培训费", amount_yuan="260", unit="每人", covers="授课",
                     actor_id=staff_a.id)
    db.session.expire_all()
    assert db.session.get(DisclosureVersion, last.id).snapshot == before
    now = bs.current_disclosure(base_a.id)
    assert now.version == last.version + 1
    assert now.snapshot["fees"]["items"][0]["amount_fen"] == 26000
    assert before["fees"]["items"][0]["amount_fen"] == 20000


def test_scope_validation(base_a):
    with pytest.raises(DomainError) as exc:
        bs.update_scope(base_a, subjects=[], staff_levels=["junior"], scope_text="x", terms_text="y", actor_id=None)
    assert exc.value.field == "subjects"
    with pytest.raises(DomainError) as exc:
        bs.update_scope(base_a, subjects=["public"], staff_levels=["boss"], scope_text="x", terms_text="y",
                        actor_id=None)
    assert exc.value.field == "staff_levels"


def test_staff_fill_the_disclosure_through_the_pages(client, login, staff_a, base_a):
    as_user(login, staff_a)
    base = base_a.id
    assert client.get(f"/manage/bases/{base}/disclosure").status_code == 200
    r = client.post(f"/manage/bases/{base}/disclosure/scope", data={
        "subjects": ["public", "specialized"], "staff_levels": ["junior", "intermediate"],
        "scope_text": "公需科目培训", "terms_text": "每年3月至11月"})
    assert r.status_code == 302
    r = client.post(f"/manage/bases/{base}/disclosure/fee/new", data={
        "name": "公需科目培训费", "amount_yuan": "-200", "unit": "每人", "covers": "授课"})
    assert r.status_code == 422 and 'id="amount_yuan-err"' in r.get_data(as_text=True)
    r = client.post(f"/manage/bases/{base}/disclosure/fee/new", data={
        "name": "公需科目培训费", "amount_yuan": "200.50", "unit": "每人", "covers": "授课"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(FeeItem.amount_fen)) == 20050
    client.post(f"/manage/bases/{base}/disclosure/refund-policy", data={"refund_policy": "开课前全额退费"})
    client.post(f"/manage/bases/{base}/disclosure/teacher/new", data={
        "name": "王建国", "title": "副教授", "organisation": "南通大学", "subjects": "安全生产", "bio": ""})
    client.post(f"/manage/bases/{base}/disclosure/manager/new", data={
        "name": "陈主任", "duty": "教务", "contact": "0513-1234567"})
    client.post(f"/manage/bases/{base}/disclosure/location/new", data={
        "name": "主校区", "address": "青年中路89号", "facilities": "多媒体教室"})
    loc_id = db.session.scalar(sa.text("SELECT id FROM location"))
    r = client.post(f"/manage/bases/{base}/disclosure/location/{loc_id}/rooms/new", data={"name": "A101",
                                                                                         "seats": "60"})
    assert r.status_code == 302
    assert bs.disclosure_missing_parts(bs.load_disclosure(base)) == []
    html = client.get(f"/manage/bases/{base}").get_data(as_text=True)
    assert "缺少" not in html
    # editing a fee item shows yuan and writes a new version
    fee = db.session.scalar(sa.select(FeeItem))
    assert 'value="200.50"' in client.get(f"/manage/bases/{base}/disclosure/fee/{fee.id}").get_data(as_text=True)
    n = db.session.scalar(sa.select(sa.func.count(DisclosureVersion.id)))
    client.post(f"/manage/bases/{base}/disclosure/fee/{fee.id}/retire")
    assert db.session.scalar(sa.select(sa.func.count(DisclosureVersion.id))) == n + 1
    db.session.expire_all()
    assert db.session.get(FeeItem, fee.id).active is False


def test_public_page_shows_disclosure_and_history(client, base_a):
    d = disclose(base_a)
    bs.save_teacher(base_a, d.teacher, name="王建国", title="教授", organisation="南通大学", subjects="安全",
                    bio="", actor_id=None)
    db.session.commit()
    html = client.get(f"/bases/{base_a.id}").get_data(as_text=True)
    for text in ("公需科目培训费", "¥200.00", "开课前3天可全额退费", "教授", "陈主任", "A101", "多媒体教室",
                 "历史版本", "每年3月至11月"):
        assert text in html, text
    old = bs.current_disclosure(base_a.id).version - 1
    html = client.get(f"/bases/{base_a.id}/disclosure/{old}").get_data(as_text=True)
    assert "副教授" in html
    assert client.get(f"/bases/{base_a.id}/disclosure/999").status_code == 404


EDIT_URLS = ["/manage/bases/{base}/disclosure", "/manage/bases/{base}/disclosure/scope",
             "/manage/bases/{base}/disclosure/refund-policy", "/manage/bases/{base}/disclosure/fee/new",
             "/manage/bases/{base}/disclosure/teacher/{teacher}", "/manage/bases/{base}/disclosure/room/{room}",
             "/manage/bases/{base}/disclosure/location/{loc}/rooms/new"]


@pytest.mark.parametrize("url", EDIT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_b_get_403_on_base_a_disclosure(client, login, staff_b, base_a, url, method):
    d = disclose(base_a)
    db.session.commit()
    as_user(login, staff_b)
    u = url.format(base=base_a.id, teacher=d.teacher.id, room=d.room.id, loc=d.location.id)
    if method == "post" and u.endswith("/disclosure"):
        method = "get"  # the overview page is read-only
    assert getattr(client, method)(u, data={"name": "改", "seats": "1"}).status_code == 403
    r = client.post(f"/manage/bases/{base_a.id}/disclosure/teacher/{d.teacher.id}/retire")
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Teacher, d.teacher.id).name == "王建国"


def test_items_of_a_through_b_urls_are_404(client, login, staff_b, base_a, base_b):
    d = disclose(base_a)
    db.session.commit()
    as_user(login, staff_b)
    for kind, obj in (("teacher", d.teacher), ("fee", d.fee), ("room", d.room), ("location", d.location)):
        assert client.get(f"/manage/bases/{base_b.id}/disclosure/{kind}/{obj.id}").status_code == 404
        r = client.post(f"/manage/bases/{base_b.id}/disclosure/{kind}/{obj.id}", data={"name": "改", "seats": "1"})
        assert r.status_code == 404
        assert client.post(f"/manage/bases/{base_b.id}/disclosure/{kind}/{obj.id}/retire").status_code == 404
    assert client.get(f"/manage/bases/{base_b.id}/disclosure/location/{d.location.id}/rooms/new").status_code == 404
    assert client.get(f"/manage/bases/{base_b.id}/disclosure/nonsense/new").status_code == 404
    db.session.expire_all()
    assert db.session.get(Room, d.room.id).name == "A101" and db.session.get(Teacher, d.teacher.id).active


def test_history_says_what_each_version_changed(client, base_a):
    d = disclose(base_a)
    bs.save_teacher(base_a, d.teacher, name="王建国", title="教授", organisation="南通大学", subjects="安全",
                    bio="", actor_id=None)
    bs.retire_item(base_a, d.room2, None)
    db.session.commit()
    html = client.get(f"/bases/{base_a.id}").get_data(as_text=True)
    for text in ("撤下教室“A102”", "修改教师“王建国”", "新增收费项目“资料费”", "培训范围和时间已更新"):
        assert text in html, text
    # the newest versions first, the rest folded away
    assert "更早的版本（" in html and html.index("撤下教室") < html.index("更早的版本")
    en = client.get(f"/bases/{base_a.id}?lang=en").get_data(as_text=True)
    assert "Withdrew room “A102”" in en and "Changed teacher “王建国”" in en


def test_hostile_names_are_escaped_everywhere(client, login, staff_a, base_a):
    """Names typed by staff end up in pages, attributes (data-confirm) and the API: never as markup."""
    from tests.catalog.helpers import published_course

    evil = '"><img src=x onerror=alert(1)>'
    d = disclose(base_a)
    bs.save_teacher(base_a, d.teacher, name="王" + evil[:40], title=evil, organisation=evil, subjects=evil,
                    bio=evil, actor_id=None)
    bs.save_fee_item(base_a, d.fee, name="费" + evil[:60], amount_yuan="200", unit=evil[:50], covers=evil,
                     actor_id=None)
    c = published_course(d, title="课程" + evil)
    db.session.commit()
    as_user(login, staff_a)
    for url in (f"/bases/{base_a.id}", f"/manage/bases/{base_a.id}/disclosure", f"/courses/{c.id}",
                f"/manage/courses/{c.id}", f"/manage/bases/{base_a.id}", "/courses", "/bases/compare",
                f"/manage/courses/{c.id}/edit"):
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html, url
