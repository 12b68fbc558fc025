from tests.loans.conftest import borrower, manager, officer, product

__all__ = ["borrower", "manager", "officer", "product"]
