"""Rules of the code base that tools check, not reviewers' memory (CONTRIBUTING.md).

- ORM writes (`.create(`, `.update(`, `.save(`, `.delete(` and their bulk forms) happen only in
  services (a `services` module or package), migrations and the demo builder;
- no source file is over 600 lines (DESIGN.md asks for a split at ~500).
The import rules are `lint-imports` contracts (pyproject.toml).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "koperasi"

QUERYSET_WRITES = {
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
INSTANCE_WRITES = {"save", "delete"}
# Receivers of `.save(` that are not model instances: spreadsheets (`common.xlsx` keeps its
# openpyxl workbook in `self._book`) and file storage.
NOT_MODELS = {"workbook", "wb", "_book", "default_storage", "storage"}
# Calls that make a receiver recognisably a manager or a queryset.
QUERYSET_METHODS = {"filter", "exclude", "all", "select_for_update", "select_related", "using"}
WRITERS_ALLOWED = ("services", "migrations")
MAX_LINES = 600


def _chain(node: ast.expr) -> list[str]:
    """Attribute and call names along a receiver: `A.objects.filter(x)` -> [A, objects, filter]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def _is_write(method: str, receiver: ast.expr, chain: list[str]) -> bool:
    if method in QUERYSET_WRITES and ("objects" in chain or QUERYSET_METHODS.intersection(chain)):
        return True
    is_super = isinstance(receiver, ast.Call) and chain == ["super"]
    return (
        method in INSTANCE_WRITES
        and bool(chain)
        and chain[-1] not in NOT_MODELS
        and not is_super
        and "objects" not in chain
    )


def orm_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) of every ORM write in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        chain = _chain(node.func.value)
        if _is_write(node.func.attr, node.func.value, chain):
            found.append((node.lineno, ".".join([*chain, node.func.attr])))
    return found


def _may_write(path: Path) -> bool:
    relative = path.relative_to(SRC)
    return (
        any(part in WRITERS_ALLOWED or part == "services.py" for part in relative.parts)
        or relative.name == "models.py"  # a model's own save() override
        or relative == Path("demo.py")
    )


def test_orm_writes_only_in_services_migrations_and_the_demo():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for path in sorted(SRC.rglob("*.py"))
        if not _may_write(path)
        for line, call in orm_writes(path.read_text())
    ]
    assert offenders == [], "ORM writes outside a service:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Member.objects.create(name='x')", 1),
        ("Loan.objects.filter(pk=1).update(status='closed')", 1),
        ("qs.select_for_update().delete()", 1),
        ("member.save(update_fields=['name'])", 1),
        ("form.instance.delete()", 1),
        ("workbook.save(buffer)", 0),
        ("self._book.save(buffer)", 0),
        ("self.member.save()", 1),
        ("super().save(*args, **kwargs)", 0),
        ("initial.update(code='')", 0),
        ("default_storage.save(name, content)", 0),
    ],
)
def test_the_write_check_sees_writes_and_only_writes(source, expected):
    assert len(orm_writes(source)) == expected


def test_no_source_file_is_over_600_lines():
    roots = [ROOT / "src", ROOT / "tests", ROOT / "benchmarks", ROOT / "scripts", ROOT / "tools"]
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts
        and (count := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == [], "split these (a package, or a module per subject):\n" + "\n".join(long)
