"""Every staff lending page renders for a permitted role, and is refused to the others and to
another cooperative's staff."""

import uuid

import pytest

from koperasi.loans import services as loans
from koperasi.loans.models import (
    Loan,
    LoanApplication,
    LoanTransaction,
)
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_user
from tests.loans.conftest import approved_application
from tests.loans.staff_pages.conftest import (
    PDF,
    as_user,
    loan_state,
    repay_data,
    today,
    url,
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
