"""The member portal's "my loans": own loans and applications only; applying and withdrawing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import LoanApplication
from koperasi.members import services as members
from tests.conftest import PASSWORD, books_snapshot, make_member, make_user
from tests.loans.conftest import disbursed_loan


def login(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    return user


@pytest.fixture
def member_client(client, coop, teller, borrower):
    login(client, coop, teller, borrower)
    return client


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    """Rp 1.200.000 over 12 months (declining 1,5 %), disbursed 70 days ago; the first
    instalment (100.000 + 18.000) paid on its due date, so the second is now overdue."""
    on = business_today(coop) - dt.timedelta(days=70)
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


def other_members_loan(coop, product, officer, manager, teller):
    other = make_member(coop, teller)
    on = business_today(coop) - dt.timedelta(days=5)
    return disbursed_loan(coop, other, product, officer, manager, teller, on)


def test_list_shows_own_loans_and_applications(member_client, coop, loan, product, borrower):
    pending = loans.apply(
        cooperative=coop,
        actor=None,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="500000",
        term=6,
        purpose="Pupuk",
        channel="portal",
    )
    response = member_client.get(reverse("myloans:list"))
    assert response.status_code == 200
    assert [row[0] for row in response.context["loans"]] == [loan]
    assert [row[0] for row in response.context["applications"]] == [pending, loan.application]
    body = response.content.decode()
    assert loan.number in body
    assert "Rp 1.100.000" in body  # outstanding after the first instalment's principal
    assert reverse("myloans:detail", kwargs={"loan_id": loan.pk}) in body
    assert reverse("myloans:application", kwargs={"application_id": pending.pk}) in body


def test_detail_shows_schedule_status_arrears_history_and_quote(member_client, loan):
    response = member_client.get(reverse("myloans:detail", kwargs={"loan_id": loan.pk}))
    assert response.status_code == 200
    lines = response.context["lines"]
    assert len(lines) == 12
    assert [line.status for line in lines[:3]] == ["paid", "overdue", "due"]
    assert lines[0].paid == Decimal("118000")
    assert lines[0].paid_dates == (lines[0].due_date,)
    arrears = response.context["arrears"]
    assert arrears.overdue_instalments == 1
    assert arrears.overdue_principal == Decimal("100000")
    assert arrears.overdue_interest == Decimal("16500")  # 1.100.000 × 1,5 %
    kinds = [txn.kind for txn, _reversed, _principal, _receipt in response.context["history"]]
    assert kinds == ["disbursement", "repayment"]
    quote = response.context["quote"]
    assert quote is not None and quote.principal == Decimal("1100000")
    body = response.content.decode()
    assert "Rp 118.000" in body
    assert quote.valid_until.strftime("%d/%m/%Y") in body


def test_another_members_loan_and_application_are_not_found(
    member_client, coop, loan, product, officer, manager, teller
):
    theirs = other_members_loan(coop, product, officer, manager, teller)
    assert member_client.get(reverse("myloans:detail", args=[theirs.pk])).status_code == 404
    url = reverse("myloans:application", args=[theirs.application_id])
    assert member_client.get(url).status_code == 404
    open_app = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=theirs.member_id,
        product_id=product.pk,
        principal="300000",
        term=3,
        purpose="Sekolah",
    )
    cancel_url = reverse("myloans:application", args=[open_app.pk])
    assert member_client.post(cancel_url, {"action": "cancel"}).status_code == 404
    open_app.refresh_from_db()
    assert open_app.status == LoanApplication.Status.SUBMITTED
    assert member_client.get(reverse("myloans:detail", args=[999999])).status_code == 404


def test_staff_without_membership_and_anonymous_get_nothing(client, coop, teller, loan):
    client.force_login(teller)
    for url in (
        reverse("myloans:list"),
        reverse("myloans:detail", args=[loan.pk]),
        reverse("myloans:apply"),
    ):
        assert client.get(url).status_code == 404
    client.logout()
    response = client.get(reverse("myloans:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_apply_with_indonesian_amount_then_withdraw(member_client, coop, borrower, product):
    page = member_client.get(reverse("myloans:apply"))
    assert page.status_code == 200
    assert product.name in page.content.decode()
    response = member_client.post(
        reverse("myloans:apply"),
        {"product": product.pk, "principal": "1.250.000", "term": "10", "purpose": "Modal kios"},
    )
    application = LoanApplication.objects.get(member=borrower)
    assert response.status_code == 302
    assert response["Location"] == reverse("myloans:application", args=[application.pk])
    assert (application.principal, application.term, application.channel) == (
        Decimal("1250000"),
        10,
        "portal",
    )
    assert application.entered_by == borrower.user
    page = member_client.get(response["Location"])
    assert page.status_code == 200 and page.context["open"]
    assert page.context["estimate"] == Decimal("143750")  # 125.000 + 1.250.000 × 1,5 %
    assert 'value="cancel"' in page.content.decode()

    response = member_client.post(response["Location"], {"action": "cancel"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.CANCELLED
    page = member_client.get(response["Location"])
    assert not page.context["open"] and 'value="cancel"' not in page.content.decode()
    again = member_client.post(response["Location"], {"action": "cancel"})
    assert again.status_code == 400
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.CANCELLED


def test_decided_application_cannot_be_withdrawn(member_client, coop, loan):
    url = reverse("myloans:application", args=[loan.application_id])
    page = member_client.get(url)
    assert page.status_code == 200 and not page.context["open"]
    assert page.context["loan"] == loan
    assert member_client.post(url, {"action": "cancel"}).status_code == 400
    loan.application.refresh_from_db()
    assert loan.application.status == LoanApplication.Status.DISBURSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"principal": "25.000.000", "term": "12"}, "principal"),  # above the product's plafond
        ({"principal": "50.000", "term": "12"}, "principal"),  # below it
        ({"principal": "1.000.000", "term": "30"}, "term"),  # longer than the product allows
        ({"principal": "1250.000", "term": "12"}, "principal"),  # neither grouped nor sen
        ({"principal": "1.000.000", "term": "0"}, "term"),
        ({"principal": "1.000.000", "term": "12", "purpose": "  "}, "purpose"),
    ],
)
def test_apply_refusals_rerender_with_the_error(
    member_client, coop, borrower, product, data, field
):
    before = books_snapshot(coop)
    form = {"product": product.pk, "purpose": "Modal", **data}
    response = member_client.post(reverse("myloans:apply"), form)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not LoanApplication.objects.filter(member=borrower).exists()
    assert books_snapshot(coop) == before
    assert list(response.context["messages"])  # a message above the form says nothing was sent


def test_apply_refuses_inactive_and_foreign_products(
    member_client, coop, other_coop, admin_user, borrower, product
):
    foreign = other_coop.loanproduct_set.first()
    loans.update_product(cooperative=coop, actor=admin_user, product_id=product.pk, is_active=False)
    for product_id in (product.pk, foreign.pk):
        response = member_client.post(
            reverse("myloans:apply"),
            {"product": product_id, "principal": "500.000", "term": "6", "purpose": "Modal"},
        )
        assert response.status_code == 400
        assert "product" in response.context["form"].errors
    assert not LoanApplication.objects.filter(member=borrower).exists()


def test_inactive_member_is_refused_by_the_service(member_client, coop, borrower, product):
    borrower.status = "resigned"
    borrower.save(update_fields=["status"])
    response = member_client.post(
        reverse("myloans:apply"),
        {"product": product.pk, "principal": "500.000", "term": "6", "purpose": "Modal"},
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not LoanApplication.objects.filter(member=borrower).exists()


def test_staff_of_the_cooperative_cannot_use_the_portal_as_a_member(client, coop):
    user = make_user("hanya-staf", coop, "manager")
    client.force_login(user)
    assert client.get(reverse("myloans:apply")).status_code == 404
