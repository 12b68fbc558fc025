"""Writes for savings: products, accounts, deposits, withdrawals, transfers, exit refunds.

Every movement changes the account's maintained balance and posts its journal entry in the same
transaction. The account row is locked first (then the ledger accounts, in key order), so two
withdrawals can never both spend the same rupiah.

The package's modules: `products`, `accounts` (opening, bulk pokok), `movements` (what every
movement shares), `cash` (deposits and withdrawals), `bulk_credit` (many members paid into
savings at once), `one_statement` (the PostgreSQL fast way of a cash movement), `transfers`
(transfers, exit refunds, reversals). Callers use this package's names.
"""

from koperasi.savings.services.accounts import (
    open_account,
    open_membership_accounts,
    open_membership_accounts_bulk,
    pay_pokok_bulk,
)
from koperasi.savings.services.bulk_credit import credit_accounts
from koperasi.savings.services.cash import deposit, withdraw
from koperasi.savings.services.movements import (
    LOAN_CHANNEL,
    check_loan_debit,
    loan_movements,
    locked_account_for_loan,
    record_loan_movement,
)
from koperasi.savings.services.products import (
    DEFAULT_PRODUCTS,
    any_pokok_paid,
    create_product,
    install_default_products,
    product_of_kind,
    update_product,
)
from koperasi.savings.services.transfers import refund_on_exit, reverse_transaction, transfer

__all__ = [
    "DEFAULT_PRODUCTS",
    "LOAN_CHANNEL",
    "any_pokok_paid",
    "check_loan_debit",
    "create_product",
    "credit_accounts",
    "deposit",
    "install_default_products",
    "loan_movements",
    "locked_account_for_loan",
    "open_account",
    "open_membership_accounts",
    "open_membership_accounts_bulk",
    "pay_pokok_bulk",
    "product_of_kind",
    "record_loan_movement",
    "refund_on_exit",
    "reverse_transaction",
    "transfer",
    "update_product",
    "withdraw",
]
