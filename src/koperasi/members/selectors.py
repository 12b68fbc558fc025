"""Reads of members: search and paging that stay fast at a million members."""

import re

from django.db.models import Q, QuerySet

from koperasi.errors import NotFound
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative

_NUMBER_RE = re.compile(r"^[A-Za-z]\d+$")


def search_members(
    *, cooperative: Cooperative, query: str = "", status: str = ""
) -> QuerySet[Member]:
    """Members matching a name fragment, a member number, a NIK or a phone number.

    In registration order (id): member numbers are text, and past A9999 their text order
    would put A10000 between A1000 and A1001.

    Each kind of query uses its own index (trigram on name; prefix on number, NIK and phone).
    """
    qs = Member.objects.filter(cooperative=cooperative)
    if status:
        qs = qs.filter(status=status)
    q = " ".join(query.split())
    if not q:
        return qs.order_by("id")
    digits = re.sub(r"[\s\-.+()]", "", q)
    if digits.isdigit():
        condition = Q(nik__startswith=digits)
        if digits.startswith(("08", "628")) or digits.startswith("8"):
            national = digits[1:] if digits.startswith("0") else digits
            national = national[2:] if national.startswith("62") else national
            condition |= Q(phone__startswith="+62" + national)
        return qs.filter(condition).order_by("id")
    if _NUMBER_RE.match(q):
        prefix = q.upper()
        # The range lets the (cooperative, number) index answer a short prefix such as "A09";
        # startswith keeps the result exact whatever the collation.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return qs.filter(number__gte=prefix, number__lt=upper, number__startswith=prefix).order_by(
            "number"
        )
    if len(q) < 3:
        # Too short for the trigram index: match the start of a word ("Ma" → "Maria", "Da Silva").
        return qs.filter(Q(name__istartswith=q) | Q(name__icontains=" " + q)).order_by("id")
    return qs.filter(name__icontains=q).order_by("id")


def member(*, cooperative: Cooperative, member_id: int) -> Member:
    found = Member.objects.filter(cooperative=cooperative, pk=member_id).first()
    if found is None:
        raise NotFound()
    return found


def member_by_number(*, cooperative: Cooperative, number: str) -> Member:
    found = Member.objects.filter(cooperative=cooperative, number=number.upper()).first()
    if found is None:
        raise NotFound()
    return found


def member_for_user(user: object) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("cooperative").filter(user=user).first()


def count_by_status(*, cooperative: Cooperative) -> dict[str, int]:
    from django.db.models import Count

    rows = Member.objects.filter(cooperative=cooperative).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
