"""A person's own account: changing their password (staff and members alike).

The new password goes through `tenancy.services.set_password` (Django's validators, and every
API token of the login revoked); this session stays logged in, other sessions end.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from koperasi.errors import InvalidInput
from koperasi.tenancy import services as tenancy


def _password(label: Any, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PasswordChangeForm(forms.Form):
    current_password = _password(_("Current password"), "current-password")
    new_password = _password(_("New password"), "new-password")
    new_password_again = _password(_("New password again"), "new-password")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        current = self.cleaned_data["current_password"]
        if not self.user.check_password(current):
            raise forms.ValidationError(_("Your current password is not correct."))
        return str(current)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, again = data.get("new_password"), data.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                tenancy.set_password(
                    user=request.user,
                    password=form.cleaned_data["new_password"],
                    actor=request.user,
                    reason="password_change",
                )
            except InvalidInput as exc:  # too short, too common, like the user name …
                for error in exc.errors:
                    form.add_error("new_password", str(error.message))
            else:
                update_session_auth_hash(request, request.user)  # this session stays
                messages.success(
                    request,
                    _(
                        "Your password was changed. Your other sessions and API tokens "
                        "no longer work."
                    ),
                )
                return redirect("password_change")
    return render(request, "web/password_change.html", {"form": form}, status=status)
