"""The RAT's forms: they check the shape of the input; the services decide."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import IsoDateInput, ServiceErrorsMixin
from koperasi.governance.models import AgendaDocument, AgendaItem, GovernanceSettings, Meeting
from koperasi.governance.services import DECISION_KINDS


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class MeetingForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    financial_year = forms.IntegerField(label=_("Financial year approved"), min_value=1900)
    day = forms.DateField(label=_("Date"), widget=IsoDateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    mode = forms.ChoiceField(label=_("Mode"), choices=Meeting.Mode.choices)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_link = forms.URLField(
        label=_("Online meeting link"), max_length=300, required=False, assume_scheme="https"
    )

    def starts_at(self) -> dt.datetime:
        data = self.cleaned_data
        return timezone.make_aware(dt.datetime.combine(data["day"], data["time"]))

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "financial_year": data["financial_year"],
            "starts_at": self.starts_at(),
            "mode": data["mode"],
            "place": data["place"],
            "online_link": data["online_link"],
        }

    @classmethod
    def for_meeting(cls, meeting: Meeting) -> "MeetingForm":
        local = timezone.localtime(meeting.starts_at)
        return cls(
            initial={
                "kind": meeting.kind,
                "financial_year": meeting.financial_year,
                "day": local.date(),
                "time": local.time(),
                "mode": meeting.mode,
                "place": meeting.place,
                "online_link": meeting.online_link,
            }
        )


def _decision_choices() -> list[tuple[str, Any]]:
    return [("", _("No change of settings"))] + [
        (code, kind.label) for code, kind in DECISION_KINDS.items()
    ]


class ItemForm(ServiceErrorsMixin, forms.Form):
    prefix = "item"
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea({"rows": 2})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=AgendaItem.Kind.choices)
    office = forms.ChoiceField(
        label=_("Office (elections)"),
        choices=[("", "—"), *AgendaItem.Office.choices],
        required=False,
    )
    seats = forms.IntegerField(label=_("Seats (elections)"), min_value=1, max_value=50, initial=1)
    decision_kind = forms.ChoiceField(label=_("Change of settings if approved"), required=False)
    decision_value = forms.CharField(label=_("New value"), max_length=100, required=False)
    effective_on = forms.DateField(label=_("Effective from"), required=False, widget=IsoDateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision_kind"].choices = _decision_choices()


class DocumentForm(forms.Form):
    prefix = "doc"
    title = forms.CharField(label=_("Document"), max_length=150)
    file = forms.FileField(
        label=_("PDF file"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )


class StatementForm(forms.Form):
    prefix = "stmt"
    statement = forms.ChoiceField(
        label=_("Financial statement of the year"),
        choices=[c for c in AgendaDocument.Generated.choices if c[0]],
    )


class CandidateForm(forms.Form):
    prefix = "cand"
    member_number = forms.CharField(label=_("Member number"), max_length=20)


class VenueCheckInForm(forms.Form):
    prefix = "hadir"
    member_number = forms.CharField(label=_("Member number"), max_length=20)


class SignForm(forms.Form):
    as_role = forms.ChoiceField(
        choices=[("chair", _("Chair of the meeting")), ("secretary", _("Minute-taker"))]
    )


class SettingsForm(ServiceErrorsMixin, forms.Form):
    deadline_months = forms.IntegerField(
        label=_("Hold the RAT within this many months after the year end (at most 6)"),
        min_value=1,
        max_value=6,
    )
    warn_days = forms.IntegerField(
        label=_("Warn this many days before the deadline"), min_value=0, max_value=366
    )
    quorum_percent = forms.CharField(
        label=_("Quorum: more than this percentage of active members"), max_length=10
    )
    vote_weighting = forms.ChoiceField(
        label=_("Votes"), choices=GovernanceSettings.Weighting.choices
    )


class WeightForm(forms.Form):
    prefix = "bobot"
    member_number = forms.CharField(label=_("Member number"), max_length=20)
    weight = forms.IntegerField(label=_("Vote weight"), min_value=1, max_value=1_000_000)


class MotionVoteForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[("agree", _("Agree")), ("disagree", _("Disagree")), ("abstain", _("Abstain"))],
        widget=forms.RadioSelect,
    )


class ElectionVoteForm(forms.Form):
    candidates = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    abstain = forms.BooleanField(required=False, label=_("I abstain"))

    def __init__(self, *args: Any, item: AgendaItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if item is not None:
            self.fields["candidates"].choices = [
                (c.pk, f"{c.member.number} {c.member.name}") for c in item.candidates.all()
            ]
