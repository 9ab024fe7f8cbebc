"""The page chrome (top, menu, footer) is rendered once per language, role and page
(ntbase.templating.fragment): each visitor still gets their own menu and language."""
import re


def _menu(html: str) -> list[str]:
    nav = html[html.index('id="site-nav"'):html.index("</nav>")]
    return re.findall(r'<a href="([^"]+)"\s*(aria-current="page")?', nav)


def test_menu_and_footer_are_the_same_as_a_fresh_render_for_each_role_page_and_language(client, login, learner):
    anon_verify = client.get("/verify").get_data(as_text=True)
    anon_courses = client.get("/courses").get_data(as_text=True)
    assert ("/verify", 'aria-current="page"') in _menu(anon_verify)
    assert ("/verify", "") in _menu(anon_courses) and ("/courses", 'aria-current="page"') in _menu(anon_courses)
    assert "/hours/calculator" in dict(_menu(anon_verify)), "visitors get the calculator in the menu"
    english = client.get("/verify?lang=en").get_data(as_text=True)
    assert "Verify a certificate" in english and "Nantong professional and technical personnel" in english
    login(learner)
    mine = client.get("/verify?lang=zh_CN").get_data(as_text=True)
    links = dict(_menu(mine))
    assert "/me/hours" in links and "/hours/calculator" not in links, "a learner's own menu, not the visitors'"
    assert "证书核验" in mine and "Verify a certificate" not in mine
    assert "张晓明" in mine
