"""One rounding API (issue 12 point 22): money is rounded half-up through ``domain/money.py``.

``Decimal.quantize`` rounds half-even unless told otherwise, and a second rounding rule is how
two pages come to disagree by a sen. So outside ``domain/`` (and the frozen migrations) no code
calls ``.quantize(``; use ``round_sen``, ``round_rupiah``, ``round_half_up`` or ``is_exact_to``.
"""

import ast
from pathlib import Path

import koperasi

SOURCE = Path(koperasi.__file__).parent
ALLOWED = ("domain", "migrations")


def bare_quantize_calls(source: str, filename: str) -> list[int]:
    """Lines of every ``<anything>.quantize(...)`` call in ``source``."""
    tree = ast.parse(source, filename=filename)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "quantize"
    )


def test_no_bare_quantize_outside_the_domain() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if relative.parts[0] in ALLOWED or "migrations" in relative.parts:
            continue
        for line in bare_quantize_calls(path.read_text(encoding="utf-8"), str(path)):
            found.append(f"src/koperasi/{relative}:{line}")
    assert not found, (
        "Round money through koperasi.domain.money (round_sen, round_rupiah, round_half_up, "
        "is_exact_to), not a bare .quantize(): " + ", ".join(found)
    )


def test_the_scan_sees_every_form_of_the_call() -> None:
    # The rule above is only as good as this detector.
    source = (
        "from decimal import Decimal\n"
        "a = Decimal('1.005').quantize(Decimal('0.01'))\n"
        "b = (x * y\n     ).quantize(CENT, rounding=ROUND_HALF_UP)\n"
        "c = obj.amount.quantize(CENT)\n"
        "d = 'text .quantize( in a string'  # and in a comment: .quantize(\n"
        "e = round_sen(x)\n"
    )
    assert bare_quantize_calls(source, "example.py") == [2, 3, 5]
    # and the scan covers the apps, not just a corner of the tree
    scanned = {p.relative_to(SOURCE).parts[0] for p in SOURCE.rglob("*.py")}
    assert {"ledger", "loans", "savings", "tenancy", "domain"} <= scanned
