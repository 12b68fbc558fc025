"""Staff routes under /k/<code>/pinjaman/ for a loan's printed documents and the payroll
deduction (potong gaji) import. The loan pages themselves are in staff_urls."""

from django.urls import path

from koperasi.loans import documents, payroll_views

app_name = "loandocs"

urlpatterns = [
    path("<int:loan_id>/perjanjian.pdf", documents.agreement, name="agreement"),
    path("<int:loan_id>/kartu.pdf", documents.card, name="card"),
    path("potong-gaji/", payroll_views.payroll_page, name="payroll"),
]
