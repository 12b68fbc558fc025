"""The RAT's staff pages under /k/<code>/rat/: the meetings, one meeting with its agenda,
quorum, voting and minutes, the attendance list and the settings. Thin: parse, call, render."""

import os
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.common.paging import peek_page
from koperasi.errors import ServiceError
from koperasi.governance import forms, selectors, services
from koperasi.governance.models import AgendaDocument, Meeting
from koperasi.ledger import services as ledger
from koperasi.members import selectors as member_selectors
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import (
    CHECK_IN_MEMBERS,
    MANAGE_SETTINGS,
    RUN_MEETINGS,
    SIGN_MINUTES,
    VIEW_MEMBERS,
)


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]


def _may(request: HttpRequest, permission: str) -> bool:
    return permission in request.permissions  # type: ignore[attr-defined]


def _meeting_url(coop: Cooperative, meeting_id: int) -> str:
    return reverse("rat:meeting", kwargs={"code": coop.code, "meeting_id": meeting_id})


def portal_url(request: HttpRequest, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("myrat:meeting", kwargs={"meeting_id": meeting.pk}))


def whatsapp_link(request: HttpRequest, meeting: Meeting) -> str:
    """A wa.me share link carrying the invitation, for the board to send to members' groups."""
    text = services.invitation_text(meeting, portal_url(request, meeting))
    return "https://wa.me/?text=" + quote(text, safe="")


def statement_url(coop_code: str, document: AgendaDocument, year: int) -> str:
    """The reports' PDF of the statement for the meeting's financial year."""
    if document.generated == AgendaDocument.Generated.POSITION:
        url = reverse("reports:position_pdf", kwargs={"code": coop_code})
        return f"{url}?as_of={year}-12-31"
    url = reverse("reports:activity_pdf", kwargs={"code": coop_code})
    return f"{url}?date_from={year}-01-01&date_to={year}-12-31"


def document_links(coop: Cooperative, meeting: Meeting, items: list[Any]) -> dict[int, str]:
    """Where each document of the agenda opens: the file, or the reports' statement."""
    links: dict[int, str] = {}
    for item in items:
        for doc in item.documents.all():
            if doc.generated:
                links[doc.pk] = statement_url(coop.code, doc, meeting.financial_year)
            else:
                links[doc.pk] = reverse(
                    "rat:document", kwargs={"code": coop.code, "document_id": doc.pk}
                )
    return links


# --- the list and a new meeting ---------------------------------------------------------------


@require_GET
@staff_view(VIEW_MEMBERS)
def meeting_list(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    today = ledger.local_today(coop)
    context = {
        "page": peek_page(selectors.meetings(coop), request.GET.get("page"), 20),
        "year_deadline": selectors.year_deadline(coop, today),
        "may_run": _may(request, RUN_MEETINGS),
    }
    return render(request, "governance/list.html", context)


@staff_view(RUN_MEETINGS)
def meeting_new(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    today = ledger.local_today(coop)
    form = forms.MeetingForm(
        request.POST or None,
        initial={"kind": "annual", "financial_year": today.year - 1, "mode": "hybrid"},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.create_meeting(
                    cooperative=coop, actor=request.user, **form.values()
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The meeting is planned: now add its agenda."))
                return redirect(_meeting_url(coop, meeting.pk))
        status = 400
    return render(request, "governance/meeting_form.html", {"form": form}, status=status)


@staff_view(RUN_MEETINGS)
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    coop = _coop(request)
    meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id)
    form = (
        forms.MeetingForm(request.POST) if request.POST else forms.MeetingForm.for_meeting(meeting)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_meeting(
                    cooperative=coop, actor=request.user, meeting_id=meeting.pk, **form.values()
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return redirect(_meeting_url(coop, meeting.pk))
        status = 400
    context = {"form": form, "meeting": meeting}
    return render(request, "governance/meeting_form.html", context, status=status)


# --- one meeting ------------------------------------------------------------------------------


def _page(request: HttpRequest, meeting: Meeting, status: int = 200, **forms_: Any) -> HttpResponse:
    coop = _coop(request)
    items = selectors.agenda(meeting)
    presence = selectors.presence(meeting)
    context = {
        "meeting": meeting,
        "items": items,
        "results": {item.pk: selectors.result(item, present=None) for item in items},
        "presence": presence,
        "deadline": selectors.deadline(meeting, ledger.local_today(coop))
        if meeting.kind == Meeting.Kind.ANNUAL
        else None,
        "whatsapp": whatsapp_link(request, meeting) if meeting.status != "draft" else "",
        "may_run": _may(request, RUN_MEETINGS),
        "may_check_in": _may(request, CHECK_IN_MEMBERS),
        "may_sign": _may(request, SIGN_MINUTES),
        "item_form": forms_.get("item_form") or forms.ItemForm(),
        "document_form": forms_.get("document_form") or forms.DocumentForm(),
        "statement_form": forms.StatementForm(),
        "candidate_form": forms_.get("candidate_form") or forms.CandidateForm(),
        "check_in_form": forms_.get("check_in_form") or forms.VenueCheckInForm(),
        "refusal": forms_.get("refusal"),
        "describe": {item.pk: services.describe(item) for item in items if item.decision_kind},
        "links": document_links(coop, meeting, items),
    }
    return render(request, "governance/meeting.html", context, status=status)


@require_GET
@staff_view(VIEW_MEMBERS)
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting(cooperative=_coop(request), meeting_id=meeting_id)
    return _page(request, meeting)


@require_GET
@staff_view(VIEW_MEMBERS)
def quorum(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The live quorum counter (htmx polls it every few seconds)."""
    meeting = selectors.meeting(cooperative=_coop(request), meeting_id=meeting_id)
    context = {"meeting": meeting, "presence": selectors.presence(meeting)}
    return render(request, "governance/_quorum.html", context)


def _act(request: HttpRequest, meeting_id: int, action: Any, done: str) -> HttpResponse:
    """Run a meeting-level action; a refusal is shown on the page with its status."""
    coop = _coop(request)
    meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id)
    try:
        action(coop, meeting)
    except ServiceError as exc:
        meeting.refresh_from_db()
        return _page(request, meeting, status=exc.status, refusal=exc.message)
    messages.success(request, done)
    return redirect(_meeting_url(coop, meeting.pk))


@require_POST
@staff_view(RUN_MEETINGS)
def announce(request: HttpRequest, meeting_id: int) -> HttpResponse:
    def run(coop: Cooperative, meeting: Meeting) -> None:
        services.announce_meeting(
            cooperative=coop,
            actor=request.user,
            meeting_id=meeting.pk,
            portal_url=portal_url(request, meeting),
        )

    return _act(
        request, meeting_id, run, _("Announced: members see it in the portal and by email.")
    )


@require_POST
@staff_view(RUN_MEETINGS)
def open_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _act(
        request,
        meeting_id,
        lambda c, m: services.open_meeting(cooperative=c, actor=request.user, meeting_id=m.pk),
        _("The meeting is open."),
    )


@require_POST
@staff_view(RUN_MEETINGS)
def close_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _act(
        request,
        meeting_id,
        lambda c, m: services.close_meeting(cooperative=c, actor=request.user, meeting_id=m.pk),
        _("The meeting is closed: the minutes can be signed."),
    )


@require_POST
@staff_view(SIGN_MINUTES)
def sign(request: HttpRequest, meeting_id: int) -> HttpResponse:
    form = forms.SignForm(request.POST)
    role = form.cleaned_data["as_role"] if form.is_valid() else ""
    return _act(
        request,
        meeting_id,
        lambda c, m: services.sign_minutes(
            cooperative=c, actor=request.user, meeting_id=m.pk, as_role=role
        ),
        _("Signed."),
    )


@require_POST
@staff_view(RUN_MEETINGS)
def apply_decisions(request: HttpRequest, meeting_id: int) -> HttpResponse:
    def run(coop: Cooperative, meeting: Meeting) -> None:
        services.apply_due_decisions(
            cooperative=coop, actor=request.user, today=ledger.local_today(coop)
        )

    return _act(request, meeting_id, run, _("Decisions whose date has come are applied."))


@require_POST
@staff_view(CHECK_IN_MEMBERS)
def venue_check_in(request: HttpRequest, meeting_id: int) -> HttpResponse:
    coop = _coop(request)
    meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id)
    form = forms.VenueCheckInForm(request.POST)
    if form.is_valid():
        try:
            member = member_selectors.member_by_number(
                cooperative=coop, number=form.cleaned_data["member_number"].strip()
            )
            services.check_in(
                cooperative=coop,
                actor=request.user,
                meeting_id=meeting.pk,
                member=member,
                channel="venue",
            )
        except ServiceError as exc:
            if exc.code == "not_found":
                exc.message = _("No member with this number.")
            exc.field = "member_number"
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("%(name)s is checked in.") % {"name": f"{member.number} {member.name}"}
            )
            return redirect(_meeting_url(coop, meeting.pk))
    return _page(request, meeting, status=400, check_in_form=form)


@require_GET
@staff_view(VIEW_MEMBERS)
def attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting(cooperative=_coop(request), meeting_id=meeting_id)
    context = {
        "meeting": meeting,
        "page": peek_page(selectors.attendance(meeting), request.GET.get("page"), 100),
        "presence": selectors.presence(meeting),
    }
    return render(request, "governance/attendance.html", context)


@require_GET
@staff_view(VIEW_MEMBERS)
def document(request: HttpRequest, document_id: int) -> FileResponse:
    found = selectors.document(cooperative=_coop(request), document_id=document_id, published=False)
    return file_response(found)


def file_response(found: Any) -> FileResponse:
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type="application/pdf", filename=os.path.basename(found.file.name)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- settings ---------------------------------------------------------------------------------


@staff_view(MANAGE_SETTINGS)
def settings_page(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    current = selectors.settings_for(coop)
    initial = {
        "deadline_months": current.deadline_months,
        "warn_days": current.warn_days,
        "quorum_percent": f"{current.quorum_percent.normalize():f}".replace(".", ","),
        "vote_weighting": current.vote_weighting,
    }
    form = forms.SettingsForm(request.POST or None, initial=initial)
    weight_form = forms.WeightForm()
    status = 200
    if request.method == "POST" and "bobot-weight" in request.POST:
        form = forms.SettingsForm(initial=initial)
        weight_form = forms.WeightForm(request.POST)
        if weight_form.is_valid():
            try:
                member = member_selectors.member_by_number(
                    cooperative=coop, number=weight_form.cleaned_data["member_number"].strip()
                )
                services.set_vote_weight(
                    cooperative=coop,
                    actor=request.user,
                    member_id=member.pk,
                    weight=weight_form.cleaned_data["weight"],
                )
            except ServiceError as exc:
                exc.field = "member_number"
                exc.message = (
                    _("No member with this number.") if exc.code == "not_found" else exc.message
                )
                add_service_error(weight_form, exc)
            else:
                messages.success(request, _("The vote weight is saved."))
                return redirect("rat:settings", code=coop.code)
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            try:
                services.update_settings(cooperative=coop, actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The meeting rules are saved."))
                return redirect("rat:settings", code=coop.code)
        status = 400
    context = {
        "form": form,
        "weight_form": weight_form,
        "page": peek_page(selectors.vote_weights(coop), request.GET.get("page"), 50),
    }
    return render(request, "governance/settings.html", context, status=status)
