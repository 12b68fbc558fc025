"""Simultaneous confirms of one payroll file on PostgreSQL: the rows post once, and exactly one
answer says so; every other answer is a 409 "already posted". (SQLite serialises every writer;
the sequential double confirm is tested on both databases in test_payroll*.py.)"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from koperasi.errors import Conflict
from koperasi.loans.payroll import import_deductions
from koperasi.loans.payroll_views import idempotency_key
from tests.conftest import books_snapshot, make_member
from tests.loans.conftest import check_books
from tests.loans.test_payroll_page import (
    confirm,
    disbursed_for_this_month,
    good_file,
    repayments,
    upload,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL for real concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]

CONFIRMS = 5


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def file_content(coop, borrower, product, officer, manager, teller):
    disbursed_for_this_month(coop, borrower, product, officer, manager, teller)
    other = make_member(coop, teller)
    second = disbursed_for_this_month(coop, other, product, officer, manager, teller)
    return good_file(borrower, second, make_member(coop, teller))


def _at_once(work, n=CONFIRMS):
    """Run `work(i)` in n threads released together; their answers, in no particular order."""
    answers = []
    barrier = threading.Barrier(n)

    def one(i):
        try:
            barrier.wait()
            answers.append(work(i))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def test_simultaneous_confirms_on_the_page_answer_one_success_and_409s(
    coop, accountant, file_content
):
    client = Client()
    client.force_login(accountant)
    token = upload(client, coop, file_content).context["token"]
    before = books_snapshot(coop)
    clients = []
    for _ in range(CONFIRMS):
        staff = Client()
        staff.force_login(accountant)
        clients.append(staff)

    def post(i):
        response = confirm(clients[i], coop, token)
        return response.status_code, response.content.decode()

    answers = _at_once(post)
    assert sorted(status for status, _body in answers) == [200] + [409] * (CONFIRMS - 1)
    for status, body in answers:
        if status == 409:
            assert "sudah dibukukan" in body
        else:
            assert "2 pembayaran dari" in body and "telah dibukukan" in body
    # One repayment per postable row, one entry each.
    assert repayments().count() == 2
    assert books_snapshot(coop)["entries"] == before["entries"] + 2
    check_books(coop)


def test_simultaneous_confirms_through_the_service_post_once(coop, accountant, file_content):
    key = idempotency_key("0" * 32)
    before = books_snapshot(coop)

    def post(_i):
        try:
            result = import_deductions(
                cooperative=coop,
                actor=accountant,
                file_name="potong.csv",
                content=file_content,
                idempotency_key=key,
            )
        except Conflict as refused:
            return refused.code
        return ("posted", result.posted)

    answers = _at_once(post)
    assert sorted(answers, key=str) == [("posted", 2)] + ["already_posted"] * (CONFIRMS - 1)
    assert repayments().count() == 2
    assert books_snapshot(coop)["entries"] == before["entries"] + 2
    check_books(coop)
