"""The example code parses (#15.9), and a code that is not one says why (#15.10): wrong
length, wrong characters, or a wrong check character (a typo) — on the /verify page, in
the API's message and in the office's bulk results."""
from __future__ import annotations

import pytest

from ntbase.certificates import codes

EXAMPLE = codes.display(codes.EXAMPLE_CODE)


def _one_typo(code: str) -> str:
    """The code with its fourth character replaced by another valid one (full length kept)."""
    wrong = next(ch for ch in codes.ALPHABET if ch != code[3])
    return code[:3] + wrong + code[4:]


def test_the_example_code_parses():
    assert codes.parse(EXAMPLE) == codes.EXAMPLE_CODE
    assert codes.problem(EXAMPLE) is None
    assert codes.parse("7KQ2M-XH4PA-Z9R3C") is None  # the example shown before: its check was wrong


@pytest.mark.parametrize("raw,problem", [
    ("", "empty"), ("  - ", "empty"), ("7KQ2M-XH4PA", "length"), (codes.EXAMPLE_CODE + "7", "length"),
    (codes.EXAMPLE_CODE[:-1] + "U", "characters"), ("7KQ2M-XH4PA-Z9R3C", "check"),
    (_one_typo(codes.EXAMPLE_CODE), "check"), (codes.EXAMPLE_CODE.lower(), None)])
def test_problem_tells_the_faults_apart(raw, problem):
    assert codes.problem(raw) == problem


def test_every_single_typo_of_a_full_code_is_a_check_problem():
    code = codes.new_code()
    for i in range(codes.CODE_LEN):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert codes.problem(code[:i] + ch + code[i + 1:]) == "check"


@pytest.mark.parametrize("page", ["/verify", "/office/verify"])
def test_the_pages_show_the_valid_example(client, login, office, page):
    login(office)
    html = client.get(page).get_data(as_text=True)
    assert EXAMPLE in html
    assert "7KQ2M-XH4PA-Z9R3C" not in html


def test_typing_the_example_finds_no_certificate_rather_than_a_bad_code(client):
    r = client.get(f"/verify?code={EXAMPLE}")
    assert r.status_code == 200
    assert "没有编号为" in r.get_data(as_text=True) or "未找到" in r.get_data(as_text=True) \
        or "No certificate" in r.get_data(as_text=True)


@pytest.mark.parametrize("raw,zh,en", [
    (_one_typo(codes.EXAMPLE_CODE), "校验位不符", "The check character does not match"),
    ("7KQ2M-XH4PA", "编号共 15 位字母和数字，您输入了 10 位", "A code has 15 letters and digits; this one has 10"),
    (codes.EXAMPLE_CODE[:-1] + "U", "编号中不能出现“U”", "“U” cannot be part of a code"),
])
def test_the_page_and_the_api_say_what_is_wrong(client, raw, zh, en):
    page = client.get(f"/verify?code={raw}")
    assert page.status_code == 422
    assert zh in page.get_data(as_text=True)
    assert "需要 15 位" not in page.get_data(as_text=True)
    api = client.get(f"/api/v1/certificates/{raw}?lang=en")
    assert api.status_code == 422
    assert api.json["message"].startswith(en)
    assert api.json["state"] == "malformed" and api.json["problem"] in ("check", "length", "characters")
    assert client.get(f"/api/v1/certificates/{raw}?lang=zh_CN").json["message"].startswith(zh)


def test_bulk_results_say_the_check_character_does_not_match(app_ctx):
    from ntbase.office import bulk

    typo = codes.display(_one_typo(codes.EXAMPLE_CODE))
    with app_ctx.test_request_context("/"):
        results = bulk.check_items([bulk.Item(code=typo), bulk.Item(code="7KQ2M-XH4PA")])
    assert results[0]["result"] == "malformed" and results[0]["note"].startswith("校验位不符")
    assert results[1]["note"].startswith("编号共 15 位字母和数字，您输入了 10 位")
