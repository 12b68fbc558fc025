"""Writes for tenants, split by subject; import them from here."""

from koperasi.tenancy.services.cooperatives import (
    REGULATORY_LOAN_RATE_CAP,
    REGULATORY_SAVINGS_RATE_CAP,
    SETTINGS_FIELDS,
    SettingsCheck,
    create_cooperative_record,
    jsonable,
    parse_percent,
    update_cooperative,
)
from koperasi.tenancy.services.idempotency import claim_key, store_answer
from koperasi.tenancy.services.passwords import password_errors, set_password
from koperasi.tenancy.services.staff import (
    add_staff,
    create_staff_user,
    reset_staff_password,
    set_staff_active,
    set_staff_role,
)
from koperasi.tenancy.services.tokens import (
    hash_token,
    issue_token,
    new_token,
    note_token_use,
    revoke_cooperative_token,
    revoke_token,
    revoke_user_tokens,
    token_lifetime,
)

__all__ = [
    "REGULATORY_LOAN_RATE_CAP",
    "REGULATORY_SAVINGS_RATE_CAP",
    "SETTINGS_FIELDS",
    "add_staff",
    "claim_key",
    "SettingsCheck",
    "create_cooperative_record",
    "create_staff_user",
    "hash_token",
    "issue_token",
    "jsonable",
    "new_token",
    "note_token_use",
    "parse_percent",
    "password_errors",
    "reset_staff_password",
    "revoke_cooperative_token",
    "revoke_token",
    "revoke_user_tokens",
    "set_staff_active",
    "set_password",
    "set_staff_role",
    "store_answer",
    "token_lifetime",
    "update_cooperative",
]
