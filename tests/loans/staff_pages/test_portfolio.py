"""The portfolio page (filters, query count, paging without counting), the queue of waiting
applications, and members offered only from this cooperative."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.loans import services as loans
from koperasi.loans.models import (
    LoanApplication,
    LoanProduct,
)
from koperasi.members.models import Member
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user
from tests.loans.conftest import approved_application, disbursed_loan
from tests.loans.staff_pages.conftest import (
    D,
    as_user,
    today,
    url,
)

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
