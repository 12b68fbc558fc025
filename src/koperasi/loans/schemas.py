"""Input and output schemas of the loans API (django-ninja / pydantic)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from koperasi.common.api import (
    AmountIn,
    Flag,
    Id,
    IsoDate,
    Money,
    Text,
    WholeNumber,
    ascii_number,
)
from koperasi.domain.schedule import MAX_PERIODS
from koperasi.loans import selectors
from koperasi.loans.models import (
    Loan,
    LoanApplication,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)

# Like amounts, a rate arrives raw and is parsed exactly; a JSON fraction (a float) is refused.
RateIn = Annotated[
    Any,
    AfterValidator(ascii_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d{1,8})?$"},
                {"type": "integer", "minimum": 0},
            ],
            "description": 'Percent per `rate_period`, a string such as "1.5" or an integer.',
            "examples": ["1.5"],
        }
    ),
]


def _percent_text(value: Decimal) -> str:
    # Rates are stored at full precision (1.50000000); show what was entered: "1.5".
    return f"{Decimal(value).normalize():f}"


# Rates and percentages leave the API as strings without trailing zeros ("1.5", "24").
Percent = Annotated[
    Decimal,
    PlainSerializer(_percent_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["1.5"]}),
]
SmallInt = Annotated[WholeNumber, Field(ge=0, le=32767)]


class SimulateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    principal: AmountIn
    rate: RateIn
    rate_period: Literal["month", "year"]
    months: WholeNumber = Field(ge=1, le=MAX_PERIODS, description="Number of instalments")
    method: Literal["flat", "menurun", "anuitas"]
    frequency: Literal["monthly", "weekly", "daily"] = "monthly"
    rounding: Literal["none", "1", "100", "1000"] = "none"
    grace_periods: WholeNumber = Field(0, ge=0, le=MAX_PERIODS)
    start: IsoDate | None = Field(None, description="Disbursement date; default today")
    skip_holidays: Flag = False


class SimulatedInstalmentOut(Schema):
    no: int
    due_date: str
    principal: str
    interest: str
    payment: str
    balance: str


class SimulatedScheduleOut(Schema):
    instalments: list[SimulatedInstalmentOut]
    total_interest: str
    total_payment: str


class LoanProductOut(Schema):
    id: int
    code: str
    name: str
    method: str
    rate: Percent
    rate_period: str
    frequency: str
    rounding: str
    min_term: int
    max_term: int
    max_grace_periods: int
    min_principal: Money
    max_principal: Money
    skip_holidays: bool
    provisi_pct: Percent
    admin_fee: Money
    fee_mode: str
    penalty_kind: str
    penalty_rate: Percent
    penalty_flat: Money
    penalty_grace_days: int
    penalty_cap_pct: Percent
    allocation_order: str
    min_membership_months: int
    max_savings_multiple: Percent
    max_instalment_income_pct: Percent
    requires_collateral: bool
    min_collateral_pct: Percent
    min_guarantors: int
    early_payoff: str
    early_payoff_fee_pct: Percent
    overpayment: str
    accounting: str
    is_active: bool


class LoanProductPage(Schema):
    items: list[LoanProductOut]
    count: int
    count_capped: bool = False


class ApplicationOut(Schema):
    id: int
    number: str
    member: int
    member_number: str
    member_name: str
    product: int
    product_code: str
    product_name: str
    principal: Money
    term: int
    grace_periods: int
    purpose: str
    status: str
    channel: str
    submitted_on: dt.date

    @staticmethod
    def resolve_member(obj: LoanApplication) -> int:
        return obj.member_id

    @staticmethod
    def resolve_member_number(obj: LoanApplication) -> str:
        return obj.member.number

    @staticmethod
    def resolve_member_name(obj: LoanApplication) -> str:
        return obj.member.name

    @staticmethod
    def resolve_product(obj: LoanApplication) -> int:
        return obj.product_id

    @staticmethod
    def resolve_product_code(obj: LoanApplication) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: LoanApplication) -> str:
        return obj.product.name


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    count: int
    count_capped: bool = False


class CollateralOut(Schema):
    kind: str
    description: str
    value: Money


class GuarantorOut(Schema):
    member: int
    member_number: str
    member_name: str


class DocumentOut(Schema):
    id: int
    title: str
    content_type: str
    uploaded_at: dt.datetime


class AssessmentOut(Schema):
    """What approval checks; `problems` empty means the application may be approved."""

    monthly_instalment: Money
    capacity: Money | None
    capacity_limit: Money | None
    collateral_value: Money
    collateral_needed: Money
    guarantors: int
    guarantors_needed: int
    related_party: bool
    related_party_total: Money
    related_party_limit: Money
    problems: list[str]


class ApplicationDetailOut(ApplicationOut):
    monthly_income: Money | None
    monthly_expenses: Money | None
    other_instalments: Money | None
    repayment_capacity: Money | None
    analysis_note: str
    recommendation: str
    decision_note: str
    approval_level: str
    entered_by: int | None
    analysed_by: int | None
    decided_by: int | None
    analysed_at: dt.datetime | None
    decided_at: dt.datetime | None
    collaterals: list[CollateralOut]
    guarantors: list[GuarantorOut]
    documents: list[DocumentOut]
    # What approval checks, against the product's terms today: for staff (it shows the
    # related-party totals) while the application is open; null once disbursed or closed.
    assessment: AssessmentOut | None

    @staticmethod
    def resolve_entered_by(obj: LoanApplication) -> int | None:
        return obj.entered_by_id

    @staticmethod
    def resolve_analysed_by(obj: LoanApplication) -> int | None:
        return obj.analysed_by_id

    @staticmethod
    def resolve_decided_by(obj: LoanApplication) -> int | None:
        return obj.decided_by_id

    @staticmethod
    def resolve_guarantors(obj: LoanApplication) -> list[dict[str, Any]]:
        return [
            {"member": g.member_id, "member_number": g.member.number, "member_name": g.member.name}
            for g in obj.guarantors.all()
        ]

    @staticmethod
    def resolve_assessment(obj: LoanApplication, context: dict[str, Any] | None) -> Any:
        return (context or {}).get("assessment")


class ApplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member_id: Id | None = Field(None, description="Staff: the member; a member's login: omit")
    product_id: Id
    principal: AmountIn
    term: SmallInt = Field(description="Number of instalments")
    purpose: Text = Field(max_length=255)
    grace_periods: SmallInt = 0


class CollateralIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["bpkb", "shm", "savings", "sk", "other"]
    description: Text = Field(max_length=255)
    value: AmountIn


class AnalysisIn(Schema):
    model_config = ConfigDict(extra="forbid")

    monthly_income: AmountIn
    monthly_expenses: AmountIn = "0"
    other_instalments: AmountIn = "0"
    note: Text = Field("", max_length=5000)
    recommendation: Literal["approve", "reject"] = "approve"
    collaterals: list[CollateralIn] = Field(default_factory=list, max_length=50)
    guarantor_ids: list[Id] = Field(default_factory=list, max_length=20)


class ApproveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field("", max_length=255)


class RejectIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=255)


class DisburseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: Literal["cash", "savings"] = "cash"
    savings_account_id: Id | None = Field(
        None, description="The member's sukarela account; default their first one"
    )
    autodebit: Flag = Field(False, description="Collect instalments from that account")


class LoanOut(Schema):
    id: int
    number: str
    member: int
    member_number: str
    member_name: str
    product: int
    product_code: str
    product_name: str
    application: int
    officer: int | None
    principal: Money
    outstanding_principal: Money
    rate: Percent
    rate_period: str
    method: str
    frequency: str
    term: int
    disbursed_on: dt.date
    maturity_date: dt.date
    status: str
    closed_on: dt.date | None
    days_past_due: int
    collectibility: int
    schedule_version: int

    @staticmethod
    def resolve_member(obj: Loan) -> int:
        return obj.member_id

    @staticmethod
    def resolve_member_number(obj: Loan) -> str:
        return obj.member.number

    @staticmethod
    def resolve_member_name(obj: Loan) -> str:
        return obj.member.name

    @staticmethod
    def resolve_product(obj: Loan) -> int:
        return obj.product_id

    @staticmethod
    def resolve_product_code(obj: Loan) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: Loan) -> str:
        return obj.product.name

    @staticmethod
    def resolve_application(obj: Loan) -> int:
        return obj.application_id

    @staticmethod
    def resolve_officer(obj: Loan) -> int | None:
        return obj.officer_id


class LoanPage(Schema):
    items: list[LoanOut]
    count: int
    count_capped: bool = False


class ArrearsOut(Schema):
    as_of: dt.date
    days_past_due: int
    overdue_principal: Money
    overdue_interest: Money
    penalty_due: Money
    overdue_instalments: int
    next_due_date: dt.date | None
    next_due_amount: Money


class LoanDetailOut(LoanOut):
    disbursed_to: str
    savings_account: int | None
    autodebit: bool
    accrued_interest: Money
    penalty_receivable: Money
    doubtful_since: dt.date | None
    assessed_on: dt.date | None
    written_off_on: dt.date | None
    written_off_amount: Money
    recovered_amount: Money
    arrears: ArrearsOut

    @staticmethod
    def resolve_savings_account(obj: Loan) -> int | None:
        return obj.savings_account_id

    @staticmethod
    def resolve_arrears(obj: Loan, context: dict[str, Any]) -> selectors.ArrearsView:
        return selectors.arrears(loan=obj, as_of=context["as_of"])


class ScheduleRowOut(Schema):
    no: int
    due_date: dt.date
    principal: Money
    interest: Money
    payment: Money
    balance: Money
    principal_paid: Money
    interest_paid: Money
    interest_waived: Money
    penalty: Money
    penalty_paid: Money
    amount_due: Money
    paid_on: dt.date | None


class LoanScheduleOut(Schema):
    loan: int
    version: int
    current_version: int
    instalments: list[ScheduleRowOut]


class LoanTransactionOut(Schema):
    id: int
    loan: int
    kind: str
    channel: str
    business_date: dt.date
    # What was received or paid out; a reversal carries the negated figures of what it undoes.
    amount: Money
    # The signed change of the outstanding principal (disbursement +, repayment −).
    principal: Money
    interest: Money
    penalty: Money
    fee: Money
    excess: Money
    outstanding_after: Money
    receipt_number: str
    journal_entry: int | None
    reverses: int | None
    note: str

    @staticmethod
    def resolve_loan(obj: LoanTransaction) -> int:
        return obj.loan_id

    @staticmethod
    def resolve_journal_entry(obj: LoanTransaction) -> int | None:
        return obj.journal_entry_id

    @staticmethod
    def resolve_reverses(obj: LoanTransaction) -> int | None:
        return obj.reverses_id


class LoanTransactionPage(Schema):
    items: list[LoanTransactionOut]
    count: int
    count_capped: bool = False


class QuoteOut(Schema):
    loan_number: str
    as_of: dt.date
    valid_until: dt.date
    principal: Money
    interest: Money
    penalty: Money
    fee: Money
    interest_waived: Money
    total: Money


class PaymentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    channel: Literal["teller", "savings", "api"] = "api"
    savings_account_id: Id | None = Field(
        None, description="channel savings: the member's sukarela account; default the loan's"
    )
    note: Text = Field("", max_length=255)


class ReverseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=255)


class AssessIn(Schema):
    model_config = ConfigDict(extra="forbid")

    on: IsoDate | None = Field(None, description="YYYY-MM-DD, at most today; default today")


class RestructuringIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["rescheduling", "reconditioning", "restructuring"]
    new_term: WholeNumber = Field(ge=1, le=MAX_PERIODS)
    new_rate: RateIn
    new_rate_period: Literal["month", "year"]
    new_method: Literal["flat", "menurun", "anuitas"]
    grace_periods: WholeNumber = Field(0, ge=0, le=MAX_PERIODS)
    reason: Text = Field(max_length=255)


class RestructuringOut(Schema):
    id: int
    loan: int
    kind: str
    status: str
    reason: str
    new_term: int
    new_rate: Percent
    new_rate_period: str
    new_method: str
    grace_periods: int
    from_version: int
    to_version: int | None
    effective_on: dt.date | None
    proposed_by: int | None
    decided_by: int | None
    decision_note: str
    created_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_loan(obj: Restructuring) -> int:
        return obj.loan_id

    @staticmethod
    def resolve_proposed_by(obj: Restructuring) -> int | None:
        return obj.proposed_by_id

    @staticmethod
    def resolve_decided_by(obj: Restructuring) -> int | None:
        return obj.decided_by_id


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    approve: Flag
    note: Text = Field("", max_length=255, description="Required when refusing")


class WriteOffIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=255)


class WriteOffOut(Schema):
    id: int
    loan: int
    status: str
    reason: str
    proposed_by: int | None
    decided_by: int | None
    decision_note: str
    created_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_loan(obj: WriteOffRequest) -> int:
        return obj.loan_id

    @staticmethod
    def resolve_proposed_by(obj: WriteOffRequest) -> int | None:
        return obj.proposed_by_id

    @staticmethod
    def resolve_decided_by(obj: WriteOffRequest) -> int | None:
        return obj.decided_by_id


class RecoveryIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    note: Text = Field("", max_length=255)
