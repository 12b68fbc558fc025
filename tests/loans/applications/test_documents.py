"""An application's documents: what is stored, what is refused, and only while it is open."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from koperasi.errors import ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import ApplicationDocument
from koperasi.tenancy.models import Role
from tests.loans.applications.conftest import apply, refused, stored_files
from tests.loans.conftest import analysed_application

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- documents


def test_a_pdf_is_stored(coop, officer, borrower, product, media):
    application = apply(coop, officer, borrower, product)
    upload = SimpleUploadedFile("ktp.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", "application/pdf")
    document = loans.add_document(
        cooperative=coop, actor=officer, application_id=application.pk, title="KTP", upload=upload
    )
    assert document.content_type == "application/pdf"
    assert document.file.read().startswith(b"%PDF")
    assert stored_files(media) == [document.file.name.rsplit("/", 1)[-1]]
    assert document.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        # A Windows program renamed .pdf (and claimed as a PDF by the browser).
        ("slip.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "file_type"),
        ("kosong.pdf", b"", "file_type"),
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "file_too_large"),
    ],
)
def test_bad_documents_are_refused(coop, officer, borrower, product, media, name, content, code):
    application = apply(coop, officer, borrower, product)
    upload = SimpleUploadedFile(name, content, "application/pdf")
    error = refused(
        ServiceError,
        loans.add_document,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="Slip gaji",
        upload=upload,
    )
    assert (error.code, error.field) == (code, "file")
    assert not ApplicationDocument.objects.exists()
    assert stored_files(media) == []


def test_exactly_five_megabytes_is_accepted(coop, officer, borrower, product, media):
    application = apply(coop, officer, borrower, product)
    content = b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024 - 8)
    document = loans.add_document(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="Foto usaha",
        upload=SimpleUploadedFile("usaha.png", content, "image/png"),
    )
    assert document.content_type == "image/png"


def test_documents_only_while_the_application_is_open(
    coop, officer, manager, borrower, product, media
):
    application = analysed_application(coop, borrower, product, officer)
    loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
        reason="Tidak layak",
    )
    error = refused(
        ServiceError,
        loans.add_document,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="KTP",
        upload=SimpleUploadedFile("ktp.pdf", b"%PDF-1.4", "application/pdf"),
    )
    assert error.code == "not_open"
    assert stored_files(media) == []
