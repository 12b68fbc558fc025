"""Every form of the project, for tests that hold all of them to one rule."""

import datetime as dt
import inspect
from decimal import Decimal

from django import forms


def form_classes() -> list[type[forms.BaseForm]]:
    """Every Form class defined in the project's modules (imported by the URL tree)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    seen, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [c for c in seen if c.__module__.startswith("koperasi.")]


def form_fields(form_class: type[forms.BaseForm]) -> dict[str, forms.Field]:
    """The form with its dynamic fields (those added in __init__), where it can be made bare."""
    params = inspect.signature(form_class.__init__).parameters
    required = [
        name
        for name, p in params.items()
        if p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    extra = {"rate_cap": Decimal("24"), "start": dt.date(2026, 1, 1), "products": []}
    if any(name not in extra for name in required):
        return form_class.base_fields
    return form_class(**{name: extra[name] for name in required}).fields
