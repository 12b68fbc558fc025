"""Every page answers, carries the Content-Security-Policy, and leaves nothing for it to block:
no inline script, no inline event handler, no javascript: URL, no inline style."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.web.site_pages import PORTAL_PASSWORD, build_world, every_page, unlisted_patterns

# Scripts that are data, not code (json_script); the policy does not apply to them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """What a page carries that a policy without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        script_type = (attributes.get("type") or "").lower()
        if tag == "script" and not attributes.get("src") and script_type not in DATA_SCRIPT_TYPES:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=...> (htmx inline code)")
            if value and re.match(r"\s*javascript:", value, re.IGNORECASE):
                self.found.append(f"<{tag} {name}=javascript:...>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_checker_finds_each_kind_of_inline_code():
    page = (
        "<script>alert(1)</script><script type='application/json'>{}</script>"
        "<script src='/static/a.js'></script><button onclick='x()'>b</button>"
        "<a href=' JavaScript:void(0)'>a</a><p style='color:red'>p</p><style>p{}</style>"
        "<div hx-on:click='x()'></div>"
    )
    assert inline_code(page) == [
        "<script> without src",
        "<button onclick=...>",
        "<a href=javascript:...>",
        "<p style=...>",
        "<style> element",
        "<div hx-on:click=...> (htmx inline code)",
    ]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world(tmp_path)


def client_for(world, who: str) -> Client:
    client = Client()
    if who:
        client.force_login(world.users[who])
    return client


def test_every_url_is_a_listed_page_or_a_form_action(world):
    assert unlisted_patterns(every_page(world)) == set()


def test_every_page_answers_under_the_policy_with_no_inline_code(world):
    clients: dict[str, Client] = {}
    problems = []
    for page in every_page(world):
        client = clients.setdefault(page.user, client_for(world, page.user))
        response = client.get(page.url)
        if response.status_code != 200:
            problems.append(f"{page.url}: {response.status_code}")
            continue
        content_type = response.headers["Content-Type"]
        if not page.html:
            assert not content_type.startswith("text/html"), page.url
            continue
        assert content_type.startswith("text/html"), page.url
        policy = response.headers.get("Content-Security-Policy", "")
        if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
            problems.append(f"{page.url}: policy {policy!r}")
        problems += [f"{page.url}: {found}" for found in inline_code(response.content.decode())]
    assert problems == []
    assert PORTAL_PASSWORD  # the member's pages were opened as the member, logged in
