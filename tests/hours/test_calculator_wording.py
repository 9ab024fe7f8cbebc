"""The public calculator speaks to people, not to programmers (#15.16)."""
import re

import pytest


def _visible_text(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    main = re.sub(r"<(script|template)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)  # attributes (data-api=…) are not text


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_api_jargon_on_the_calculator(client, lang):
    client.get(f"/?lang={lang}")
    text = _visible_text(client.get("/hours/calculator").get_data(as_text=True))
    for jargon in ("/api/", "POST", "JSON", "API", "接口"):
        assert jargon not in text, jargon
    assert ("不会被保存" in text) if lang == "zh_CN" else ("Nothing you enter here is saved" in text)


def test_the_appointment_period_is_explained(client):
    html = client.get("/hours/calculator").get_data(as_text=True)
    assert 'id="period-hint"' in html and "聘期为选填项" in html
