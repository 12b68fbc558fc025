"""Reads for the layers above: what the settings pages call each setting.

The audit log names the settings a change touched the way the page that changed them does,
so a label is written once, on its form.
"""

from typing import Any

from django import forms

from koperasi.administration.forms import AccountEditForm, ProductEditForm, SettingsForm


def _labels(form: type[forms.Form]) -> dict[str, Any]:
    return {name: field.label for name, field in form.base_fields.items() if field.label}


def cooperative_setting_labels() -> dict[str, Any]:
    """The cooperative's settings (tenancy.Cooperative fields) by field name."""
    return _labels(SettingsForm)


def savings_product_labels() -> dict[str, Any]:
    """What a savings product's edit page changes, by field name."""
    return _labels(ProductEditForm)


def chart_account_labels() -> dict[str, Any]:
    """What a chart account's edit page changes, by field name."""
    return _labels(AccountEditForm)
