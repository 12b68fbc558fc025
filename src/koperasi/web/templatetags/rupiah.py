"""Template filters for Indonesian formats: Rp 1.250.000 and 22/11/2026."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template

from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import format_rupiah
from koperasi.domain.terbilang import terbilang as words

register = template.Library()


@register.filter
def rupiah(value: object) -> str:
    if value is None or value == "":
        return ""
    try:
        return format_rupiah(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def angka(value: object) -> str:
    """A number without the currency symbol (tables with a Rp column header)."""
    if value is None or value == "":
        return ""
    return format_rupiah(Decimal(str(value)), with_symbol=False)


@register.filter(expects_localtime=True)  # aware datetimes arrive in local time, not UTC
def tanggal(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return format_date_id(value)
    return "" if value is None else str(value)


@register.filter
def terbilang(value: object) -> str:
    return words(Decimal(str(value)))
