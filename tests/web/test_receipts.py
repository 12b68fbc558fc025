"""The receipt (kwitansi) as a page and as a PDF."""

from decimal import Decimal

import pytest
from django.urls import reverse

from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import make_user


@pytest.fixture
def withdrawal(coop, teller, funded_sukarela):
    teller.first_name, teller.last_name = "Maria", "Goreti"
    teller.save()
    coop.address = "Jl. Ahmad Yani No. 7, Maumere"
    coop.save()
    return savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount=Decimal("125000.50"),
        idempotency_key="r-1",
        note="Biaya sekolah",
    )


def receipt_url(coop, txn, name="savings:receipt"):
    return reverse(name, kwargs={"code": coop.code, "txn_id": txn.pk})


def test_receipt_page_has_everything_a_kwitansi_needs(client, coop, teller, member, withdrawal):
    client.force_login(teller)
    response = client.get(receipt_url(coop, withdrawal))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        coop.name,
        "Jl. Ahmad Yani No. 7, Maumere",
        withdrawal.receipt_number,
        withdrawal.business_date.strftime("%d/%m/%Y"),
        member.name,
        member.number,
        withdrawal.account.number,
        withdrawal.account.product.name,
        "Rp 125.000,50",
        "Seratus dua puluh lima ribu rupiah lima puluh sen",
        "Rp 374.999,50",  # balance after
        "Maria Goreti",
        "Biaya sekolah",
        'data-action="print"',
        receipt_url(coop, withdrawal, "savings:receipt_pdf"),
    ):
        assert text in body, text


def test_receipt_pdf(client, coop, supervisor, withdrawal):
    client.force_login(supervisor)  # read-only staff may reprint a receipt
    response = client.get(receipt_url(coop, withdrawal, "savings:receipt_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="kwitansi-{withdrawal.receipt_number}.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_receipt_is_staff_only(client, coop, other_coop, withdrawal):
    assert client.get(receipt_url(coop, withdrawal)).status_code == 302  # to the login page
    stranger = make_user("tamu", other_coop, Role.TELLER)
    client.force_login(stranger)
    for name in ("savings:receipt", "savings:receipt_pdf"):
        assert client.get(receipt_url(coop, withdrawal, name)).status_code == 404
        wrong_coop = reverse(name, kwargs={"code": other_coop.code, "txn_id": withdrawal.pk})
        assert client.get(wrong_coop).status_code == 404
    no_role = make_user("bukan-staf")
    client.force_login(no_role)
    assert client.get(receipt_url(coop, withdrawal)).status_code == 404


def test_missing_receipt_is_404(client, coop, teller):
    client.force_login(teller)
    assert (
        client.get(
            reverse("savings:receipt", kwargs={"code": coop.code, "txn_id": 999999})
        ).status_code
        == 404
    )
