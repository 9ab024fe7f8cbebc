"""The checks every journey's pages get (tests/e2e/conftest.py) do find what they look for:
a CSP violation and a serious accessibility fault each fail the page."""
import pytest


def _probe(page, live_server, body: str):
    """Serve ``body`` at a path of the live site with the site's own CSP header."""
    real = page.request.get(live_server.url + "/healthz")
    csp = real.headers["content-security-policy"]
    page.route("**/probe", lambda route: route.fulfill(
        status=200, body=body, content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": csp}))
    page.goto(live_server.url + "/probe")


def test_a_csp_violation_is_caught(live_server, page):
    _probe(page, live_server, '<!doctype html><html lang="zh-CN"><title>t</title><main>'
                              '<p style="color:red">x</p><script>document.title="ran"</script></main>')
    assert page.title() == "t"  # the inline script was blocked
    with pytest.raises(AssertionError, match="Content-Security-Policy"):
        page.audit.check()


def test_a_serious_accessibility_fault_is_caught(live_server, page):
    _probe(page, live_server, '<!doctype html><html lang="zh-CN"><title>t</title><main>'
                              '<img src="/static/none.png"><input type="text"></main>')
    with pytest.raises(AssertionError, match="image-alt|label"):
        page.audit.check()
    page.audit.enabled = False  # the fault is the point of this page


def test_site_pages_pass_both_checks(live_server, page):
    page.goto(live_server.url + "/")
    page.audit.check()
    assert page.audit.audited == [live_server.url + "/"]
