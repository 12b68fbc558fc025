"""Loans over the API: the simulator, products, applications (`loans.application_api`), loans
and their money.

`POST /loans/simulate` needs no token; everything else is staff work by role (enter and analyse:
`loans.handle`; decide: `loans.approve`; move money: `loans.transact`), except that a member's
own login may apply for themselves and read their own applications and loans. Every call that
moves money needs an Idempotency-Key header; a retry gets the first answer back and posts
nothing again.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from koperasi.common.api import (
    ERRORS,
    MAX_ID,
    Caller,
    IdempotencyKey,
    IsoDate,
    Limit,
    Offset,
    PathId,
    QueryInt,
    authorize,
    fields_named,
    idempotent,
    page,
)
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger.services import business_today
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.application_api import router as application_router
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.schemas import (
    AssessIn,
    DecisionIn,
    DisburseIn,
    LoanDetailOut,
    LoanPage,
    LoanScheduleOut,
    LoanTransactionOut,
    LoanTransactionPage,
    PaymentIn,
    QuoteOut,
    RecoveryIn,
    RestructuringIn,
    RestructuringOut,
    ReverseIn,
    WriteOffIn,
    WriteOffOut,
)
from koperasi.loans.simulation import parse_rate
from koperasi.tenancy.permissions import (
    APPROVE_LOANS,
    HANDLE_LOANS,
    TRANSACT_LOANS,
    VIEW_LOANS,
)

router = Router(tags=["loans"])
router.add_router("", application_router)

QueryId = Annotated[QueryInt | None, Query(None, ge=1, le=MAX_ID)]
QueryDate = Annotated[IsoDate | None, Query(None, alias="date", description="YYYY-MM-DD")]


# ---------------------------------------------------------------- loans


def _loan(caller: Caller, loan_id: int) -> Loan:
    """The loan, if this caller may see it (a member's login: only their own)."""
    return selectors.loan(cooperative=caller.cooperative, loan_id=loan_id, member=caller.member)


def _loan_json(loan: Loan, as_of: dt.date) -> dict[str, Any]:
    """The loan with what is overdue on it as of a date."""
    return LoanDetailOut.model_validate(loan, context={"as_of": as_of}).model_dump(mode="json")


def _txn_json(txn: LoanTransaction) -> dict[str, Any]:
    return LoanTransactionOut.from_orm(txn).model_dump(mode="json")


@router.post("/applications/{application_id}/disburse", response={201: LoanDetailOut, **ERRORS})
def disburse(
    request: HttpRequest,
    application_id: PathId,
    payload: DisburseIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Pay out an approved application in cash or to the member's sukarela account; fees are
    deducted or charged as the product says, and the schedule is fixed from today."""
    caller = authorize(request, TRANSACT_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        with fields_named({"savings_account": "savings_account_id"}):
            loan = loans.disburse(
                cooperative=caller.cooperative,
                actor=caller.user,
                application_id=application_id,
                idempotency_key=key,
                to=payload.to,
                savings_account_id=payload.savings_account_id,
                autodebit=payload.autodebit,
            )
        loan = selectors.loan(cooperative=caller.cooperative, loan_id=loan.pk)
        return 201, _loan_json(loan, business_today(caller.cooperative))

    return idempotent(request, caller, idempotency_key, run)


@router.get("/loans", response={200: LoanPage, **ERRORS})
def portfolio(
    request: HttpRequest,
    product: QueryId = None,
    officer: QueryId = None,
    collectibility: Annotated[QueryInt | None, Query(None, ge=1, le=5)] = None,
    min_days_past_due: Annotated[QueryInt | None, Query(None, ge=0, le=10**6)] = None,
    status: Literal["active", "closed", "written_off", "all"] = "active",
    member: QueryId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The loan portfolio, newest first, filtered by product, officer, kolektibilitas class,
    days past due, status (default active) and member; a member's login sees only their own."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    found = selectors.portfolio(
        cooperative=caller.cooperative,
        where=selectors.PortfolioFilter(
            product_id=product,
            officer_id=officer,
            collectibility=collectibility,
            min_days_past_due=min_days_past_due,
            status="" if status == "all" else status,
            member=caller.member,
        ),
    )
    if member is not None:
        found = found.filter(member_id=member)
    return page(found, limit, offset)


@router.get("/loans/{loan_id}", response={200: LoanDetailOut, **ERRORS})
def get_loan(request: HttpRequest, loan_id: PathId) -> HttpResponse:
    """One loan with what is overdue on it today."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    return JsonResponse(_loan_json(_loan(caller, loan_id), business_today(caller.cooperative)))


@router.get("/loans/{loan_id}/schedule", response={200: LoanScheduleOut, **ERRORS})
def get_schedule(
    request: HttpRequest,
    loan_id: PathId,
    version: Annotated[
        QueryInt | None, Query(None, ge=1, le=32767, description="Default: the current schedule")
    ] = None,
) -> dict[str, Any]:
    """The instalment schedule with what has been paid; earlier versions stay after a
    restructuring."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    loan = _loan(caller, loan_id)
    rows: list[Instalment] = selectors.schedule(loan=loan, version=version)
    if not rows:
        raise NotFound(_("This loan has no schedule of that version."), field="version")
    return {
        "loan": loan.pk,
        "version": version or loan.schedule_version,
        "current_version": loan.schedule_version,
        "instalments": rows,
    }


@router.get("/loans/{loan_id}/transactions", response={200: LoanTransactionPage, **ERRORS})
def get_transactions(
    request: HttpRequest, loan_id: PathId, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """The loan's money movements, oldest first."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    return page(selectors.history(loan=_loan(caller, loan_id)), limit, offset)


@router.post("/loans/{loan_id}/repayments", response={201: LoanTransactionOut, **ERRORS})
def repay(
    request: HttpRequest,
    loan_id: PathId,
    payload: PaymentIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """A repayment, allocated by the product's order (default penalty → interest →
    principal); more than is due pays ahead or goes to savings, as the product says."""
    caller = authorize(request, TRANSACT_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        with fields_named({"savings_account": "savings_account_id"}):
            txn = loans.repay(
                cooperative=caller.cooperative,
                actor=caller.user,
                loan_id=loan_id,
                amount=payload.amount,
                idempotency_key=key,
                channel=payload.channel,
                savings_account_id=payload.savings_account_id,
                note=payload.note,
            )
        return 201, _txn_json(txn)

    # The service tells a retry (the first movement) from another request under the same key
    # (409), so no record is kept and a cash repayment can take its one-statement way.
    return idempotent(request, caller, idempotency_key, run, keyed_service=True)


@router.get("/loans/{loan_id}/settlement-quote", response={200: QuoteOut, **ERRORS})
def settlement_quote(request: HttpRequest, loan_id: PathId, on: QueryDate = None) -> dict[str, Any]:
    """What pays the whole loan off on a date (default today), valid until `valid_until`."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    loan = _loan(caller, loan_id)
    with fields_named({"on": "date"}):
        quote = loans.settlement_quote(cooperative=caller.cooperative, loan_id=loan.pk, on=on)
    return {
        "loan_number": quote.loan_number,
        "as_of": quote.as_of,
        "valid_until": quote.valid_until,
        "principal": quote.principal,
        "interest": quote.interest,
        "penalty": quote.penalty,
        "fee": quote.fee,
        "interest_waived": quote.interest_waived,
        "total": quote.total,
    }


@router.post("/loans/{loan_id}/payoff", response={201: LoanTransactionOut, **ERRORS})
def pay_off(
    request: HttpRequest,
    loan_id: PathId,
    payload: PaymentIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Settle the loan early; `amount` must equal today's settlement quote total."""
    caller = authorize(request, TRANSACT_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        with fields_named({"savings_account": "savings_account_id"}):
            txn = loans.pay_off(
                cooperative=caller.cooperative,
                actor=caller.user,
                loan_id=loan_id,
                amount=payload.amount,
                idempotency_key=key,
                channel=payload.channel,
                savings_account_id=payload.savings_account_id,
                note=payload.note,
            )
        return 201, _txn_json(txn)

    return idempotent(request, caller, idempotency_key, run)


@router.post(
    "/loans/transactions/{transaction_id}/reverse", response={201: LoanTransactionOut, **ERRORS}
)
def reverse(
    request: HttpRequest,
    transaction_id: PathId,
    payload: ReverseIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Undo a wrongly entered repayment or payoff by a reversal entry (the latest first)."""
    caller = authorize(request, TRANSACT_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        txn = loans.reverse_repayment(
            cooperative=caller.cooperative,
            actor=caller.user,
            transaction_id=transaction_id,
            reason=payload.reason,
            idempotency_key=key,
        )
        return 201, _txn_json(txn)

    return idempotent(request, caller, idempotency_key, run)


@router.post("/loans/{loan_id}/assess", response={200: LoanDetailOut, **ERRORS})
def assess(
    request: HttpRequest,
    loan_id: PathId,
    payload: AssessIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Penalties and the kolektibilitas class of one loan as of a date (default today).

    Assessing the same date again adds nothing, so the Idempotency-Key is optional.
    """
    caller = authorize(request, HANDLE_LOANS)
    today = business_today(caller.cooperative)
    on = payload.on or today
    if on > today:
        # Penalties not yet earned would be booked.
        raise ServiceError("date_in_future", _("Assess as of today or an earlier date."), "on")

    def run(_key: str) -> tuple[int, dict[str, Any]]:
        loan = loans.assess(
            cooperative=caller.cooperative, actor=caller.user, loan_id=loan_id, on=on
        )
        loan = selectors.loan(cooperative=caller.cooperative, loan_id=loan.pk)
        return 200, _loan_json(loan, on)

    return idempotent(request, caller, idempotency_key, run, required=False)


@router.post("/loans/{loan_id}/restructurings", response={201: RestructuringOut, **ERRORS})
def propose_restructuring(
    request: HttpRequest, loan_id: PathId, payload: RestructuringIn
) -> Status[Restructuring]:
    """Propose new terms for what is outstanding; another person decides."""
    caller = authorize(request, HANDLE_LOANS)
    with fields_named({"rate": "new_rate", "months": "new_term"}):
        proposal = loans.propose_restructuring(
            cooperative=caller.cooperative,
            actor=caller.user,
            loan_id=loan_id,
            kind=payload.kind,
            new_term=payload.new_term,
            new_rate=parse_rate(payload.new_rate),
            new_rate_period=payload.new_rate_period,
            new_method=payload.new_method,
            grace_periods=payload.grace_periods,
            reason=payload.reason,
        )
    return Status(201, proposal)


@router.post(
    "/loans/restructurings/{restructuring_id}/decision",
    response={200: RestructuringOut, **ERRORS},
)
def decide_restructuring(
    request: HttpRequest, restructuring_id: PathId, payload: DecisionIn
) -> Restructuring:
    """Approve (the new schedule starts today; the old one stays as history) or refuse."""
    caller = authorize(request, APPROVE_LOANS)
    return loans.decide_restructuring(
        cooperative=caller.cooperative,
        actor=caller.user,
        role=str(caller.role),
        restructuring_id=restructuring_id,
        approve=payload.approve,
        note=payload.note,
    )


@router.post("/loans/{loan_id}/write-off", response={201: WriteOffOut, **ERRORS})
def propose_write_off(
    request: HttpRequest, loan_id: PathId, payload: WriteOffIn
) -> Status[WriteOffRequest]:
    """Propose writing off (hapus buku) a loan classed Macet; the board decides."""
    caller = authorize(request, HANDLE_LOANS)
    proposal = loans.propose_write_off(
        cooperative=caller.cooperative, actor=caller.user, loan_id=loan_id, reason=payload.reason
    )
    return Status(201, proposal)


@router.post("/loans/write-offs/{request_id}/decision", response={200: WriteOffOut, **ERRORS})
def decide_write_off(
    request: HttpRequest,
    request_id: PathId,
    payload: DecisionIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """The board approves (the principal leaves the books) or refuses a write-off."""
    caller = authorize(request, APPROVE_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        decided = loans.decide_write_off(
            cooperative=caller.cooperative,
            actor=caller.user,
            role=str(caller.role),
            request_id=request_id,
            approve=payload.approve,
            idempotency_key=key,
            note=payload.note,
        )
        return 200, WriteOffOut.from_orm(decided).model_dump(mode="json")

    return idempotent(request, caller, idempotency_key, run)


@router.post("/loans/{loan_id}/recoveries", response={201: LoanTransactionOut, **ERRORS})
def recover(
    request: HttpRequest,
    loan_id: PathId,
    payload: RecoveryIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Money received on a written-off loan, up to what was written off."""
    caller = authorize(request, TRANSACT_LOANS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        txn = loans.recover(
            cooperative=caller.cooperative,
            actor=caller.user,
            loan_id=loan_id,
            amount=payload.amount,
            idempotency_key=key,
            note=payload.note,
        )
        return 201, _txn_json(txn)

    return idempotent(request, caller, idempotency_key, run)
