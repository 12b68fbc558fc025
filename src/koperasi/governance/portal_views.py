"""The RAT in the member portal (/saya/rat/): the meeting, its agenda and documents, online
check-in, the member's own votes and the results once each vote has closed."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import member_view
from koperasi.common.pdf import pdf_response
from koperasi.errors import NotFound, ServiceError
from koperasi.governance import forms, selectors, services
from koperasi.governance.agenda_views import minutes_context
from koperasi.governance.models import AgendaItem, Meeting
from koperasi.governance.views import file_response


def _member(request: HttpRequest) -> Any:
    return request.member  # type: ignore[attr-defined]


def _url(meeting_id: int) -> str:
    return reverse("myrat:meeting", kwargs={"meeting_id": meeting_id})


@require_GET
@member_view
def index(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    meetings = selectors.meetings(coop).exclude(status=Meeting.Status.DRAFT)[:20]
    return render(request, "governance/portal_index.html", {"meetings": meetings})


def _page(
    request: HttpRequest, meeting: Meeting, status: int = 200, refusal: Any = None
) -> HttpResponse:
    member = _member(request)
    items = selectors.agenda(meeting)
    voted = selectors.voted_items(meeting, member)
    context = {
        "meeting": meeting,
        "items": items,
        "results": {item.pk: selectors.result(item) for item in items},
        "presence": selectors.presence(meeting),
        "attendance": selectors.attendance_of(meeting, member),
        "voted": voted,
        "vote_forms": {
            item.pk: forms.MotionVoteForm(auto_id=f"v{item.pk}_%s")
            if item.kind == AgendaItem.Kind.MOTION
            else forms.ElectionVoteForm(item=item, auto_id=f"v{item.pk}_%s")
            for item in items
            if item.status == AgendaItem.Status.OPEN and item.pk not in voted
        },
        "refusal": refusal,
        "describe": {item.pk: services.describe(item) for item in items if item.decision_kind},
    }
    return render(request, "governance/portal_meeting.html", context, status=status)


def _meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    coop = request.cooperative  # type: ignore[attr-defined]
    return selectors.meeting(cooperative=coop, meeting_id=meeting_id, published=True)


@require_GET
@member_view
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _page(request, _meeting(request, meeting_id))


@require_GET
@member_view
def quorum(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    context = {"meeting": meeting, "presence": selectors.presence(meeting), "portal": True}
    return render(request, "governance/_quorum.html", context)


@require_POST
@member_view
def check_in(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    try:
        services.check_in(
            cooperative=meeting.cooperative,
            actor=request.user,
            meeting_id=meeting.pk,
            member=_member(request),
            channel="online",
        )
    except ServiceError as exc:
        return _page(request, meeting, status=exc.status, refusal=exc.message)
    messages.success(request, _("You are checked in. Welcome to the meeting!"))
    return redirect(_url(meeting.pk))


@require_POST
@member_view
def vote(request: HttpRequest, item_id: int) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    item = selectors.item(cooperative=coop, item_id=item_id, published=True)
    choice, candidates = "", []
    if item.kind == AgendaItem.Kind.MOTION:
        form: Any = forms.MotionVoteForm(request.POST)
        if form.is_valid():
            choice = form.cleaned_data["choice"]
    else:
        form = forms.ElectionVoteForm(request.POST, item=item)
        if form.is_valid():
            candidates = form.cleaned_data["candidates"]
            choice = "abstain" if form.cleaned_data["abstain"] else services.ELECTION_VOTE
    try:
        if not form.is_valid():
            raise ServiceError("invalid_choice", _("Choose one of the listed values."))
        services.vote(
            cooperative=coop,
            member=_member(request),
            item_id=item.pk,
            choice=choice,
            candidate_ids=candidates,
        )
    except ServiceError as exc:
        return _page(request, item.meeting, status=exc.status, refusal=exc.message)
    messages.success(request, _("Your vote is counted. Thank you!"))
    return redirect(_url(item.meeting_id) + f"#item-{item.pk}")


@require_GET
@member_view
def document(request: HttpRequest, document_id: int) -> FileResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    return file_response(
        selectors.document(cooperative=coop, document_id=document_id, published=True)
    )


@require_GET
@member_view
def minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    if meeting.status != Meeting.Status.CLOSED:
        raise NotFound()
    return pdf_response(
        request,
        "governance/minutes_pdf.html",
        minutes_context(meeting),
        f"berita-acara-rat-{meeting.financial_year}-{meeting.pk}.pdf",
    )
