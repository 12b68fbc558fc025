"""A loan book built through the services, and what the loan API tests compare and send."""

import datetime as dt
from decimal import Decimal

from django.core.management import call_command

from koperasi.ledger.models import Account
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.selectors import loan_violations
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, books_snapshot, make_member, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

# ---------------------------------------------------------------- building a loan book


def make_product(coop, actor, code="UJI"):
    """Declining balance 1,5 %/month, no rounding, cash basis, provisi 1 % + Rp 10.000."""
    return loans.create_product(
        cooperative=coop,
        actor=actor,
        code=code,
        name="Pinjaman Uji",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=1,
        max_term=24,
        min_principal=Decimal("100000"),
        max_principal=Decimal("20000000"),
        provisi_pct=Decimal("1"),
        admin_fee=Decimal("10000"),
        penalty_kind="pct_day",
        penalty_rate=Decimal("0.1"),
        penalty_grace_days=3,
    )


def make_borrower(coop, teller):
    """An active member since January 2025 with Rp 2.000.000 in sukarela."""
    member = make_member(coop, teller)
    member.joined_on = dt.date(2025, 1, 10)
    member.save(update_fields=["joined_on"])
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("2000000"),
        idempotency_key=f"fund-{member.pk}",
    )
    return member


def macet_loan(coop, member, product, officer, manager, teller):
    """A loan disbursed 400 days ago and never repaid: class 5 (Macet) today."""
    today = business_today(coop)
    loan = disbursed_loan(
        coop, member, product, officer, manager, teller, on=today - dt.timedelta(days=400)
    )
    return loans.assess(cooperative=coop, actor=officer, loan_id=loan.pk, on=today)


def build_book(coop, officer, manager, teller, admin):
    """One of everything an endpoint can take an id of, all in `coop`."""
    member = make_borrower(coop, teller)
    product = make_product(coop, admin)
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=member.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal warung",
    )
    approved = approved_application(coop, member, product, officer, manager)
    loan = disbursed_loan(coop, member, product, officer, manager, teller, on=business_today(coop))
    repayment = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="118000", idempotency_key="ang-1"
    )
    restructuring = loans.propose_restructuring(
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        kind="rescheduling",
        new_term=24,
        new_rate=Decimal("1.5"),
        new_rate_period="month",
        new_method="menurun",
        reason="Usaha sepi",
    )
    macet = macet_loan(coop, member, product, officer, manager, teller)
    write_off = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=macet.pk, reason="Tidak tertagih"
    )
    gone = macet_loan(coop, member, product, officer, manager, teller)
    request = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=gone.pk, reason="Meninggal"
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=admin,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key="hapus-1",
    )
    return {
        "member": member.pk,
        "sukarela": sukarela_account(coop, member).pk,
        "product": product.pk,
        "submitted": submitted.pk,
        "application": approved.pk,
        "loan": loan.pk,
        "repayment": repayment.pk,
        "restructuring": restructuring.pk,
        "macet": macet.pk,
        "write_off": write_off.pk,
        "written_off": gone.pk,
    }


def loan_state():
    """What the loan sub-ledger holds, beside the books: must not change on a refusal."""
    return {
        "applications": sorted(LoanApplication.objects.values_list("pk", "status")),
        "loans": sorted(
            Loan.objects.values_list("pk", "status", "outstanding_principal", "schedule_version")
        ),
        "transactions": LoanTransaction.objects.count(),
        "paid": sorted(Instalment.objects.values_list("pk", "principal_paid", "interest_paid")),
        "restructurings": sorted(Restructuring.objects.values_list("pk", "status")),
        "write_offs": sorted(WriteOffRequest.objects.values_list("pk", "status")),
    }


def everything():
    return books_snapshot(), loan_state()


def balance(coop, role):
    return Account.objects.get(cooperative=coop, system_role=role).balance


def check_books(coop):
    assert loan_violations(cooperative=coop) == []
    call_command("books_check")


def portal_login(coop, teller, member):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    member.refresh_from_db()
    return member.user


def apply_body(member, product, **overrides):
    return {
        "member_id": member.pk,
        "product_id": product.pk,
        "principal": "1200000",
        "term": 12,
        "purpose": "Modal warung",
        **overrides,
    }


ANALYSIS = {"monthly_income": "5000000", "monthly_expenses": "2000000"}

RESTRUCTURE = {
    "kind": "rescheduling",
    "new_term": 24,
    "new_rate": "1.5",
    "new_rate_period": "month",
    "new_method": "menurun",
    "reason": "Usaha sepi",
}


def fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value
