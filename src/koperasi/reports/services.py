"""The reports' only writes: which statement line an account feeds."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.domain import health
from koperasi.domain.money import round_sen
from koperasi.errors import ServiceError
from koperasi.ledger import selectors as ledger
from koperasi.reports import lines
from koperasi.reports.models import AccountLine, HealthAnswers, HealthWeight
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def set_account_line(
    *, cooperative: Cooperative, actor: Any, account_code: str, line: str
) -> AccountLine | None:
    """Move an account to a statement line; the default line (or "" for it) removes the choice."""
    account = ledger.account(cooperative=cooperative, code=account_code)
    if account.is_header:
        raise ServiceError(
            "header_account", _("A header account takes no postings and feeds no line."), "line"
        )
    default = lines.DEFAULT_ACCOUNTS.get(account.code, "")
    if line and line not in {candidate.code for candidate in lines.lines_for(account.type)}:
        raise ServiceError(
            "wrong_line", _("This line does not take accounts of this type."), field="line"
        )
    previous = AccountLine.objects.filter(account=account).first()
    before = previous.line if previous else default
    if not line or (line == default and default):
        AccountLine.objects.filter(account=account).delete()
        choice = None
        after = default
    else:
        choice, _created = AccountLine.objects.update_or_create(
            account=account,
            defaults={"cooperative": cooperative, "line": line, "changed_by": actor},
        )
        after = line
    if before != after:
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="reports.account_line",
            obj=account,
            summary=f"{account.code}: {before or '-'} → {after or '-'}",
            data={"account": account.code, "before": before, "after": after},
        )
    return choice


@transaction.atomic
def set_health_weight(
    *, cooperative: Cooperative, actor: Any, component: str, weight: Decimal
) -> None:
    """A component's weight; the default weight removes the cooperative's own."""
    if component not in health.BY_CODE:
        raise ServiceError("unknown_component", _("There is no such component."), "component")
    if not weight.is_finite() or weight < 0 or weight > 100 or weight != round_sen(weight):
        raise ServiceError(
            "invalid_weight", _("A weight is a number from 0 to 100."), field="weight"
        )
    default = health.BY_CODE[component].weight
    previous = HealthWeight.objects.filter(cooperative=cooperative, component=component).first()
    before = previous.weight if previous else default
    if weight == default:
        HealthWeight.objects.filter(cooperative=cooperative, component=component).delete()
    else:
        HealthWeight.objects.update_or_create(
            cooperative=cooperative, component=component, defaults={"weight": weight}
        )
    if before != weight:
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="reports.health_weight",
            summary=f"{component}: {before} → {weight}",
            data={"component": component, "before": str(before), "after": str(weight)},
        )


@transaction.atomic
def save_health_answers(
    *, cooperative: Cooperative, actor: Any, year: int, answers: dict[str, bool]
) -> HealthAnswers:
    """The year's questionnaire: every question of `domain.health.QUESTIONS` yes or no."""
    known = {q for questions in health.QUESTIONS.values() for q in questions}
    unknown = set(answers) - known
    if unknown or not all(isinstance(v, bool) for v in answers.values()):
        raise ServiceError("invalid_answers", _("Answer each question yes or no."), "answers")
    if year < 1900 or year > 2999:
        raise ServiceError("invalid_year", _("Enter a year such as 2026."), "year")
    record, _created = HealthAnswers.objects.update_or_create(
        cooperative=cooperative,
        year=year,
        defaults={
            "answers": {q: answers.get(q, False) for q in sorted(known)},
            "answered_by": actor,
        },
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="reports.health_answers",
        obj=record,
        summary=str(year),
        data={"year": year, "yes": sum(record.answers.values())},
    )
    return record
