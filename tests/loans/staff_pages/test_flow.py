"""The whole application-to-repayment flow through the staff pages with the books checked; the
decisions' limits and refusals, analysis errors, and an application's documents."""

from django.core.files.uploadedfile import SimpleUploadedFile

from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user, sukarela_account
from tests.loans.staff_pages.conftest import (
    PDF,
    D,
    as_user,
    books_ok,
    key_in,
    repay_data,
    url,
)

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
