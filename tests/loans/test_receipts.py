"""Receipts (kwitansi) of loan movements (issue 12 point 14): the disbursement (gross, each fee,
the cash paid out) and every repayment (the split, the principal left, the next due date), as a
page and as PDF, with the amount in words; the member opens only their own; principal paid is
shown as a positive amount."""

import datetime as dt
import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, LoanTransaction
from koperasi.members import services as members
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, books_snapshot, make_member, make_user
from tests.loans.conftest import approved_application, disbursed_loan

D = Decimal


def receipt_url(coop, txn, name="lending:receipt"):
    return reverse(name, kwargs={"code": coop.code, "txn_id": txn.pk})


def text_of(response):
    """The page's visible text, tags dropped and whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def due(loan, no):
    return Instalment.objects.get(loan=loan, version=1, no=no).due_date


def pay(coop, teller, loan, amount, **kw):
    return loans.repay(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount=amount,
        idempotency_key=str(uuid.uuid4()),
        **kw,
    )


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    """Rp 1.200.000 over 12 months at 1,5 %/month; provisi 1 % and Rp 10.000 deducted."""
    return disbursed_loan(
        coop, borrower, product, officer, manager, teller, on=business_today(coop)
    )


@pytest.fixture
def staff_client(client, teller):
    client.force_login(teller)
    return client


def test_the_disbursement_receipt_shows_gross_each_fee_and_the_cash_paid_out(
    staff_client, coop, loan, borrower
):
    txn = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    response = staff_client.get(receipt_url(coop, txn))
    assert response.status_code == 200
    text = text_of(response)
    for expected in (
        "KWITANSI",
        txn.receipt_number,
        borrower.name,
        loan.number,
        "Pokok pinjaman Rp 1.200.000",
        "Biaya provisi − Rp 12.000",
        "Biaya administrasi − Rp 10.000",
        "Uang tunai dibayarkan Rp 1.178.000",
        "Satu juta seratus tujuh puluh delapan ribu rupiah",
        "Sisa pokok Rp 1.200.000",
        f"Angsuran berikutnya jatuh tempo {due(loan, 1):%d/%m/%Y}",
    ):
        assert expected in text, expected


def test_a_repayment_receipt_shows_the_split_the_principal_left_and_the_next_due_date(
    staff_client, coop, loan, teller
):
    first = pay(coop, teller, loan, "118000")  # instalment 1: 100.000 principal + 18.000 interest
    assert first.principal == D("-100000.00")  # signed on the movement
    text = text_of(staff_client.get(receipt_url(coop, first)))
    for expected in (
        "Bunga Rp 18.000",
        "Pokok Rp 100.000",  # paid: a positive amount
        "Jumlah diterima Rp 118.000",
        "Seratus delapan belas ribu rupiah",
        "Sisa pokok Rp 1.100.000",
        f"Angsuran berikutnya jatuh tempo {due(loan, 2):%d/%m/%Y}",
    ):
        assert expected in text, expected
    assert "-Rp 100.000" not in text and "Denda" not in text
    # A later payment moves the next due date on; the first receipt, reprinted, does not change.
    second = pay(coop, teller, loan, "116500")
    assert f"jatuh tempo {due(loan, 3):%d/%m/%Y}" in text_of(
        staff_client.get(receipt_url(coop, second))
    )
    assert f"jatuh tempo {due(loan, 2):%d/%m/%Y}" in text_of(
        staff_client.get(receipt_url(coop, first))
    )


def test_a_late_repayment_receipt_splits_penalty_interest_and_principal(
    staff_client, coop, borrower, product, officer, manager, teller
):
    today = business_today(coop)
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller, on=today - dt.timedelta(days=75)
    )
    txn = pay(coop, teller, loan, "200000")
    assert txn.penalty > 0 and txn.interest > 0 and txn.principal < 0
    assert txn.penalty + txn.interest - txn.principal + txn.excess == D("200000")
    text = text_of(staff_client.get(receipt_url(coop, txn)))
    for label, amount in (
        ("Denda", txn.penalty),
        ("Bunga", txn.interest),
        ("Pokok", -txn.principal),
        ("Sisa pokok", txn.outstanding_after),
    ):
        assert f"{label} Rp {amount:,.0f}".replace(",", ".") in text, label
    assert "Dua ratus ribu rupiah" in text


def test_a_payoff_receipt_says_the_loan_is_paid_off(staff_client, coop, loan, teller):
    quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=business_today(coop))
    txn = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount=quote.total,
        idempotency_key="lunas-1",
    )
    text = text_of(staff_client.get(receipt_url(coop, txn)))
    assert "Sisa pokok Rp 0" in text
    assert "Tidak ada: pinjaman sudah lunas" in text
    assert "Pokok Rp 1.200.000" in text


def test_the_receipt_pdf(staff_client, coop, loan, teller):
    txn = pay(coop, teller, loan, "118000")
    response = staff_client.get(receipt_url(coop, txn, "lending:receipt_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'inline; filename="kwitansi-{txn.receipt_number}.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_the_loan_page_links_every_receipt_and_shows_principal_paid_positive(
    staff_client, coop, loan, teller
):
    txn = pay(coop, teller, loan, "118000")
    page = staff_client.get(reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk}))
    body = page.content.decode()
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    assert receipt_url(coop, txn) in body and receipt_url(coop, disbursement) in body
    row = re.search(rf'<tr id="txn-{txn.pk}">.*?</tr>', body, re.S).group(0)
    assert "100.000" in row and "-100.000" not in row


def test_right_after_a_repayment_the_loan_page_offers_its_receipt(staff_client, coop, loan):
    page = staff_client.get(reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk}))
    key = re.search(r'name="repay-idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())
    response = staff_client.post(
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
    assert response.redirect_chain[-1][0].endswith(f"?kwitansi={txn.pk}")
    body = response.content.decode()
    assert 'id="just-recorded"' in body and receipt_url(coop, txn) in body
    assert f"Kwitansi {txn.receipt_number}" in text_of(response)


def test_the_disbursement_message_states_the_cash_paid_out(
    staff_client, coop, borrower, product, officer, manager
):
    application = approved_application(coop, borrower, product, officer, manager)
    page = staff_client.get(
        reverse("lending:application", kwargs={"code": coop.code, "application_id": application.pk})
    )
    key = re.search(
        r'name="disburse-idempotency_key" value="([0-9a-f-]{36})"', page.content.decode()
    )
    response = staff_client.post(
        reverse("lending:disburse", kwargs={"code": coop.code, "application_id": application.pk}),
        {
            "disburse-to": "cash",
            "disburse-savings_account": "",
            "disburse-idempotency_key": key.group(1),
        },
        follow=True,
    )
    text = text_of(response)
    assert (
        "dicairkan: Rp 1.178.000 dibayarkan tunai (pokok Rp 1.200.000 dikurangi biaya Rp 22.000)"
        in text
    )
    txn = LoanTransaction.objects.get(loan__application=application, kind="disbursement")
    assert receipt_url(coop, txn) in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "paid"),
    [
        ("118000", "118.000"),
        ("118000.00", "118.000"),
        ("118.000", "118.000"),
        ("118.000,50", "118.000,50"),
    ],
)
def test_every_amount_format_on_the_repayment_form(staff_client, coop, loan, typed, paid):
    page = staff_client.get(reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk}))
    assert "Contoh: 50000, 1.250.000 atau 1.250.000,50" in html.unescape(page.content.decode())
    key = re.search(r'name="repay-idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())
    data = {"repay-amount": typed, "repay-channel": "teller", "repay-note": ""}
    response = staff_client.post(
        reverse("lending:repay", kwargs={"code": coop.code, "loan_id": loan.pk}),
        {**data, "repay-idempotency_key": key.group(1)},
        follow=True,
    )
    assert f"Pembayaran Rp {paid} telah dicatat" in text_of(response)
    assert LoanTransaction.objects.get(loan=loan, kind="repayment").amount == D(
        paid.replace(".", "").replace(",", ".")
    )


# --- who may open a receipt ------------------------------------------------------------------


def test_staff_of_another_cooperative_and_the_anonymous_get_nothing(
    client, coop, other_coop, loan, teller
):
    txn = pay(coop, teller, loan, "118000")
    for name in ("lending:receipt", "lending:receipt_pdf"):
        assert client.get(receipt_url(coop, txn, name)).status_code == 302  # to the login page
    client.force_login(make_user("tamu", other_coop, Role.TELLER))
    for name in ("lending:receipt", "lending:receipt_pdf"):
        assert client.get(receipt_url(coop, txn, name)).status_code == 404
        wrong = reverse(name, kwargs={"code": other_coop.code, "txn_id": txn.pk})
        assert client.get(wrong).status_code == 404


def test_a_movement_without_a_receipt_is_not_found(staff_client, coop, loan, teller):
    txn = pay(coop, teller, loan, "118000")
    reversal = loans.reverse_repayment(
        cooperative=coop,
        actor=make_user("manajer-batal", coop, Role.MANAGER),
        transaction_id=txn.pk,
        reason="Salah input",
        idempotency_key="batal-1",
    )
    assert staff_client.get(receipt_url(coop, reversal)).status_code == 404
    # The reversed repayment's receipt says it was reversed.
    assert f"Dibatalkan pada {reversal.business_date:%d/%m/%Y}" in text_of(
        staff_client.get(receipt_url(coop, txn))
    )


@pytest.fixture
def member_client(client, coop, teller, borrower):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=borrower, password=PASSWORD
    )
    client.force_login(user)
    return client


def test_the_member_opens_their_own_repayment_receipts(member_client, coop, loan, teller):
    txn = pay(coop, teller, loan, "118000")
    detail = member_client.get(reverse("myloans:detail", kwargs={"loan_id": loan.pk}))
    mine = reverse("myloans:receipt", kwargs={"txn_id": txn.pk})
    assert mine in detail.content.decode()
    page = member_client.get(mine)
    assert page.status_code == 200
    assert "Pokok Rp 100.000" in text_of(page) and "Sisa pokok Rp 1.100.000" in text_of(page)
    pdf = member_client.get(reverse("myloans:receipt_pdf", kwargs={"txn_id": txn.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_another_members_receipt_is_not_found(
    member_client, coop, other_coop, product, officer, manager, teller
):
    someone = make_member(coop, teller)
    someone.joined_on = dt.date(2024, 1, 1)
    someone.save(update_fields=["joined_on"])
    theirs = disbursed_loan(
        coop, someone, product, officer, manager, teller, on=business_today(coop)
    )
    txn = pay(coop, teller, theirs, "118000")
    before = books_snapshot(coop)
    for name in ("myloans:receipt", "myloans:receipt_pdf"):
        assert member_client.get(reverse(name, kwargs={"txn_id": txn.pk})).status_code == 404
        assert member_client.get(reverse(name, kwargs={"txn_id": 999999})).status_code == 404
    assert books_snapshot(coop) == before


def test_fees_paid_separately_have_their_own_receipt(
    staff_client, coop, borrower, product, officer, manager, teller, admin_user
):
    loans.update_product(
        cooperative=coop, actor=admin_user, product_id=product.pk, fee_mode="separate"
    )
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller, on=business_today(coop)
    )
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    fee = LoanTransaction.objects.get(loan=loan, kind="fee")
    text = text_of(staff_client.get(receipt_url(coop, disbursement)))
    assert "Uang tunai dibayarkan Rp 1.200.000" in text  # nothing deducted
    assert "Biaya provisi" not in text
    assert f"Biaya dibayar terpisah Rp 22.000 ({fee.receipt_number})" in text
    text = text_of(staff_client.get(receipt_url(coop, fee)))
    assert "Jumlah diterima Rp 22.000" in text and "Dua puluh dua ribu rupiah" in text
