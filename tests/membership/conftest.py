"""The loan fixtures, for exits with loans running."""

from tests.loans.conftest import borrower, manager, officer, product  # noqa: F401
