"""Members over the API: search, read, register and correct a member's data."""

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from koperasi.common.api import (
    ERRORS,
    IdempotencyKey,
    IsoDate,
    Limit,
    Offset,
    PathId,
    Text,
    authorize,
    idempotent,
    page,
)
from koperasi.errors import NotFound
from koperasi.members import selectors, services
from koperasi.members.models import Member
from koperasi.members.services import MemberInput
from koperasi.membership import services as membership
from koperasi.tenancy.permissions import MANAGE_MEMBERS, VIEW_MEMBERS

router = Router(tags=["members"])

MemberStatus = Literal["applicant", "active", "resigned", "deceased", "expelled"]


class WarningOut(Schema):
    code: str
    message: str


class MemberOut(Schema):
    id: int
    number: str
    name: str
    nik: str
    sex: str
    birth_place: str
    birth_date: dt.date
    phone: str
    address: str
    village: str
    district: str
    regency: str
    province: str
    occupation: str
    status: str
    joined_on: dt.date | None
    exited_on: dt.date | None
    # NIK checks that did not block registration (sex or birth date not matching the NIK).
    warnings: list[WarningOut]

    @staticmethod
    def resolve_warnings(obj: Member) -> list[dict[str, str]]:
        return list(obj.nik_warnings or [])


class MemberPage(Schema):
    items: list[MemberOut]
    count: int
    count_capped: bool = False


class MemberIn(Schema):
    """Raw values; the service checks them all at once and reports every problem."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field("", max_length=150)
    nik: Text = Field("", max_length=32)
    sex: Text = Field("", max_length=1, description="L (male) or P (female)")
    birth_date: IsoDate | None = Field(None, description="Default: from the NIK")
    birth_place: Text = Field("", max_length=100)
    phone: Text = Field("", max_length=20)
    address: Text = Field("", max_length=255)
    village: Text = Field("", max_length=100)
    district: Text = Field("", max_length=100)
    regency: Text = Field("", max_length=100)
    province: Text = Field("", max_length=100)
    occupation: Text = Field("", max_length=100)


class MemberPatch(Schema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(None, max_length=150)
    nik: Text | None = Field(None, max_length=32)
    sex: Text | None = Field(None, max_length=1)
    birth_date: IsoDate | None = Field(None, description="null: from the NIK")
    birth_place: Text | None = Field(None, max_length=100)
    phone: Text | None = Field(None, max_length=20)
    address: Text | None = Field(None, max_length=255)
    village: Text | None = Field(None, max_length=100)
    district: Text | None = Field(None, max_length=100)
    regency: Text | None = Field(None, max_length=100)
    province: Text | None = Field(None, max_length=100)
    occupation: Text | None = Field(None, max_length=100)


def _as_json(member: Member) -> dict[str, Any]:
    return MemberOut.from_orm(member).model_dump(mode="json")


@router.get("", response={200: MemberPage, **ERRORS})
def list_members(
    request: HttpRequest,
    q: Annotated[Text, Query("", max_length=100, description="Name, number, NIK or phone")] = "",
    status: MemberStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    caller = authorize(request, VIEW_MEMBERS, member_ok=True)
    members = selectors.search_members(cooperative=caller.cooperative, query=q, status=status or "")
    if caller.member is not None:
        members = members.filter(pk=caller.member.pk)
    return page(members, limit, offset)


@router.get("/{member_id}", response={200: MemberOut, **ERRORS})
def get_member(request: HttpRequest, member_id: PathId) -> Member:
    caller = authorize(request, VIEW_MEMBERS, member_ok=True)
    if caller.member is not None and caller.member.pk != member_id:
        raise NotFound()
    return selectors.member(cooperative=caller.cooperative, member_id=member_id)


@router.post("", response={201: MemberOut, **ERRORS})
def register_member(
    request: HttpRequest,
    payload: MemberIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Register an applicant; pokok and wajib accounts are opened with the membership."""
    caller = authorize(request, MANAGE_MEMBERS)

    def run(_key: str) -> tuple[int, dict[str, Any]]:
        member = membership.register_member(
            cooperative=caller.cooperative,
            actor=caller.user,
            data=MemberInput(**payload.model_dump()),
        )
        return 201, _as_json(member)

    return idempotent(request, caller, idempotency_key, run, required=False)


@router.patch("/{member_id}", response={200: MemberOut, **ERRORS})
def update_member(request: HttpRequest, member_id: PathId, payload: MemberPatch) -> Member:
    caller = authorize(request, MANAGE_MEMBERS)
    member = selectors.member(cooperative=caller.cooperative, member_id=member_id)
    current = {f.name: getattr(member, f.name) for f in dataclasses.fields(MemberInput)}
    changes = {k: "" if v is None else v for k, v in payload.model_dump(exclude_unset=True).items()}
    if "birth_date" in changes and payload.birth_date is None:
        changes["birth_date"] = None  # null: derived from the NIK
    return services.update_member(
        cooperative=caller.cooperative,
        actor=caller.user,
        member=member,
        data=MemberInput(**{**current, **changes}),
    )
