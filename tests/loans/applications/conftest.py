"""What the application workflow tests share: applying, a refusal and its error, stored files."""

import pytest

from koperasi.loans import services as loans
from koperasi.loans.models import LoanApplication

Status = LoanApplication.Status


def apply(coop, actor, member, product, principal="1200000", term=12, **kw):
    return loans.apply(
        cooperative=coop,
        actor=actor,
        member_id=member.pk,
        product_id=product.pk,
        principal=principal,
        term=term,
        purpose="Modal warung",
        **kw,
    )


def refused(exc_type, call, *args, **kwargs):
    with pytest.raises(exc_type) as info:
        call(*args, **kwargs)
    return info.value


def nothing_applied():
    return not LoanApplication.objects.exists()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())
