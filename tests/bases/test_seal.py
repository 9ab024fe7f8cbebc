"""The base's seal: checked by content, stored re-encoded, only its own staff may change it,
printed over the issuer line of the certificate PDF and printable page."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from ntbase.bases import seal
from ntbase.bases.seal import Seal
from ntbase.kernel.db import db
from tests import factories
from tests.attendance.helpers import completed_certificate, login_as


def seal_png(size=(300, 300), background=(255, 255, 255, 255)) -> bytes:
    """A red ring and star on white paper, like a scanned 公章."""
    img = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.ellipse((8, 8, w - 8, h - 8), outline=(200, 20, 20, 255), width=max(4, w // 25))
    draw.regular_polygon((w / 2, h / 2, w / 6), 5, fill=(200, 20, 20, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def upload(client, base_id: int, data: bytes, filename: str = "seal.png"):
    return client.post(f"/manage/bases/{base_id}/seal", data={"image": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def seal_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Seal))


# ------------------------------------------------------------ upload, replace, remove

def test_staff_upload_stores_a_re_encoded_png_with_paper_made_transparent(client, login, base_a, staff_a):
    login_as(login, staff_a)
    raw = seal_png()
    r = upload(client, base_a.id, raw)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/bases/{base_a.id}/seal")
    stored = seal.seal_of(base_a.id)
    assert stored is not None and (stored.width, stored.height) == (300, 300) and stored.uploaded_by_id == staff_a.id
    assert stored.png != raw and stored.png.startswith(seal.PNG_SIGNATURE)
    with Image.open(io.BytesIO(stored.png)) as img:
        assert img.mode == "RGBA"
        assert img.getpixel((2, 2))[3] == 0  # white paper → transparent
        assert img.getpixel((150, 150))[:3] == (200, 20, 20) and img.getpixel((150, 150))[3] == 255  # ink stays


def test_replace_and_remove(client, login, base_a, staff_a):
    login_as(login, staff_a)
    upload(client, base_a.id, seal_png())
    first = seal.seal_of(base_a.id).sha256
    upload(client, base_a.id, seal_png(size=(200, 240)))
    db.session.expire_all()
    assert seal_count() == 1 and seal.seal_of(base_a.id).sha256 != first
    r = client.post(f"/manage/bases/{base_a.id}/seal/remove")
    assert r.status_code == 302 and seal_count() == 0
    r = client.post(f"/manage/bases/{base_a.id}/seal/remove", follow_redirects=True)
    assert "没有可删除的公章" in r.get_data(as_text=True)


def test_staff_of_another_base_gets_403_and_nothing_changes(client, login, base_a, staff_a, staff_b, learner, office):
    login_as(login, staff_a)
    upload(client, base_a.id, seal_png())
    before = seal.seal_of(base_a.id).sha256
    for user in (staff_b, learner, office):
        login_as(login, user)
        assert upload(client, base_a.id, seal_png(size=(100, 100))).status_code == 403
        assert client.post(f"/manage/bases/{base_a.id}/seal/remove").status_code == 403
        assert client.get(f"/manage/bases/{base_a.id}/seal").status_code == 403
        assert client.get(f"/manage/bases/{base_a.id}/seal.png").status_code == 403
    db.session.expire_all()
    assert seal_count() == 1 and seal.seal_of(base_a.id).sha256 == before


def _too_big_file() -> bytes:
    noise = Image.frombytes("RGB", (1000, 1000), bytes((i * 7919) % 251 for i in range(3_000_000)))
    buf = io.BytesIO()
    noise.save(buf, format="PNG", compress_level=0)
    assert len(buf.getvalue()) > seal.MAX_BYTES
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), "red").save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.parametrize(("make", "message"), [
    (lambda: _jpeg(), "PNG"),  # a JPEG named seal.png
    (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG"),
    (lambda: seal.PNG_SIGNATURE + b"\x00" * 100, "PNG"),  # the magic bytes and nothing behind them
    (lambda: seal_png()[:400], "PNG"),  # truncated
    (lambda: seal_png(size=(2001, 20)), "2000"),
    (lambda: _too_big_file(), "1 MB"),
    (lambda: b"", "PNG"),
])
def test_uploads_that_are_not_an_acceptable_png_are_refused(client, login, base_a, staff_a, make, message):
    login_as(login, staff_a)
    r = upload(client, base_a.id, make())
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'field-error' in html and message in html
    assert seal_count() == 0


def test_normalize_refuses_a_decompression_bomb_by_its_header():
    # 2000 × 2000 is allowed; a header claiming more is refused before any pixel is decoded
    with pytest.raises(seal.DomainError):
        seal.normalize_png(seal_png(size=(2100, 2100)))


# ------------------------------------------------------------ where it shows

def test_manage_page_shows_the_seal_preview(client, login, base_a, staff_a):
    login_as(login, staff_a)
    html = client.get(f"/manage/bases/{base_a.id}").get_data(as_text=True)
    assert 'id="seal"' in html and f"/manage/bases/{base_a.id}/seal.png" not in html
    upload(client, base_a.id, seal_png())
    html = client.get(f"/manage/bases/{base_a.id}").get_data(as_text=True)
    assert f"/manage/bases/{base_a.id}/seal.png" in html
    r = client.get(f"/manage/bases/{base_a.id}/seal.png")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == seal.seal_of(base_a.id).png
    assert 'id="seal-current"' in client.get(f"/manage/bases/{base_a.id}/seal").get_data(as_text=True)


def _pdf_images(client, cert_id: int) -> int:
    data = client.get(f"/certificates/{cert_id}.pdf").data
    return data.count(b"/Subtype /Image")


def test_certificate_pdf_and_page_carry_the_seal(client, login, base_a, staff_a, learner):
    cert = completed_certificate(base_a, learner)
    login_as(login, learner)
    without = _pdf_images(client, cert.id)
    assert "seal-stamp" not in client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert client.get(f"/certificates/{cert.id}/seal.png").status_code == 404

    login_as(login, staff_a)
    upload(client, base_a.id, seal_png())
    login_as(login, learner)
    assert _pdf_images(client, cert.id) > without
    html = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert 'class="seal-stamp"' in html and f"/certificates/{cert.id}/seal.png" in html
    assert 'style="' not in html.split('id="certificate"')[1]
    r = client.get(f"/certificates/{cert.id}/seal.png")
    assert r.status_code == 200 and r.mimetype == "image/png"


def test_certificate_seal_image_only_for_who_sees_the_certificate(client, login, base_a, staff_a, learner, staff_b):
    cert = completed_certificate(base_a, learner)
    login_as(login, staff_a)
    upload(client, base_a.id, seal_png())
    stranger = factories.make_learner(real_name="李四")
    db.session.commit()
    for user, status in ((stranger, 404), (staff_b, 404), (staff_a, 200), (learner, 200)):
        login_as(login, user)
        assert client.get(f"/certificates/{cert.id}/seal.png").status_code == status


# ------------------------------------------------------------ the platform's seal on yearly statements

def platform_upload(client, data: bytes):
    return client.post("/office/seal", data={"image": (io.BytesIO(data), "seal.png")}, content_type="multipart/form-data")


def test_only_the_office_sets_the_platform_seal(client, login, base_a, staff_a, learner, office):
    for user in (staff_a, learner):
        login_as(login, user)
        assert platform_upload(client, seal_png()).status_code == 403
        assert client.post("/office/seal/remove").status_code == 403
    assert seal_count() == 0
    login_as(login, office)
    assert 'href="/office/seal"' in client.get("/office").get_data(as_text=True)
    assert platform_upload(client, seal_png()).status_code == 302
    stored = seal.seal_of(None)
    assert stored is not None and stored.owner == "office" and stored.base_id is None
    assert client.get("/office/seal.png").data == stored.png
    assert 'id="seal-current"' in client.get("/office/seal").get_data(as_text=True)
    # a base's seal is a different row: the platform's stays when a base uploads its own
    login_as(login, staff_a)
    upload(client, base_a.id, seal_png(size=(120, 120)))
    assert seal_count() == 2 and seal.seal_of(None).sha256 == stored.sha256


def test_statement_pdf_and_page_carry_the_platform_seal(client, login, learner, office):
    from ntbase.hours.statements import issue_statement

    st = issue_statement(learner.id, 2024)
    stranger = factories.make_learner(real_name="李四")
    db.session.commit()
    login_as(login, learner)
    without = client.get(f"/hours/statements/{st.id}.pdf").data.count(b"/Subtype /Image")
    assert "seal-stamp" not in client.get(f"/hours/statements/{st.id}").get_data(as_text=True)
    login_as(login, office)
    platform_upload(client, seal_png())
    login_as(login, learner)
    assert client.get(f"/hours/statements/{st.id}.pdf").data.count(b"/Subtype /Image") > without
    html = client.get(f"/hours/statements/{st.id}").get_data(as_text=True)
    assert 'class="seal-stamp"' in html and f"/hours/statements/{st.id}/seal.png" in html
    assert client.get(f"/hours/statements/{st.id}/seal.png").status_code == 200
    login_as(login, stranger)
    assert client.get(f"/hours/statements/{st.id}/seal.png").status_code == 404
