"""Errors that services raise for bad input or a refused operation.

Each carries a stable `code` (for API clients and tests), a message in the user's language and,
where it concerns one input, the `field`. The API turns them into
`{"detail": [{"field", "code", "message"}]}` with `status`; views show the message.
"""

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import AMOUNT_LIMIT_TEXT, RUPIAH_INPUT_HINT

# What an amount field of a form accepts (`domain.money.parse_rupiah_input`): its hint, and its
# message when what was typed is none of these.
RUPIAH_HINT = _("For example 50000, 1.250.000 or 1.250.000,50 (also 1250000.50).")
RUPIAH_INVALID = _(
    "Enter the amount like 50000, 1.250.000 or 1.250.000,50 (also 1250000.50): "
    "dots between thousands, a comma before the sen."
)

# Messages for the codes the pure domain raises (its own messages are English only).
DOMAIN_MESSAGES: dict[str, Any] = {
    "required": _("This field is required."),
    # The API's machine format; a form's amount gets RUPIAH_INVALID (see `from_domain`).
    "invalid": _("Enter a valid amount, for example 50000 or 50000.00."),
    "not_positive": _("The amount must be greater than zero."),
    "too_precise": _("At most two digits of sen, for example 1.250.000,50 or 1250000.50."),
    "too_large": format_lazy(_("The amount may be at most {limit}."), limit=AMOUNT_LIMIT_TEXT),
    "nik_length": _("A NIK has exactly 16 digits."),
    "nik_digits": _("A NIK contains digits only."),
    "nik_month": _("The birth month in this NIK is not valid (01-12)."),
    "nik_day": _("The birth day in this NIK is not valid (01-31, or 41-71 for women)."),
    "nik_serial": _("The last four digits of a NIK cannot be 0000."),
    "nik_region": _("The region code in this NIK is not valid."),
    "phone_invalid": _("Enter a phone number using digits only, e.g. 0812 3456 7890."),
    "phone_not_mobile": _("Enter an Indonesian mobile number starting with 08 or +628."),
    "phone_length": _("This mobile number has too few or too many digits."),
    # SHU (domain/shu.py)
    "shu_allocation_sum": _("The SHU allocation percentages must add up to exactly 100%."),
    "shu_fund_missing": _(
        "The SHU allocation needs the members' funds jasa_modal and jasa_usaha (either may be 0)."
    ),
    "shu_fund_name": _("A fund name is text of 1 to 64 characters."),
    "shu_fund_duplicate": _("Each fund may appear only once."),
    "shu_percent_invalid": _("Enter the percentage as a number, e.g. 20 or 2.5."),
    "shu_percent_negative": _("A percentage must not be negative."),
    "shu_percent_too_large": _("A percentage is at most 100."),
    "shu_percent_too_precise": _("A percentage has at most 2 decimals, e.g. 12.5 or 33.33."),
    "shu_loss": _("The SHU is negative: a loss is not distributed to members."),
    "shu_rounding": _("Round shares down to 0.01 (the sen), 1 (the rupiah), 100 or 1000."),
    "shu_member_id": _("Each member needs an id: non-empty text."),
    "shu_member_duplicate": _("This member id appears more than once."),
    "shu_figure_invalid": _("Enter a number, e.g. 500000 or 500000.50."),
    "shu_figure_negative": _("Savings, transactions and totals must not be negative."),
    "shu_figure_too_precise": _("Savings, transactions and totals have at most 6 decimals."),
    "shu_total_too_small": _(
        "A total must be at least the sum over the members listed (it also counts those not "
        "listed)."
    ),
}


class ServiceError(Exception):
    """A refused request: nothing was written."""

    status = 400

    def __init__(
        self, code: str, message: Any, field: str | None = None, status: int | None = None
    ):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    @classmethod
    def from_domain(cls, error: DomainError, field: str | None = None) -> "ServiceError":
        if error.code == "invalid" and error.message == RUPIAH_INPUT_HINT:
            message: Any = RUPIAH_INVALID  # a form's amount: say how to type it
        else:
            message = DOMAIN_MESSAGES.get(error.code, error.message)
        return cls(error.code, message, field or error.field)

    def as_detail(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class NotFound(ServiceError):
    """Missing, or belonging to another cooperative: the same answer, so existence never leaks."""

    status = 404

    def __init__(self, message: Any = None, field: str | None = None):
        super().__init__("not_found", message or _("Not found."), field)


class Conflict(ServiceError):
    status = 409


class KeyReused(Conflict):
    """An idempotency key that already names another request.

    A key names one request of one operation in a cooperative: what it first did (the
    operation, its account or loan, amount and note) is the only request it may repeat.
    """

    def __init__(self, field: str | None = None):
        super().__init__(
            "idempotency_key_reused",
            _("This idempotency key was already used for another request."),
            field,
        )


class PermissionDenied(ServiceError):
    status = 403

    def __init__(self, message: Any = None):
        super().__init__("forbidden", message or _("You do not have permission to do this."))


class InvalidInput(ServiceError):
    """Several fields are wrong at once; a form shows each beside its field."""

    def __init__(self, errors: list[ServiceError]):
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = errors

    def details(self) -> list[dict[str, Any]]:
        return [e.as_detail() for e in self.errors]
