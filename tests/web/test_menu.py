"""Each role is shown exactly the pages it can open: every menu link it sees answers 200, every
menu page it does not see answers 403 (issue 12, point 11)."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from koperasi.tenancy.models import Role
from koperasi.web.menu import PORTAL_MENU, SECTION_MENUS, STAFF_MENU
from tests.conftest import make_member, make_user


class MenuLinks(HTMLParser):
    """The hrefs of the links inside any element marked data-menu (main and section menus)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # open elements since the outermost data-menu element
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.depth or "data-menu" in attributes:
            self.depth += 1
            if tag == "a" and attributes.get("href"):
                self.hrefs.add(attributes["href"])

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1


def menu_links(html: str) -> set[str]:
    parser = MenuLinks()
    parser.feed(html)
    return parser.hrefs


def every_staff_entry(code: str) -> set[str]:
    entries = [*STAFF_MENU, *(e for section in SECTION_MENUS.values() for e in section)]
    return {reverse(e.url_name, kwargs={"code": code}) for e in entries}


def shown_by_crawling(client: Client, start: str) -> set[str]:
    """Every menu link reachable from `start` through the menus of the pages that open."""
    shown: set[str] = set()
    to_visit = [start]
    visited: set[str] = set()
    while to_visit:
        url = to_visit.pop()
        visited.add(url)
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        links = menu_links(response.content.decode())
        shown |= links
        to_visit += sorted(links - visited - set(to_visit))
    return shown


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_exactly_the_pages_it_can_open(client, coop, role):
    client.force_login(make_user(f"staf-{role}", coop, role))
    shown = shown_by_crawling(client, reverse("dashboard", kwargs={"code": coop.code}))
    every = every_staff_entry(coop.code)
    assert shown <= every  # the menus link only to pages of the table
    assert shown, "every role has a menu"
    opened = {url: client.get(url).status_code for url in sorted(every)}
    assert {url: opened[url] for url in shown} == dict.fromkeys(shown, 200)
    hidden = every - shown
    assert {url: opened[url] for url in hidden} == dict.fromkeys(hidden, 403)


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.SUPERVISOR, Role.LOAN_OFFICER])
def test_roles_that_cannot_take_deposits_are_not_shown_the_teller(client, coop, role):
    client.force_login(make_user(f"staf-{role}", coop, role))
    teller = reverse("savings:teller", kwargs={"code": coop.code})
    for url in (
        reverse("dashboard", kwargs={"code": coop.code}),
        reverse("savings:accounts", kwargs={"code": coop.code}),
    ):
        assert teller not in menu_links(client.get(url).content.decode())


def test_a_member_sees_the_portal_menu_and_each_link_opens(client, coop, teller):
    member = make_member(coop, teller)
    user = make_user("anggota")
    member.user = user
    member.save(update_fields=["user"])
    client.force_login(user)
    shown = menu_links(client.get(reverse("portal_home")).content.decode())
    assert shown == {reverse(entry.url_name) for entry in PORTAL_MENU}
    assert {url: client.get(url).status_code for url in shown} == dict.fromkeys(shown, 200)


def test_the_page_itself_is_marked_current(client, coop, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("ledger:journal", kwargs={"code": coop.code})).content.decode()
    journal = reverse("ledger:journal", kwargs={"code": coop.code})
    ledger = reverse("ledger:trial_balance", kwargs={"code": coop.code})
    assert f'href="{journal}" aria-current="page"' in html  # in the books' own menu
    assert html.count('aria-current="page"') == 2
    assert f'href="{ledger}" aria-current="page"' in html  # its section in the main menu
