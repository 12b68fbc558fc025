"""Fixtures of the loan API tests: a client per role, a borrower and a product, a loan book."""

import pytest

from koperasi.tenancy.models import Role
from tests.api.loans.book import (
    build_book,
    make_borrower,
    make_product,
    portal_login,
)
from tests.conftest import make_user


@pytest.fixture
def officer(coop):
    return make_user("petugas", coop, Role.LOAN_OFFICER)


@pytest.fixture
def manager(coop):
    return make_user("manajer", coop, Role.MANAGER)


@pytest.fixture
def borrower(coop, teller):
    return make_borrower(coop, teller)


@pytest.fixture
def product(coop, admin_user):
    return make_product(coop, admin_user)


@pytest.fixture
def staff(api_as, coop, officer, manager, teller, admin_user, supervisor):
    """An API client per role of the first cooperative."""
    return {
        "officer": api_as(officer, coop),
        "manager": api_as(manager, coop),
        "teller": api_as(teller, coop),
        "admin": api_as(admin_user, coop),
        "supervisor": api_as(supervisor, coop),
    }


@pytest.fixture
def borrower_api(api_as, coop, teller, borrower):
    """The borrower's own login."""
    return api_as(portal_login(coop, teller, borrower), coop)


@pytest.fixture
def book(coop, officer, manager, teller, admin_user):
    return build_book(coop, officer, manager, teller, admin_user)
