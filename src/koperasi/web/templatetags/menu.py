"""`{% main_menu %}` and `{% section_menu "loans" %}`: the menus of koperasi.web.menu."""

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from koperasi.web import menu

register = template.Library()

SECTION_LABELS = {
    "savings": _("Savings"),
    "loans": _("Loans"),
    "ledger": _("Books"),
    "closing": _("Closing"),
    "reports": _("Reports"),
    "settings": _("Settings"),
    "rat": _("Members' meeting (RAT)"),
}


@register.inclusion_tag("web/_menu.html", takes_context=True)
def main_menu(context: template.Context) -> dict[str, Any]:
    """Staff pages get their cooperative's menu for the user's role, the portal its own."""
    request = context.get("request")
    if request is None:
        return {"links": []}
    if getattr(request, "staff_role", None):
        return {"links": menu.links(menu.STAFF_MENU, request)}
    return {"links": menu.links(menu.PORTAL_MENU, request)}


@register.inclusion_tag("web/_section_menu.html", takes_context=True)
def section_menu(context: template.Context, section: str) -> dict[str, Any]:
    request = context.get("request")
    links = [] if request is None else menu.links(menu.SECTION_MENUS[section], request)
    return {"links": links, "label": SECTION_LABELS[section], "section": section}
