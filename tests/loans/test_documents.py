"""The loan agreement and the loan card (kartu angsuran), as PDF and as HTML preview."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from koperasi.domain.terbilang import terbilang
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.members import services as members
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_user
from tests.loans.conftest import disbursed_loan


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    coop.address = "Jl. Ahmad Yani No. 7, Maumere"
    coop.legal_entity_number = "AHU-0012345.AH.01.26"
    coop.save()
    borrower.address = "Jl. Kenanga 3"
    borrower.village = "Kota Uneng"
    borrower.save()
    on = business_today(coop) - dt.timedelta(days=45)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, on)
    first_due = loan.instalments.get(no=1).due_date
    loans.repay(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="118000",
        idempotency_key="pay-1",
        business_date_=first_due,
    )
    loan.refresh_from_db()
    return loan


def url(coop, loan, name, code=None):
    return reverse(f"loandocs:{name}", kwargs={"code": code or coop.code, "loan_id": loan.pk})


def test_agreement_pdf(client, coop, teller, loan):
    client.force_login(teller)
    response = client.get(url(coop, loan, "agreement"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="perjanjian-{loan.number}.pdf"' in response["Content-Disposition"]


def test_agreement_preview_has_every_term(client, coop, supervisor, loan, borrower):
    client.force_login(supervisor)  # read-only staff may print it
    response = client.get(url(coop, loan, "agreement"), {"html": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    rows = list(loan.instalments.order_by("no"))
    for text in (
        coop.name,
        "AHU-0012345.AH.01.26",
        "Jl. Ahmad Yani No. 7, Maumere",
        borrower.name,
        borrower.number,
        borrower.nik,
        "Jl. Kenanga 3, Kota Uneng, Maumere, Sikka, Nusa Tenggara Timur",
        "Rp 1.200.000",
        terbilang(Decimal("1200000")),  # "Satu juta dua ratus ribu rupiah"
        "1,5%",
        rows[0].due_date.strftime("%d/%m/%Y"),
        rows[-1].due_date.strftime("%d/%m/%Y"),
        "Rp 12.000",  # provisi 1 %
        "Rp 10.000",  # administration
        "Rp 22.000",  # total fees
        "0,1%",  # penalty per day
        "Modal warung",
        loan.number,
    ):
        assert text in body, text
    assert terbilang(Decimal("1200000")) == "Satu juta dua ratus ribu rupiah"
    assert "Maumere, " + loan.disbursed_on.strftime("%d/%m/%Y") in body  # place and date


def test_card_lists_every_instalment_with_what_was_paid(client, coop, teller, loan):
    client.force_login(teller)
    response = client.get(url(coop, loan, "card"), {"html": "1"})
    assert response.status_code == 200
    lines = response.context["lines"]
    assert len(lines) == 12
    assert lines[0].status == "paid" and lines[0].paid == Decimal("118000")
    assert lines[1].status in ("due", "overdue") and lines[1].paid == 0
    body = response.content.decode()
    assert "118.000" in body
    assert lines[0].due_date.strftime("%d/%m/%Y") in body
    assert body.count('<td style="text-align:center">') == 12
    pdf = client.get(url(coop, loan, "card"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f"kartu-angsuran-{loan.number}.pdf" in pdf["Content-Disposition"]


def test_reversed_payment_leaves_the_card(client, coop, teller, manager, loan):
    repayment = loan.transactions.get(kind="repayment")
    loans.reverse_repayment(
        cooperative=coop,
        actor=manager,
        transaction_id=repayment.pk,
        reason="Salah input",
        idempotency_key="rev-1",
    )
    client.force_login(teller)
    lines = client.get(url(coop, loan, "card"), {"html": "1"}).context["lines"]
    assert lines[0].paid == 0 and lines[0].paid_dates == ()
    assert lines[0].status == "overdue"


def test_another_cooperatives_loan_is_not_found(client, coop, other_coop, loan):
    outsider = make_user("kasir-lain", other_coop, Role.ADMIN)
    client.force_login(outsider)
    for name in ("agreement", "card"):
        # Through their own cooperative's address: the loan is not theirs.
        assert client.get(url(coop, loan, name, code=other_coop.code)).status_code == 404
        # Through ours: they are not staff here.
        assert client.get(url(coop, loan, name)).status_code == 404


def test_member_login_gets_not_found(client, coop, teller, loan, borrower):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=borrower, password=PASSWORD
    )
    client.force_login(user)
    for name in ("agreement", "card"):
        assert client.get(url(coop, loan, name), {"html": "1"}).status_code == 404


def test_unknown_loan_and_anonymous(client, coop, teller, loan):
    client.force_login(teller)
    missing = reverse("loandocs:card", kwargs={"code": coop.code, "loan_id": 999999})
    assert client.get(missing).status_code == 404
    client.logout()
    response = client.get(url(coop, loan, "agreement"))
    assert response.status_code == 302 and "/login/" in response["Location"]
