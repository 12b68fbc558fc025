"""Leaving the cooperative: refused while a loan runs or an application is open (DOMAIN.md:
"Exit: no open loans"), and then nothing is refunded and nothing changes."""

import datetime as dt

import pytest

from koperasi.errors import ServiceError
from koperasi.members.models import Member
from koperasi.membership import services as membership
from tests.conftest import books_snapshot
from tests.loans.conftest import approved_application, disbursed_loan


def _leave(coop, teller, member, key="exit"):
    return membership.exit_member(
        cooperative=coop,
        actor=teller,
        member=member,
        status="resigned",
        reason="Pindah kota",
        idempotency_key=key,
    )


def test_a_member_with_a_running_loan_cannot_leave(
    coop, teller, borrower, product, officer, manager
):
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, dt.date.today())
    before = books_snapshot()
    with pytest.raises(ServiceError) as refused:
        _leave(coop, teller, borrower)
    assert refused.value.code == "obligations_outstanding"
    assert loan.number in str(refused.value.message)
    assert books_snapshot() == before
    borrower.refresh_from_db()
    assert borrower.status == Member.Status.ACTIVE


def test_an_open_application_blocks_leaving_too(coop, teller, borrower, product, officer, manager):
    application = approved_application(coop, borrower, product, officer, manager)
    with pytest.raises(ServiceError) as refused:
        _leave(coop, teller, borrower)
    assert application.number in str(refused.value.message)


def test_without_obligations_the_member_leaves_and_is_refunded(coop, teller, borrower):
    left = _leave(coop, teller, borrower)
    assert left.status == Member.Status.RESIGNED
