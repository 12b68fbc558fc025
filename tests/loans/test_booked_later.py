"""Loan movements taken after the day-end close (issue 12 point 15): dated the next business
day, with the notice in the success message and on the receipt."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from koperasi.ledger import services as ledger
from koperasi.loans.models import LoanTransaction
from tests.loans.conftest import approved_application, disbursed_loan
from tests.web.test_business_date import IMMEDIATE, NOTICE, close_today, text_of


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE


def test_loan_movements_after_the_close_say_they_are_booked_tomorrow(
    client, coop, borrower, product, officer, manager, teller
):
    today = ledger.local_today(coop)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, on=today)
    application = approved_application(coop, borrower, product, officer, manager)
    close_today(coop)
    tomorrow = today + dt.timedelta(days=1)
    notice = NOTICE.format(date=f"{tomorrow:%d/%m/%Y}", taken=f"{today:%d/%m/%Y}")
    client.force_login(teller)

    # A repayment: the success message and the receipt.
    page = client.get(reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk}))
    key = re.search(r'name="repay-idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())
    response = client.post(
        reverse("lending:repay", kwargs={"code": coop.code, "loan_id": loan.pk}),
        {
            "repay-amount": "118.000",
            "repay-channel": "teller",
            "repay-note": "",
            "repay-idempotency_key": key.group(1),
        },
        follow=True,
    )
    txn = LoanTransaction.objects.get(loan=loan, kind="repayment")
    assert txn.business_date == tomorrow
    assert notice in text_of(response)
    receipt = client.get(reverse("lending:receipt", kwargs={"code": coop.code, "txn_id": txn.pk}))
    assert notice in text_of(receipt)

    # A disbursement: the success message and the receipt.
    page = client.get(
        reverse("lending:application", kwargs={"code": coop.code, "application_id": application.pk})
    )
    key = re.search(
        r'name="disburse-idempotency_key" value="([0-9a-f-]{36})"', page.content.decode()
    )
    response = client.post(
        reverse("lending:disburse", kwargs={"code": coop.code, "application_id": application.pk}),
        {
            "disburse-to": "cash",
            "disburse-savings_account": "",
            "disburse-idempotency_key": key.group(1),
        },
        follow=True,
    )
    paid_out = LoanTransaction.objects.get(loan__application=application, kind="disbursement")
    assert paid_out.business_date == tomorrow
    assert notice in text_of(response)
    receipt = client.get(
        reverse("lending:receipt", kwargs={"code": coop.code, "txn_id": paid_out.pk})
    )
    assert notice in text_of(receipt)
