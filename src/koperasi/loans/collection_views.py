"""The loan page's collection note: a contact with the borrower about arrears."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koperasi.common.decorators import staff_view
from koperasi.loans import services
from koperasi.loans.forms import CollectionNoteForm
from koperasi.loans.loan_views import _loan_action
from koperasi.loans.models import Loan
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import HANDLE_LOANS


@require_POST
@staff_view(HANDLE_LOANS)
def add_note(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> str:
        services.add_collection_note(
            cooperative=coop,
            actor=request.user,
            loan_id=loan.pk,
            kind=data["kind"],
            note=data["note"],
            contacted_on=data["contacted_on"],
            promise_date=data["promise_date"],
            promise_amount=data["promise_amount"],
        )
        return _("Collection note saved.")

    return _loan_action(request, loan_id, "collection", CollectionNoteForm, run)
