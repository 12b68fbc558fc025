"""The ledger's writes, split by subject (entries, lines, balances, periods, accounts); callers
import them from here. `post_entry` is the one Python write path into the books."""

# The request keys the savings and loan sub-ledgers share, for their callers too.
from koperasi.ledger.request_keys import (
    REQUEST_ENTRY_KEY,
    WHERE_KEY_FREE,
    key_free_params,
    refuse_used_key,
    request_entry_key,
)
from koperasi.ledger.services.accounts import (
    account_by_role,
    create_account,
    install_chart,
    remember_account,
    update_account,
)
from koperasi.ledger.services.balances import (
    SLOT_UPSERT,
    SQLITE_BALANCE_LIMIT,
    balances_at_end,
)
from koperasi.ledger.services.entries import post_entry, post_manual_entry, reverse_entry
from koperasi.ledger.services.lines import Line, check_lines
from koperasi.ledger.services.periods import (
    BOOKS_LOCK,
    business_day,
    business_today,
    close_month,
    local_today,
    lock_closed_dates,
)
from koperasi.ledger.services.years import close_year

__all__ = [
    "BOOKS_LOCK",
    "REQUEST_ENTRY_KEY",
    "SLOT_UPSERT",
    "SQLITE_BALANCE_LIMIT",
    "WHERE_KEY_FREE",
    "Line",
    "account_by_role",
    "balances_at_end",
    "business_day",
    "business_today",
    "check_lines",
    "close_month",
    "close_year",
    "create_account",
    "install_chart",
    "key_free_params",
    "local_today",
    "lock_closed_dates",
    "post_entry",
    "post_manual_entry",
    "refuse_used_key",
    "request_entry_key",
    "remember_account",
    "reverse_entry",
    "update_account",
]
