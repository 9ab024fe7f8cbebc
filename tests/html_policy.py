"""What the Content-Security-Policy forbids in our HTML, found by parsing it.

The policy (ntbase/security_headers.py) allows no inline style and no inline script, so a
page holding one is broken in the browser: the style is ignored, the script does not run.
``inline_violations(html)`` lists them; tests/conftest.py runs it on every HTML response the
test apps send, and tests/test_security_headers.py on every template file.
"""
from __future__ import annotations

from html.parser import HTMLParser


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script_open: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        where = f"<{tag}{' id=' + a['id'] if a.get('id') else ''}> (line {self.getpos()[0]})"
        if "style" in a:
            self.found.append(f"style= attribute on {where}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"inline handler {name}= on {where}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"javascript: URL in {name}= on {where}")
        if tag == "style":
            self.found.append(f"<style> block (line {self.getpos()[0]})")
        if tag == "script":
            # an external script, or an inline one carrying the request's nonce
            self._script_open = None if ("src" in a or a.get("nonce")) else where

    def handle_endtag(self, tag):
        if tag == "script" and self._script_open:
            self.found.append(f"inline <script> without a nonce: {self._script_open}")
            self._script_open = None


def inline_violations(html: str) -> list[str]:
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.found
