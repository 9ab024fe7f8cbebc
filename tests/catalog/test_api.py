"""Read API: bases and courses, same filters as the catalog, JSON errors, OpenAPI."""
import pytest

from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.kernel.db import db
from ntbase.kernel.enums import CertificationStatus
from tests.catalog.helpers import course_input, disclose, published_course


@pytest.fixture()
def d(base_a):
    return disclose(base_a)


def test_bases_list_and_detail(client, d, base_b):
    bs.change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    r = client.get("/api/v1/bases")
    assert r.status_code == 200 and [b["id"] for b in r.json["items"]] == [d.base.id]
    r = client.get(f"/api/v1/bases/{d.base.id}")
    body = r.json
    assert body["name"] == "甲基地" and body["disclosure"]["version"] >= 1
    assert body["disclosure"]["fees"]["items"][0]["amount_fen"] == 20000
    assert body["disclosure"]["people"]["teachers"][0]["title"] == "副教授"
    for bad in (base_b.id, 999):
        r = client.get(f"/api/v1/bases/{bad}")
        assert r.status_code == 404 and r.is_json and r.json["message"]


def test_courses_list_with_filters_and_pagination(client, d):
    published_course(d, title="专业技术人员安全生产知识培训", start_day=30)
    published_course(d, title="人工智能与数字经济", start_day=40, fee_qty=0, category="specialized",
                     description_md="数字经济")
    cs.create_course(d.base, course_input(d, title="草稿安全课", start_day=60))
    db.session.commit()
    body = client.get("/api/v1/courses").json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    first = body["items"][0]
    assert first["title"] == "专业技术人员安全生产知识培训" and first["price_fen"] == 20000
    assert first["hours"] == "12.0" and first["seats_left"] == 30 and first["teachers"] == ["王建国"]
    assert [c["title"] for c in client.get("/api/v1/courses?q=安全").json["items"]] == ["专业技术人员安全生产知识培训"]
    assert client.get("/api/v1/courses?category=specialized").json["total"] == 1
    assert client.get("/api/v1/courses?price_max=0").json["total"] == 1
    assert client.get("/api/v1/courses?sort=price").json["items"][0]["price_fen"] == 0
    body = client.get("/api/v1/courses?per_page=1&page=2").json
    assert body["pages"] == 2 and len(body["items"]) == 1


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "month=May", "sort=evil", "price_min=-5",
                                   "date_from=yesterday", "category=evil", "mode=teleport", "staff_level=boss",
                                   "profession=astrology", "base=abc", "month=2026-13"])
def test_bad_filters_are_json_422(client, d, query):
    r = client.get("/api/v1/courses?" + query)
    assert r.status_code == 422 and r.is_json and r.json["message"]


def test_course_detail_and_404s(client, d, base_b):
    c = published_course(d)
    draft = cs.create_course(d.base, course_input(d, title="草稿", start_day=60))
    b = disclose(base_b, prefix="乙")
    suspended = published_course(b, title="暂停基地课程")
    bs.change_base_status(base_b, CertificationStatus.SUSPENDED, "评估不合格", None)
    db.session.commit()
    body = client.get(f"/api/v1/courses/{c.id}").json
    assert body["location"] == "主校区" and body["room"] == "A101" and len(body["sessions"]) == 2
    assert body["fee_lines"] == [{"item": "公需科目培训费", "covers": "授课、讲义、考核", "unit": "每人",
                                  "quantity": 1, "amount_fen": 20000}]
    assert body["refund_policy"] == "开课前3天可全额退费" and body["disclosure_version"] >= 1
    assert body["ics_url"].endswith(f"/courses/{c.id}.ics")
    for missing in (draft.id, suspended.id, 99999):
        r = client.get(f"/api/v1/courses/{missing}")
        assert r.status_code == 404 and r.json["error"] == "not_found" and r.json["message"]
    assert client.get("/api/v1/courses?q=暂停").json["total"] == 0


def test_openapi_documents_the_catalog(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/bases", "/api/v1/bases/{base_id}", "/api/v1/courses", "/api/v1/courses/{course_id}"):
        assert "get" in doc["paths"][path], path
    assert "CourseDetailOut" in doc["components"]["schemas"]
    params = {p["name"] for p in doc["paths"]["/api/v1/courses"]["get"]["parameters"]}
    assert {"q", "base", "category", "month", "price_min", "seats_left", "sort", "page"} <= params


def test_empty_filters_mean_any(client, d):
    published_course(d)
    db.session.commit()
    r = client.get("/api/v1/courses?category=&mode=&staff_level=&profession=&q=&month=&base=")
    assert r.status_code == 200 and r.json["total"] == 1
