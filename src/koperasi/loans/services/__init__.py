"""Writes for loans, split by stage (products, applications, disbursement, repayments, payoff,
reversal, quality, workout); everything is re-exported here for callers."""

from koperasi.loans.services.applications import (
    CollateralInput,
    add_document,
    analyse,
    apply,
    approval_level,
    approve,
    assess_application,
    cancel,
    reject,
)
from koperasi.loans.services.collection import add_collection_note
from koperasi.loans.services.disbursement import disburse
from koperasi.loans.services.payoff import SettlementQuote, pay_off, settlement_quote
from koperasi.loans.services.products import (
    create_product,
    install_default_products,
    update_product,
)
from koperasi.loans.services.quality import assess, assess_portfolio
from koperasi.loans.services.repayments import repay
from koperasi.loans.services.reversal import reverse_repayment
from koperasi.loans.services.workout import (
    decide_restructuring,
    decide_write_off,
    propose_restructuring,
    propose_write_off,
    recover,
)

__all__ = [
    "CollateralInput",
    "SettlementQuote",
    "add_collection_note",
    "add_document",
    "analyse",
    "apply",
    "approval_level",
    "approve",
    "assess",
    "assess_application",
    "assess_portfolio",
    "cancel",
    "create_product",
    "decide_restructuring",
    "decide_write_off",
    "disburse",
    "install_default_products",
    "pay_off",
    "propose_restructuring",
    "propose_write_off",
    "recover",
    "reject",
    "repay",
    "reverse_repayment",
    "settlement_quote",
    "update_product",
]
