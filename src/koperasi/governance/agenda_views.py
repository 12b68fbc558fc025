"""The agenda's staff actions (add items, documents, candidates; open and close the voting) and
the minutes (berita acara) as PDF."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.common.pdf import pdf_response
from koperasi.errors import ServiceError
from koperasi.governance import forms, selectors, services
from koperasi.governance.models import AgendaItem, Meeting
from koperasi.governance.views import _coop, _meeting_url, _page
from koperasi.members import selectors as member_selectors
from koperasi.tenancy.permissions import RUN_MEETINGS, VIEW_MEMBERS


@require_POST
@staff_view(RUN_MEETINGS)
def add_item(request: HttpRequest, meeting_id: int) -> HttpResponse:
    coop = _coop(request)
    meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id)
    form = forms.ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_item(
                cooperative=coop,
                actor=request.user,
                meeting_id=meeting.pk,
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                office=data["office"],
                seats=data["seats"] or 1,
                decision_kind=data["decision_kind"],
                decision_value=data["decision_value"],
                effective_on=data["effective_on"],
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The item is on the agenda."))
            return redirect(_meeting_url(coop, meeting.pk))
    return _page(request, meeting, status=400, item_form=form)


def _item(request: HttpRequest, item_id: int) -> AgendaItem:
    return selectors.item(cooperative=_coop(request), item_id=item_id)


@require_POST
@staff_view(RUN_MEETINGS)
def add_document(request: HttpRequest, item_id: int) -> HttpResponse:
    coop = _coop(request)
    item = _item(request, item_id)
    form = forms.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_document(
                cooperative=coop,
                actor=request.user,
                item_id=item.pk,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The document is attached."))
            return redirect(_meeting_url(coop, item.meeting_id))
    return _page(request, item.meeting, status=400, document_form=form)


@require_POST
@staff_view(RUN_MEETINGS)
def add_statement(request: HttpRequest, item_id: int) -> HttpResponse:
    coop = _coop(request)
    item = _item(request, item_id)
    form = forms.StatementForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("invalid_choice", _("Choose one of the listed values."))
        services.add_statement(
            cooperative=coop,
            actor=request.user,
            item_id=item.pk,
            statement=form.cleaned_data["statement"],
        )
    except ServiceError as exc:
        return _page(request, item.meeting, status=exc.status, refusal=exc.message)
    messages.success(request, _("The document is attached."))
    return redirect(_meeting_url(coop, item.meeting_id))


@require_POST
@staff_view(RUN_MEETINGS)
def add_candidate(request: HttpRequest, item_id: int) -> HttpResponse:
    coop = _coop(request)
    item = _item(request, item_id)
    form = forms.CandidateForm(request.POST)
    if form.is_valid():
        try:
            member = member_selectors.member_by_number(
                cooperative=coop, number=form.cleaned_data["member_number"].strip()
            )
            services.add_candidate(
                cooperative=coop, actor=request.user, item_id=item.pk, member_id=member.pk
            )
        except ServiceError as exc:
            if exc.code == "not_found":
                exc.message = _("No member with this number.")
            exc.field = "member_number"
            add_service_error(form, exc)
        else:
            messages.success(request, _("The candidate is added."))
            return redirect(_meeting_url(coop, item.meeting_id))
    return _page(request, item.meeting, status=400, candidate_form=form)


def _item_action(request: HttpRequest, item_id: int, opening: bool) -> HttpResponse:
    coop = _coop(request)
    item = _item(request, item_id)
    action = services.open_item if opening else services.close_item
    try:
        action(cooperative=coop, actor=request.user, item_id=item.pk)
    except ServiceError as exc:
        meeting = selectors.meeting(cooperative=coop, meeting_id=item.meeting_id)
        return _page(request, meeting, status=exc.status, refusal=exc.message)
    messages.success(request, _("Voting is open.") if opening else _("Voting is closed."))
    return redirect(_meeting_url(coop, item.meeting_id) + f"#item-{item.pk}")


@require_POST
@staff_view(RUN_MEETINGS)
def open_item(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(request, item_id, opening=True)


@require_POST
@staff_view(RUN_MEETINGS)
def close_item(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(request, item_id, opening=False)


# --- statements and minutes ------------------------------------------------------------------


def minutes_context(meeting: Meeting) -> dict[str, object]:
    items = selectors.agenda(meeting)
    return {
        "coop": meeting.cooperative,
        "meeting": meeting,
        "items": items,
        "results": [selectors.result(item) for item in items],
        "describe": {item.pk: services.describe(item) for item in items if item.decision_kind},
        "presence": selectors.presence(meeting),
        "attendance": list(selectors.attendance(meeting)),
        "starts_at": timezone.localtime(meeting.starts_at),
    }


@require_GET
@staff_view(VIEW_MEMBERS)
def minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting(cooperative=_coop(request), meeting_id=meeting_id)
    return pdf_response(
        request,
        "governance/minutes_pdf.html",
        minutes_context(meeting),
        f"berita-acara-rat-{meeting.financial_year}-{meeting.pk}.pdf",
    )
