"""axe-core on every page of the app, in Chromium: no violation of impact moderate or above.

The pages are found by walking the app as an officer would: from the dashboard, every link of the main
navigation, then every page those link to, one page per kind (ids and query strings aside: /invoices/7 stands for
every invoice), plus the sign-in page and an error page. axe-core comes inside the `axe-playwright-python` wheel,
so nothing is downloaded while the tests run.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in

SERIOUS = ("moderate", "serious", "critical")
#: Links that are not pages: downloads, the API, signing out.
NOT_PAGES = re.compile(r"^/(api/|static/|logout)|/report\.|/pain001$|^/budgets/reports/|[?&](\w+_)?export=")
#: Pages only a partner's people see: walked as the demo's Rwanda partner, from its landing page.
PARTNER_PAGES = "web_partner"
#: Enough to reach every kind of page from the navigation (kept small: each page costs an axe run).
MAX_PAGES = 60


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is a test dependency (setup.cfg [test]); pip install -e .[test]")
    return Axe()


def kind_of(path: str) -> str:
    """/invoices/12 and /invoices/7 are one kind of page; so are /settlement/2026-05 and /settlement/2026-06."""
    return re.sub(r"/\d{4}-\d{2}(?=/|$)", "/<period>", re.sub(r"/\d+(?=/|$)", "/<id>", path))


def serious_violations(axe, page) -> list[str]:
    results = axe.run(page)
    out = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            out.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return out


def _links(page) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href], nav.main-nav a[href]",
                                      "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and not NOT_PAGES.search(h)]


def walk(page, visit, seen: dict[str, str] | None = None, start: str = "/") -> dict[str, str]:
    """kind of page → the first URL seen of it, breadth first from `start`; `visit(page, url)` on each new one."""
    seen = {} if seen is None else seen
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        kind = kind_of(urlsplit(url).path)
        if kind in seen:
            continue
        response = page.goto(url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen[kind] = url
        visit(page, url)
        queue += [link for link in _links(page) if kind_of(urlsplit(link).path) not in seen]
    return seen


def page_kinds() -> set[str]:
    """Every page the app serves (GET routes of its page blueprints, downloads aside), as `kind_of` names them."""
    from ledger import create_app
    from ledger.web import PAGE_BLUEPRINTS

    app = create_app({"LEDGER_DATABASE_URL": "sqlite://"})
    kinds = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if ("GET" in rule.methods and blueprint in PAGE_BLUEPRINTS and blueprint != PARTNER_PAGES
                and "." not in rule.rule.rsplit("/", 1)[-1] and "<path:" not in rule.rule
                and not NOT_PAGES.search(rule.rule)):  # static files and downloads are not pages
            kinds.add(re.sub(r"<string:period>", "<period>", re.sub(r"<int:\w+>", "<id>", rule.rule)))
    return kinds


def test_no_page_has_a_moderate_or_worse_accessibility_violation(page, chromium, server):
    axe = _axe()
    problems = {}

    def check(on, url):
        if found := serious_violations(axe, on):
            problems[url] = found

    page.goto("/login")
    check(page, "/login")
    sign_in(page)
    pages = walk(page, check)
    auditor = chromium.new_context(base_url=server["url"], viewport={"width": 1280, "height": 900}).new_page()
    sign_in(auditor, "auditor")  # the audit log is the auditors' (and admins') page: its own links, from its nav
    for link in _links(auditor):
        if kind_of(urlsplit(link).path) not in pages:
            walk(auditor, check, pages, start=link)
    auditor.context.close()
    # A partner's pages (its statements and reviews) exist only once a month is signed: the landing page always.
    partner = chromium.new_context(base_url=server["url"], viewport={"width": 1280, "height": 900}).new_page()
    sign_in(partner, "partner")
    partner_pages = walk(partner, check, {}, start="/partner")
    partner.context.close()
    assert "/partner" in partner_pages
    missing = page_kinds() - set(pages) - {"/login"}
    assert not missing, f"no link leads to {missing}: add the page to the walk"
    page.goto("/no-such-page")
    check(page, "/no-such-page")
    print(f"axe-core checked {len(pages) + 2} pages")
    assert not problems, "\n".join(f"{url}:\n  " + "\n  ".join(found) for url, found in problems.items())
