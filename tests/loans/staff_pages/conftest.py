"""Staff lending pages through the test client, over the real services: what the tests here
share (English wording, a media folder per test, a disbursed loan, a document, form helpers)."""

import io
import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    LoanTransaction,
)
from tests.loans.conftest import disbursed_loan

D = Decimal
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def client(english_client):
    # These tests read the English wording of messages.
    return english_client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(coop, name, **kwargs):
    return reverse(f"lending:{name}", kwargs={"code": coop.code, **kwargs})


def as_user(client, user):
    client.force_login(user)
    return client


def today(coop):
    return business_today(coop)


def key_in(body, prefix=""):
    """The idempotency key a form was rendered with."""
    name = f"{prefix}-idempotency_key" if prefix else "idempotency_key"
    match = re.search(rf'name="{name}" value="([0-9a-f-]{{36}})"', body)
    assert match, f"no {name} in the page"
    return match.group(1)


def books_ok():
    out = io.StringIO()
    call_command("books_check", stdout=out)
    return out.getvalue()


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    return disbursed_loan(coop, borrower, product, officer, manager, teller, on=today(coop))


def repay_data(amount, key=None, channel="teller"):
    return {
        "repay-amount": amount,
        "repay-channel": channel,
        "repay-note": "",
        "repay-idempotency_key": key or str(uuid.uuid4()),
    }


def loan_state(loan):
    loan.refresh_from_db()
    return (
        loan.outstanding_principal,
        loan.status,
        LoanTransaction.objects.filter(loan=loan).count(),
        list(Instalment.objects.filter(loan=loan).values_list("principal_paid", "interest_paid")),
    )


@pytest.fixture
def document(coop, officer, borrower, product):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="500000",
        term=6,
        purpose="Pupuk",
    )
    upload = SimpleUploadedFile("ktp.pdf", PDF, content_type="application/pdf")
    return loans.add_document(
        cooperative=coop, actor=officer, application_id=application.pk, title="KTP", upload=upload
    )
