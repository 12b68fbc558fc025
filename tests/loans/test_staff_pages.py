"""Staff lending pages through the test client, over the real services: permissions and tenancy,
the whole application-to-repayment flow with the books checked, refusals that change nothing,
idempotent money forms, portfolio filters and the portfolio's query count."""

import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from koperasi.domain.money import format_rupiah
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.members.models import Member
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

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


# --- every page renders for a permitted role ---------------------------------------------------


def _pages(coop, loan, document_id):
    return {
        "portfolio": url(coop, "portfolio"),
        "portfolio_summary": url(coop, "portfolio_summary"),
        "queue": url(coop, "queue"),
        "apply": url(coop, "apply"),
        "application": url(coop, "application", application_id=loan.application_id),
        "loan": url(coop, "loan", loan_id=loan.pk),
        "document": url(coop, "document", document_id=document_id),
        "products": url(coop, "products"),
        "product_new": url(coop, "product_new"),
        "product_edit": url(coop, "product_edit", product_id=loan.product_id),
    }


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


PERMITTED = {
    "portfolio": "officer",
    "portfolio_summary": "accountant",
    "queue": "teller",
    "apply": "officer",
    "application": "teller",
    "loan": "supervisor",
    "document": "officer",
    "products": "manager",
    "product_new": "admin_user",
    "product_edit": "manager",
}


@pytest.mark.parametrize(("page", "who"), sorted(PERMITTED.items()))
def test_each_page_renders_for_a_permitted_role(client, request, coop, loan, document, page, who):
    as_user(client, request.getfixturevalue(who))
    response = client.get(_pages(coop, loan, document.pk)[page])
    assert response.status_code == 200
    if page == "document":
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("page", "who"),
    [
        ("apply", "teller"),
        ("apply", "supervisor"),
        ("products", "officer"),
        ("product_new", "teller"),
        ("product_edit", "supervisor"),
    ],
)
def test_pages_refuse_a_role_without_the_permission(client, request, coop, loan, page, who):
    as_user(client, request.getfixturevalue(who))
    assert client.get(_pages(coop, loan, 0)[page]).status_code == 403


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("supervisor", "repay"),
        ("officer", "repay"),
        ("supervisor", "payoff"),
        ("officer", "recover"),
        ("teller", "assess"),
        ("teller", "restructure"),
        ("supervisor", "write_off"),
        ("officer", "restructure_decide"),
        ("teller", "write_off_decide"),
        ("officer", "reverse"),
    ],
)
def test_posts_refuse_a_role_without_the_permission(client, request, coop, loan, who, action):
    txn = LoanTransaction.objects.filter(loan=loan).first()
    address = {
        "reverse": lambda: url(coop, "reverse", txn_id=txn.pk),
        "restructure_decide": lambda: url(
            coop, "restructure_decide", loan_id=loan.pk, restructuring_id=1
        ),
        "write_off_decide": lambda: url(coop, "write_off_decide", loan_id=loan.pk, request_id=1),
    }.get(action, lambda: url(coop, action, loan_id=loan.pk))()
    before, state = books_snapshot(coop), loan_state(loan)
    data = {**repay_data("100000"), "reason": "x", "idempotency_key": str(uuid.uuid4())}
    response = as_user(client, request.getfixturevalue(who)).post(address, data)
    assert response.status_code == 403
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_supervisor_cannot_post_a_repayment(client, coop, loan, supervisor):
    before, state = books_snapshot(coop), loan_state(loan)
    response = as_user(client, supervisor).post(
        url(coop, "repay", loan_id=loan.pk), repay_data("100000")
    )
    assert response.status_code == 403
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_teller_cannot_approve_and_officer_cannot_disburse(
    client, coop, borrower, product, officer, manager, teller
):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="1000000",
    )
    as_user(client, teller)
    response = client.post(
        url(coop, "approve", application_id=application.pk), {"approve-note": ""}
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.ANALYSED
    approved = approved_application(coop, borrower, product, officer, manager)
    before = books_snapshot(coop)
    as_user(client, officer)
    response = client.post(
        url(coop, "disburse", application_id=approved.pk),
        {"disburse-to": "cash", "disburse-idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 403
    assert books_snapshot(coop) == before
    assert not Loan.objects.filter(application=approved).exists()


def test_other_cooperatives_staff_get_404(client, coop, other_coop, loan, document):
    stranger = make_user("lain-admin", other_coop, Role.ADMIN)
    as_user(client, stranger)
    for page, address in _pages(coop, loan, document.pk).items():
        assert client.get(address).status_code == 404, page
    before, state = books_snapshot(coop), loan_state(loan)
    assert client.post(url(coop, "repay", loan_id=loan.pk), repay_data("100000")).status_code == 404
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_another_cooperatives_object_ids_are_404(client, coop, other_coop, loan, document):
    """A user of the other cooperative, on their own pages, asking for our objects' ids."""
    stranger = make_user("lain-admin", other_coop, Role.ADMIN)
    as_user(client, stranger)
    txn = LoanTransaction.objects.filter(loan=loan).first()
    gets = [
        url(other_coop, "application", application_id=loan.application_id),
        url(other_coop, "loan", loan_id=loan.pk),
        url(other_coop, "document", document_id=document.pk),
        url(other_coop, "product_edit", product_id=loan.product_id),
    ]
    for address in gets:
        assert client.get(address).status_code == 404, address
    before, state = books_snapshot(coop), loan_state(loan)
    posts = [
        (url(other_coop, "repay", loan_id=loan.pk), repay_data("100000")),
        (
            url(other_coop, "reverse", txn_id=txn.pk),
            {"reason": "x", "idempotency_key": str(uuid.uuid4())},
        ),
        (url(other_coop, "approve", application_id=loan.application_id), {}),
        (
            url(other_coop, "disburse", application_id=loan.application_id),
            {"disburse-to": "cash", "disburse-idempotency_key": str(uuid.uuid4())},
        ),
        (url(other_coop, "assess", loan_id=loan.pk), {"assess-on": today(coop).isoformat()}),
    ]
    for address, data in posts:
        assert client.post(address, data).status_code == 404, address
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_anonymous_is_sent_to_login(client, coop):
    response = client.get(url(coop, "portfolio"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the whole staff flow ---------------------------------------------------------------------


def test_officer_applies_manager_approves_teller_disburses_and_takes_a_repayment(
    client, coop, borrower, product, officer, manager, teller
):
    guarantor = make_member(coop, teller)
    # The officer finds the member and sees the schedule before submitting.
    as_user(client, officer)
    found = client.get(url(coop, "apply"), {"q": borrower.number}, HTTP_HX_REQUEST="true")
    assert borrower.name in found.content.decode() and "<html" not in found.content.decode()
    page = client.get(url(coop, "apply"), {"member": borrower.pk})
    assert f'value="{borrower.number}"' in page.content.decode()
    data = {
        "member": borrower.number,
        "product": product.pk,
        "principal": "1.250.000",
        "term": "10",
        "grace_periods": "0",
        "purpose": "Modal warung",
    }
    preview = client.post(url(coop, "apply"), {**data, "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["schedule"] is not None
    assert len(preview.context["schedule"].instalments) == 10
    assert not LoanApplication.objects.exists()
    response = client.post(url(coop, "apply"), {**data, "submit": "1"})
    application = LoanApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(coop, "application", application_id=application.pk)
    assert application.principal == D("1250000.00") and application.entered_by == officer

    # The queue shows it waiting for the analysis.
    queue = client.get(url(coop, "queue")).content.decode()
    assert application.number in queue and "Analyse" in queue

    # Analysis with a collateral row and a guarantor by member number.
    analysis = {
        "monthly_income": "4.000.000",
        "monthly_expenses": "1.500.000",
        "other_instalments": "0",
        "recommendation": "approve",
        "note": "Usaha lancar",
        "guarantors": guarantor.number.lower(),
        "collateral_kind_1": "bpkb",
        "collateral_description_1": "Honda Beat 2020",
        "collateral_value_1": "8.000.000",
    }
    response = client.post(url(coop, "analyse", application_id=application.pk), analysis)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.ANALYSED
    assert application.monthly_income == D("4000000")
    assert [c.value for c in application.collaterals.all()] == [D("8000000")]
    assert [g.member_id for g in application.guarantors.all()] == [guarantor.pk]
    page = client.get(url(coop, "application", application_id=application.pk))
    assert page.context["assessment"].problems == ()
    assert "Honda Beat 2020" in page.content.decode()

    # The officer may not approve; the manager does.
    assert client.post(url(coop, "approve", application_id=application.pk), {}).status_code == 403
    as_user(client, manager)
    response = client.post(
        url(coop, "approve", application_id=application.pk), {"approve-note": "OK"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.APPROVED

    # The teller disburses to the member's sukarela account with the rendered key.
    as_user(client, teller)
    page = client.get(url(coop, "application", application_id=application.pk)).content.decode()
    sukarela = sukarela_account(coop, borrower)
    balance_before = sukarela.balance
    response = client.post(
        url(coop, "disburse", application_id=application.pk),
        {
            "disburse-to": "savings",
            "disburse-savings_account": "",
            "disburse-idempotency_key": key_in(page, "disburse"),
        },
    )
    loan = Loan.objects.get(application=application)
    assert response.status_code == 302
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    assert (
        response["Location"] == url(coop, "loan", loan_id=loan.pk) + f"?kwitansi={disbursement.pk}"
    )
    sukarela.refresh_from_db()
    # Provisi 1 % and Rp 10.000 administration are deducted.
    assert sukarela.balance - balance_before == D("1250000") - D("12500") - D("10000")

    # The teller takes the first instalment from the loan page.
    page = client.get(url(coop, "loan", loan_id=loan.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert loan.number in body and "Take a repayment" in body
    first = Instalment.objects.get(loan=loan, no=1)
    response = client.post(
        url(coop, "repay", loan_id=loan.pk),
        repay_data("143.750", key=key_in(body, "repay")),
    )
    assert response.status_code == 302
    assert first.payment == D("143750.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1125000.00")
    page = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    assert "Repayment of Rp 143.750 recorded" in page
    assert "1.125.000" in page

    # Every step is on the application's timeline; the books reconcile.
    timeline = client.get(url(coop, "application", application_id=application.pk)).context[
        "timeline"
    ]
    assert [s.action for s in timeline] == [
        "loans.apply",
        "loans.analyse",
        "loans.approve",
        "loans.disburse",
        "loans.repayment",
    ]
    assert "OK" in books_ok()


def test_a_manager_cannot_approve_above_the_limit_but_the_board_can(
    client, coop, borrower, product, officer, manager, admin_user
):
    coop.loan_manager_approval_limit = D("1000000")
    coop.save(update_fields=["loan_manager_approval_limit"])
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1500000",
        term=10,
        purpose="Modal",
    )
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="1000000",
    )
    address = url(coop, "approve", application_id=application.pk)
    response = as_user(client, manager).post(address, {"approve-note": ""})
    assert response.status_code == 403
    assert "approved by the board" in response.content.decode()
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.ANALYSED
    assert as_user(client, admin_user).post(address, {"approve-note": ""}).status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.APPROVED
    assert application.approval_level == Role.ADMIN
    # A second click finds it decided and only says so.
    again = client.post(address, {"approve-note": ""})
    assert again.status_code == 302
    assert "already been decided" in client.get(again["Location"]).content.decode()


def test_the_person_who_entered_an_application_cannot_approve_it(
    client, coop, borrower, product, admin_user
):
    application = loans.apply(
        cooperative=coop,
        actor=admin_user,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    loans.analyse(
        cooperative=coop,
        actor=admin_user,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="1000000",
    )
    response = as_user(client, admin_user).post(
        url(coop, "approve", application_id=application.pk), {"approve-note": ""}
    )
    assert response.status_code == 400
    assert "Maker-checker" in response.content.decode()
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.ANALYSED


def test_assessment_problems_are_shown_and_block_approval(
    client, coop, borrower, officer, manager, teller
):
    productive = LoanProduct.objects.get(cooperative=coop, code="PP")  # collateral + guarantor
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=productive.pk,
        principal="6000000",
        term=12,
        purpose="Mesin jahit",
    )
    as_user(client, officer)
    response = client.post(
        url(coop, "analyse", application_id=application.pk),
        {"monthly_income": "5.000.000", "monthly_expenses": "", "recommendation": "approve"},
    )
    assert response.status_code == 302
    page = client.get(url(coop, "application", application_id=application.pk))
    problems = page.context["assessment"].problems
    assert len(problems) == 2
    body = page.content.decode()
    assert "Collateral of Rp 6.000.000 is required" in body
    assert "1 guarantor(s) required" in body
    response = as_user(client, manager).post(url(coop, "approve", application_id=application.pk))
    assert response.status_code == 400
    assert "Collateral of Rp 6.000.000 is required" in response.content.decode()
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.ANALYSED


def test_analysis_errors_keep_what_was_typed(client, coop, borrower, product, officer):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    data = {
        "monthly_income": "4.000.000",
        "recommendation": "approve",
        "guarantors": "Z99999",
        "collateral_kind_1": "shm",
        "collateral_description_1": "",
        "collateral_value_1": "12,5,0",
    }
    response = as_user(client, officer).post(
        url(coop, "analyse", application_id=application.pk), data
    )
    assert response.status_code == 400
    form = response.context["analysis_form"]
    assert set(form.errors) == {"collateral_description_1", "collateral_value_1"}
    body = response.content.decode()
    assert 'value="12,5,0"' in body and 'value="4.000.000"' in body
    # With the collateral fixed, the unknown guarantor number is the one problem left.
    data.update(collateral_description_1="Sertifikat tanah", collateral_value_1="50.000.000")
    response = client.post(url(coop, "analyse", application_id=application.pk), data)
    assert response.status_code == 400
    assert "Z99999" in response.context["analysis_form"].errors["guarantors"][0]
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.SUBMITTED


def test_a_service_refusal_shows_beside_its_field(client, coop, borrower, product, officer):
    data = {
        "member": borrower.number,
        "product": product.pk,
        "principal": "50.000",  # the product lends from Rp 100.000
        "term": "10",
        "purpose": "Modal",
        "submit": "1",
    }
    response = as_user(client, officer).post(url(coop, "apply"), data)
    assert response.status_code == 400
    assert "principal" in response.context["form"].errors
    assert "This product lends from Rp 100.000" in response.content.decode()
    assert 'value="50.000"' in response.content.decode()
    response = client.post(url(coop, "apply"), {**data, "principal": "500.000", "member": "X1"})
    assert response.status_code == 400
    assert "member" in response.context["form"].errors
    assert not LoanApplication.objects.exists()


def test_reject_needs_a_reason(client, coop, borrower, product, officer, manager):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    as_user(client, manager)
    address = url(coop, "reject", application_id=application.pk)
    response = client.post(address, {"reject-reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["reject_form"].errors
    response = client.post(address, {"reject-reason": "Usaha belum berjalan"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.REJECTED
    assert application.decision_note == "Usaha belum berjalan"


# --- documents --------------------------------------------------------------------------------


def test_document_upload_and_download(client, coop, other_coop, borrower, product, officer):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    as_user(client, officer)
    address = url(coop, "upload", application_id=application.pk)
    fake = SimpleUploadedFile("ktp.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(address, {"title": "KTP", "file": fake})
    assert response.status_code == 400
    assert "Upload a PDF, JPEG or PNG file." in response.content.decode()
    assert not application.documents.exists()
    good = SimpleUploadedFile("ktp.pdf", PDF, content_type="application/pdf")
    assert client.post(address, {"title": "KTP", "file": good}).status_code == 302
    document = application.documents.get()
    page = client.get(url(coop, "application", application_id=application.pk)).content.decode()
    download = url(coop, "document", document_id=document.pk)
    assert download in page
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    as_user(client, make_user("lain-staf", other_coop, Role.ADMIN))
    assert client.get(download).status_code == 404
    assert client.get(url(other_coop, "document", document_id=document.pk)).status_code == 404


# --- bad amounts and double submits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter the amount like 50000, 1.250.000 or 1.250.000,50"),
        ("0", "greater than zero"),
        ("", "This field is required."),
    ],
)
def test_a_bad_repayment_amount_changes_nothing(client, coop, loan, teller, amount, message):
    before, state = books_snapshot(coop), loan_state(loan)
    response = as_user(client, teller).post(url(coop, "repay", loan_id=loan.pk), repay_data(amount))
    assert response.status_code == 400
    form = response.context["repay_form"]
    assert message in " ".join(form.errors["amount"])
    assert f'value="{amount}"' in response.content.decode() or not amount
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_a_repayment_above_the_debt_is_refused(client, coop, product, officer, manager, teller):
    """A member without a sukarela account: more than the whole debt has nowhere to go."""
    member = make_member(coop, teller)
    member.joined_on = dt.date(2024, 1, 1)
    member.save(update_fields=["joined_on"])
    loan = disbursed_loan(coop, member, product, officer, manager, teller, on=today(coop))
    before, state = books_snapshot(coop), loan_state(loan)
    response = as_user(client, teller).post(
        url(coop, "repay", loan_id=loan.pk), repay_data("99.000.000")
    )
    assert response.status_code == 400
    errors = " ".join(response.context["repay_form"].errors["amount"])
    assert "can be paid on this loan now" in errors
    assert 'value="99.000.000"' in response.content.decode()
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_a_payoff_for_the_wrong_amount_changes_nothing(client, coop, loan, teller):
    before, state = books_snapshot(coop), loan_state(loan)
    data = {
        "payoff-amount": "1.000",
        "payoff-channel": "teller",
        "payoff-idempotency_key": str(uuid.uuid4()),
    }
    response = as_user(client, teller).post(url(coop, "payoff", loan_id=loan.pk), data)
    assert response.status_code == 400
    assert "The settlement amount today is" in response.content.decode()
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_double_submitting_a_repayment_posts_once(client, coop, loan, teller):
    as_user(client, teller)
    body = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    data = repay_data("100.000", key=key_in(body, "repay"))
    first = client.post(url(coop, "repay", loan_id=loan.pk), data)
    after_first, state = books_snapshot(coop), loan_state(loan)
    second = client.post(url(coop, "repay", loan_id=loan.pk), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert books_snapshot(coop) == after_first and loan_state(loan) == state
    assert LoanTransaction.objects.filter(loan=loan, kind="repayment").count() == 1
    # Each rendering carries a fresh key, so the next repayment is a new one.
    assert (
        key_in(client.get(url(coop, "loan", loan_id=loan.pk)).content.decode(), "repay")
        != (data["repay-idempotency_key"])
    )


def test_double_submitting_a_disbursement_pays_out_once(
    client, coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    as_user(client, teller)
    data = {"disburse-to": "cash", "disburse-idempotency_key": str(uuid.uuid4())}
    first = client.post(url(coop, "disburse", application_id=application.pk), data)
    after_first = books_snapshot(coop)
    second = client.post(url(coop, "disburse", application_id=application.pk), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert books_snapshot(coop) == after_first
    assert Loan.objects.filter(application=application).count() == 1
    # A second disbursement with a new key is refused with the reason.
    data["disburse-idempotency_key"] = str(uuid.uuid4())
    third = client.post(url(coop, "disburse", application_id=application.pk), data)
    assert third.status_code in (400, 409)
    assert books_snapshot(coop) == after_first


# --- payoff, reversal, assessment, restructuring, write-off and recovery -------------------------


def test_teller_pays_a_loan_off_at_the_quoted_amount(client, coop, loan, teller):
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk))
    quote = page.context["quote"]
    body = page.content.decode()
    typed = format_rupiah(quote.total, with_symbol=False)
    assert f'name="payoff-amount" value="{typed}"' in body
    data = {
        "payoff-amount": typed,
        "payoff-channel": "teller",
        "payoff-idempotency_key": key_in(body, "payoff"),
    }
    response = client.post(url(coop, "payoff", loan_id=loan.pk), data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.outstanding_principal == 0
    assert LoanTransaction.objects.get(loan=loan, kind="payoff").amount == quote.total
    assert "OK" in books_ok()


def test_teller_reverses_a_wrong_repayment(client, coop, loan, teller):
    txn = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="100000", idempotency_key="r-1"
    )
    state = loan_state(loan)
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    assert url(coop, "reverse", txn_id=txn.pk) in page
    address = url(coop, "reverse", txn_id=txn.pk)
    response = client.post(address, {"reason": "", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.context["reverse_form"].errors["reason"]
    assert f'<tr id="txn-{txn.pk}">' in response.content.decode()
    assert loan_state(loan) == state
    response = client.post(address, {"reason": "Salah loan", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.outstanding_principal == loan.principal
    history = client.get(url(coop, "loan", loan_id=loan.pk)).context["history"]
    assert [(r["txn"].kind, r["reversed"], r["reversible"]) for r in history][-2:] == [
        ("repayment", True, False),
        ("reversal", False, False),
    ]
    assert "OK" in books_ok()


def test_assess_restructure_and_view_the_old_schedule(client, coop, loan, officer, manager, teller):
    as_user(client, officer)
    later = today(coop) + dt.timedelta(days=130)
    response = client.post(url(coop, "assess", loan_id=loan.pk), {"assess-on": later.isoformat()})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.days_past_due > 0 and loan.collectibility == 3
    # The officer proposes a longer term; the proposer cannot approve, the manager does.
    data = {
        "restructure-kind": "rescheduling",
        "restructure-new_term": "18",
        "restructure-new_rate": "1,5",
        "restructure-new_rate_period": "month",
        "restructure-new_method": "menurun",
        "restructure-grace_periods": "0",
        "restructure-reason": "",
    }
    response = client.post(url(coop, "restructure", loan_id=loan.pk), data)
    assert response.status_code == 400
    assert "Give the reason." in response.content.decode()
    data["restructure-reason"] = "Panen gagal"
    assert client.post(url(coop, "restructure", loan_id=loan.pk), data).status_code == 302
    proposal = Restructuring.objects.get(loan=loan)
    as_user(client, manager)
    decide = url(coop, "restructure_decide", loan_id=loan.pk, restructuring_id=proposal.pk)
    response = client.post(decide, {"decision": "reject", "note": ""})
    assert response.status_code == 400
    assert "Give the reason for the rejection." in response.content.decode()
    response = client.post(decide, {"decision": "approve", "note": "Setuju"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    page = client.get(url(coop, "loan", loan_id=loan.pk))
    assert len(page.context["schedule"]) == 18 and page.context["version"] == 2
    old = client.get(url(coop, "loan", loan_id=loan.pk), {"versi": "1"})
    assert old.context["version"] == 1 and len(old.context["schedule"]) == 12
    assert "superseded" in old.content.decode()
    # A proposal of another loan cannot be decided through this loan's address.
    other = client.post(
        url(coop, "restructure_decide", loan_id=loan.pk, restructuring_id=proposal.pk + 999),
        {"decision": "approve"},
    )
    assert other.status_code == 404
    assert "OK" in books_ok()


def test_write_off_by_the_board_and_a_recovery(
    client, coop, loan, officer, manager, admin_user, teller
):
    as_user(client, officer)
    far = today(coop) + dt.timedelta(days=400)
    client.post(url(coop, "assess", loan_id=loan.pk), {"assess-on": far.isoformat()})
    loan.refresh_from_db()
    assert loan.collectibility == 5
    response = client.post(url(coop, "write_off", loan_id=loan.pk), {"writeoff-reason": "Pindah"})
    assert response.status_code == 302
    request = WriteOffRequest.objects.get(loan=loan)
    decide = url(coop, "write_off_decide", loan_id=loan.pk, request_id=request.pk)
    data = {"decision": "approve", "note": "", "idempotency_key": str(uuid.uuid4())}
    before = books_snapshot(coop)
    # A manager may approve loans but not write-offs: the board decides them.
    response = as_user(client, manager).post(decide, data)
    assert response.status_code == 403
    assert books_snapshot(coop) == before
    response = as_user(client, admin_user).post(decide, data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.WRITTEN_OFF
    # A double click on the decision only says it is decided.
    after = books_snapshot(coop)
    assert as_user(client, admin_user).post(decide, data).status_code == 302
    assert books_snapshot(coop) == after
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    assert "Record a recovery" in page and "Take a repayment" not in page
    too_much = {"recover-amount": "99.000.000", "recover-idempotency_key": str(uuid.uuid4())}
    response = client.post(url(coop, "recover", loan_id=loan.pk), too_much)
    assert response.status_code == 400 and books_snapshot(coop) == after
    data = {
        "recover-amount": "200.000",
        "recover-note": "",
        "recover-idempotency_key": key_in(page, "recover"),
    }
    assert client.post(url(coop, "recover", loan_id=loan.pk), data).status_code == 302
    assert client.post(url(coop, "recover", loan_id=loan.pk), data).status_code == 302
    loan.refresh_from_db()
    assert loan.recovered_amount == D("200000")
    assert "OK" in books_ok()


# --- products ---------------------------------------------------------------------------------


def product_data(**overrides):
    data = {
        "code": "ms",
        "name": "Pinjaman Musiman",
        "method": "flat",
        "rate": "1,25",
        "rate_period": "month",
        "frequency": "monthly",
        "rounding": "100",
        "min_term": "3",
        "max_term": "12",
        "max_grace_periods": "2",
        "min_principal": "500.000",
        "max_principal": "20.000.000",
        "provisi_pct": "1",
        "admin_fee": "15.000",
        "fee_mode": "deducted",
        "penalty_kind": "pct_month",
        "penalty_rate": "2",
        "penalty_flat": "0",
        "penalty_grace_days": "5",
        "penalty_cap_pct": "10",
        "min_membership_months": "6",
        "max_savings_multiple": "5",
        "max_instalment_income_pct": "35",
        "requires_collateral": "on",
        "min_collateral_pct": "50",
        "min_guarantors": "1",
        "allocation_order": "interest,penalty,principal",
        "early_payoff": "full_interest",
        "early_payoff_fee_pct": "0,5",
        "overpayment": "savings",
        "accounting": "accrual",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_products_are_created_and_edited_with_every_field(client, coop, admin_user):
    as_user(client, admin_user)
    page = client.get(url(coop, "product_new"))
    assert [str(label) for label, _fields in page.context["form"].groups()] == [
        "Terms",
        "Fees",
        "Penalty",
        "Eligibility",
        "Repayment, early payoff and overpayment",
        "Accounting",
    ]
    response = client.post(url(coop, "product_new"), product_data())
    assert response.status_code == 302
    product = LoanProduct.objects.get(cooperative=coop, code="MS")
    assert (product.rate, product.max_principal, product.admin_fee) == (
        D("1.25"),
        D("20000000"),
        D("15000"),
    )
    assert product.allocation_order == "interest,penalty,principal"
    assert product.early_payoff_fee_pct == D("0.5") and product.requires_collateral
    assert product.accounting == "accrual" and product.overpayment == "savings"
    edit = url(coop, "product_edit", product_id=product.pk)
    page = client.get(edit)
    assert page.context["form"].initial["rate"] == "1,25"
    assert page.context["form"].initial["max_principal"] == "20.000.000"
    data = product_data(rate="1,5", is_active="")
    del data["code"]
    assert client.post(edit, data).status_code == 302
    product.refresh_from_db()
    assert product.rate == D("1.5") and not product.is_active
    assert "MS" in client.get(url(coop, "products")).content.decode()


def test_a_product_above_the_rate_cap_is_refused(client, coop, admin_user):
    as_user(client, admin_user)
    response = client.post(url(coop, "product_new"), product_data(rate="2,5"))
    assert response.status_code == 400
    assert "loan rate cap of 24% a year" in " ".join(response.context["form"].errors["rate"])
    assert 'value="2,5"' in response.content.decode()
    assert not LoanProduct.objects.filter(cooperative=coop, code="MS").exists()
    response = client.post(url(coop, "product_new"), product_data(max_principal="1.2.3"))
    assert response.status_code == 400
    assert "max_principal" in response.context["form"].errors


# --- portfolio --------------------------------------------------------------------------------


def test_portfolio_filters(client, coop, borrower, product, officer, manager, teller, admin_user):
    second_officer = make_user("petugas2", coop, Role.LOAN_OFFICER)
    other_product = LoanProduct.objects.get(cooperative=coop, code="PD")
    late = disbursed_loan(coop, borrower, product, officer, manager, teller, on=today(coop))
    other = make_member(coop, teller)
    other.joined_on = dt.date(2024, 1, 1)
    other.save(update_fields=["joined_on"])
    by_second = disbursed_loan(
        coop,
        other,
        other_product,
        second_officer,
        manager,
        teller,
        on=today(coop),
        principal="500000",
    )
    paid = disbursed_loan(coop, borrower, product, officer, manager, teller, on=today(coop))
    loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=paid.pk,
        amount=loans.settlement_quote(cooperative=coop, loan_id=paid.pk).total,
        idempotency_key="lunas",
    )
    loans.assess(
        cooperative=coop, actor=officer, loan_id=late.pk, on=today(coop) + dt.timedelta(days=130)
    )

    as_user(client, officer)

    def numbers(**params):
        response = client.get(url(coop, "portfolio"), params)
        assert response.status_code == 200
        return {loan.number for loan in response.context["page"].rows}

    assert numbers() == {late.number, by_second.number}
    assert numbers(product=other_product.pk) == {by_second.number}
    assert numbers(officer=second_officer.pk) == {by_second.number}
    assert numbers(klass=3) == {late.number}
    assert numbers(klass=1) == {by_second.number}
    assert numbers(dpd=30) == {late.number}
    assert numbers(status="closed") == {paid.number}
    assert numbers(status="all") == {late.number, by_second.number, paid.number}
    assert numbers(dpd="x", klass="9") == {late.number, by_second.number}  # bad filters: ignored
    # The page fetches the summary of active loans by class; htmx gets the fragment only.
    page = client.get(url(coop, "portfolio")).content.decode()
    assert f'hx-get="{url(coop, "portfolio_summary")}"' in page
    response = client.get(url(coop, "portfolio_summary"), HTTP_HX_REQUEST="true")
    summary = {r["klass"]: (r["n"], r["total"]) for r in response.context["summary"]["rows"]}
    assert summary[1] == (1, D("500000")) and summary[3] == (1, late.outstanding_principal)
    assert summary[5] == (0, 0) and response.context["summary"]["n"] == 2
    assert "<html" not in response.content.decode() and "Kurang Lancar" in response.content.decode()
    # Without JavaScript the link opens it as a page.
    assert "<html" in client.get(url(coop, "portfolio_summary")).content.decode()
    partial = client.get(url(coop, "portfolio"), {"klass": 3}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and late.number in body and by_second.number not in body


def _many_loans(coop, product, officer, manager, teller, n):
    for _ in range(n):
        member = make_member(coop, teller)
        member.joined_on = dt.date(2024, 1, 1)
        member.save(update_fields=["joined_on"])
        disbursed_loan(
            coop, member, product, officer, manager, teller, on=today(coop), principal="500000"
        )


def _portfolio_queries(client, coop, params, name="portfolio"):
    client.get(url(coop, name))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(coop, name), params)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def test_portfolio_queries_stay_constant(client, coop, product, officer, manager, teller):
    as_user(client, officer)
    _many_loans(coop, product, officer, manager, teller, 3)
    response, few = _portfolio_queries(client, coop, {"page": "1"})
    assert len(response.context["page"].rows) == 3
    _many_loans(coop, product, officer, manager, teller, 27)
    response, many = _portfolio_queries(client, coop, {"page": "1"})
    assert len(response.context["page"].rows) == 30
    assert len(many) == len(few)
    # Filtered and later pages too; no COUNT beyond the class summary's GROUP BY.
    _response, filtered = _portfolio_queries(client, coop, {"klass": "1", "page": "2"})
    assert len(filtered) == len(few)
    assert not [q for q in many if "COUNT(" in q.upper()]  # the list never counts
    # The class summary is one GROUP BY, however many loans there are.
    response, summary = _portfolio_queries(client, coop, {}, name="portfolio_summary")
    assert response.context["summary"]["n"] == 30
    counts = [q for q in summary if "COUNT(" in q.upper()]
    assert len(counts) == 1 and "GROUP BY" in counts[0].upper()


def test_portfolio_pages_without_counting(
    client, coop, product, officer, manager, teller, monkeypatch
):
    from koperasi.loans import application_views as views

    _many_loans(coop, product, officer, manager, teller, 3)
    as_user(client, officer)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(url(coop, "portfolio"), {"product": product.pk})
    second = client.get(url(coop, "portfolio"), {"product": product.pk, "page": "2"})
    assert first.context["page"].has_next and not second.context["page"].has_next
    assert len(first.context["page"].rows) == 2 and len(second.context["page"].rows) == 1
    # The next-page link keeps the filters.
    assert f"product={product.pk}&amp;page=2" in first.content.decode()


def test_queue_lists_waiting_applications_with_the_next_step(
    client, coop, borrower, product, officer, manager, teller
):
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=10,
        purpose="Modal",
    )
    approved = approved_application(coop, borrower, product, officer, manager)
    done = disbursed_loan(coop, borrower, product, officer, manager, teller, on=today(coop))
    response = as_user(client, teller).get(url(coop, "queue"))
    numbers = [a.number for a in response.context["page"].rows]
    assert numbers == [submitted.number, approved.number]
    assert done.application.number not in response.content.decode()
    assert "New application" not in response.content.decode()  # a teller does not enter them
    assert "New application" in as_user(client, officer).get(url(coop, "queue")).content.decode()


def test_members_are_only_those_of_this_cooperative(client, coop, other_coop, product, officer):
    stranger = make_member(other_coop)
    data = {
        "member": stranger.number,
        "product": product.pk,
        "principal": "500.000",
        "term": "5",
        "purpose": "Modal",
        "submit": "1",
    }
    # This cooperative has no members yet, so the other cooperative's number finds nobody here.
    response = as_user(client, officer).post(url(coop, "apply"), data)
    assert response.status_code == 400
    assert "No member of this cooperative has this number." in response.content.decode()
    assert not LoanApplication.objects.exists()
    assert client.get(url(coop, "apply"), {"member": stranger.pk}).status_code == 404
    assert Member.objects.filter(pk=stranger.pk, cooperative=other_coop).exists()
