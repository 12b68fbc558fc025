"""The SHU app's writes: `rules` (closing a year, the SHU rules), `distribution` (the year's SHU
distributed after the RAT), `payments` (the members' shares paid into savings or in cash)."""

from koperasi.shu.services.distribution import FUND_ACCOUNTS, SOURCE, distribute
from koperasi.shu.services.payments import pay_in_cash, pay_into_savings
from koperasi.shu.services.rules import ROUNDINGS, WEIGHT_KEYS, close_year, update_settings

__all__ = [
    "FUND_ACCOUNTS",
    "ROUNDINGS",
    "SOURCE",
    "WEIGHT_KEYS",
    "close_year",
    "distribute",
    "pay_in_cash",
    "pay_into_savings",
    "update_settings",
]
