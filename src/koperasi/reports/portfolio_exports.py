"""The portfolio reports as XLSX (`common.xlsx.Sheet`: amounts as numbers, dates as dates, names
as text), from the same context the page shows."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from koperasi.common.xlsx import Sheet
from koperasi.reports.portfolio_lists import GapBucket
from koperasi.tenancy.models import Cooperative


def bucket_label(bucket: GapBucket) -> str:
    if bucket.months_from is None:
        return _("Already overdue")
    if bucket.months_to is None:
        return _("More than %(months)s months") % {"months": bucket.months_from}
    if bucket.months_from == 0:
        return _("Within %(months)s month") % {"months": bucket.months_to}
    return _("%(start)s to %(end)s months") % {
        "start": bucket.months_from,
        "end": bucket.months_to,
    }


def _head(sheet: Sheet, coop: Cooperative, title: str, *period: Any) -> None:
    sheet.row(coop.name, bold=True)
    sheet.row(title, *period)
    sheet.row()


def _pct(value: Decimal | None) -> Decimal | str:
    """A percentage cell: the number (2 decimals) or empty when there is nothing to divide."""
    return value if value is not None else ""


def quality_sheet(coop: Cooperative, context: dict[str, Any]) -> Sheet:
    report = context["report"]
    sheet = Sheet(_("Loan quality"), widths={"A": 28, "B": 12, "C": 20, "D": 20, "E": 12, "F": 20})
    _head(sheet, coop, _("Loan quality and allowance"), _("as of"), report.as_of)
    if report.source == "snapshot":
        sheet.row(_("From the day-end snapshot of"), report.snapshot_date)
    if not report.available:
        sheet.row(_("No day-end snapshot is kept on or before this date."))
        return sheet
    sheet.row(
        _("Class"),
        _("Loans"),
        _("Outstanding"),
        _("Collateral deducted"),
        _("Rate (%)"),
        _("Allowance required"),
        bold=True,
    )
    for line in report.classes:
        sheet.row(
            f"{line.klass} {line.name}",
            line.loans,
            line.outstanding,
            line.collateral,
            line.rate,
            line.required,
        )
    sheet.row(_("Total"), report.loans, report.outstanding, "", "", report.required, bold=True)
    sheet.row()
    sheet.row(_("Allowance held (CKPN account)"), "", report.held)
    sheet.row(_("Required less held"), "", report.shortfall)
    sheet.row()
    sheet.row(_("Portfolio at risk"), _("Outstanding"), _("Share of loans"), bold=True)
    for par in report.par:
        sheet.row(f"PAR {par.days}", par.outstanding, _pct(par.percent))
    sheet.row()
    sheet.row(_("Problem loans (KL + D + M)"), report.problem, _pct(report.npl_percent))
    sheet.row(_("Health band"), report.band)
    if report.products:
        sheet.row()
        sheet.row(
            _("Product"),
            _("Loans"),
            _("Outstanding"),
            _("Problem loans"),
            _("NPL (%)"),
            _("Health band"),
            _("PAR 30 (%)"),
            _("Allowance required"),
            bold=True,
        )
        for product in report.products:
            sheet.row(
                f"{product.code} {product.name}",
                product.loans,
                product.outstanding,
                product.problem,
                _pct(product.npl_percent),
                product.band,
                _pct(product.par30_percent),
                product.required,
            )
    return sheet


def arrears_sheet(coop: Cooperative, context: dict[str, Any]) -> Sheet:
    sheet = Sheet(_("Arrears"), widths={"A": 16, "B": 28, "C": 14, "D": 16, "E": 20})
    _head(sheet, coop, _("Arrears and collection"), _("as of"), context["as_of"])
    if context["officer"]:
        sheet.row(_("Loan officer"), context["officer"])
    sheet.row(
        _("Loan"),
        _("Member"),
        _("Member no."),
        _("Phone"),
        _("Officer"),
        _("Product"),
        _("Days past due"),
        _("Class"),
        _("Outstanding"),
        _("Overdue principal"),
        _("Overdue interest"),
        _("Penalty"),
        _("Amount due"),
        _("Last contact"),
        _("Contact by"),
        _("Note"),
        _("Promised date"),
        _("Promised amount"),
        bold=True,
    )
    for row in context["rows"]:
        sheet.row(
            row.number,
            row.member_name,
            row.member_number,
            row.phone,
            row.officer,
            row.product,
            row.days_past_due,
            row.collectibility,
            row.outstanding,
            row.overdue_principal,
            row.overdue_interest,
            row.penalty,
            row.amount_due,
            row.last_contact,
            row.last_contact_kind,
            row.last_note,
            row.promise_date,
            row.promise_amount,
        )
    if context["truncated"]:
        sheet.row(_("Only the first %(n)s loans are listed.") % {"n": context["limit"]})
    return sheet


def flows_sheet(coop: Cooperative, context: dict[str, Any]) -> Sheet:
    sheet = Sheet(_("Disbursements"), widths={"A": 12, "C": 20, "E": 20, "F": 20, "G": 20})
    _head(
        sheet,
        coop,
        _("Disbursements and repayments"),
        context["date_from"],
        context["date_to"],
    )
    sheet.row(
        _("Month"),
        _("Loans disbursed"),
        _("Amount disbursed"),
        _("Repayments"),
        _("Principal"),
        _("Interest"),
        _("Penalty"),
        _("Total repaid"),
        bold=True,
    )
    for m in context["months"]:
        sheet.row(
            m.month, m.disbursed_count, m.disbursed, m.repayments, m.principal, m.interest,
            m.penalty, m.repaid,
        )  # fmt: skip
    t = context["totals"]
    sheet.row(
        _("Total"), t["disbursed_count"], t["disbursed"], t["repayments"], t["principal"],
        t["interest"], t["penalty"], t["repaid"], bold=True,
    )  # fmt: skip
    return sheet


def officers_sheet(coop: Cooperative, context: dict[str, Any]) -> Sheet:
    sheet = Sheet(_("Officers"), widths={"A": 28, "C": 20, "D": 20, "G": 20, "H": 20})
    _head(sheet, coop, _("Loan officer performance"), context["date_from"], context["date_to"])
    sheet.row(
        _("Officer"),
        _("Active loans"),
        _("Outstanding"),
        _("PAR 30 outstanding"),
        _("PAR 30 (%)"),
        _("Loans disbursed"),
        _("Amount disbursed"),
        _("Collected"),
        bold=True,
    )
    for line in context["lines"]:
        sheet.row(
            line.name or _("No officer"),
            line.loans,
            line.outstanding,
            line.at_risk_30,
            _pct(line.par30_percent),
            line.disbursed_count,
            line.disbursed,
            line.collected,
        )
    return sheet


def maturity_sheet(coop: Cooperative, context: dict[str, Any]) -> Sheet:
    sheet = Sheet(_("Maturity"), widths={"A": 28, "B": 20, "D": 20})
    _head(sheet, coop, _("Maturity and repricing gaps"), _("as of"), context["as_of"])
    sheet.row(
        _("Falls due"),
        _("Principal"),
        _("Share of loans"),
        _("Cumulative"),
        _("Cumulative share"),
        bold=True,
    )
    for row in context["rows"]:
        sheet.row(
            row["label"],
            row["bucket"].principal,
            _pct(row["share"]),
            row["cumulative"],
            _pct(row["cumulative_share"]),
        )
    sheet.row(_("Total"), context["total"], bold=True)
    return sheet
