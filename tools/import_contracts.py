"""An import-linter contract type: apps use each other only through their public modules.

`lint-imports` (run from the repository root, which it puts on the path) loads it through
`contract_types` in pyproject.toml. For every direct import from one app into another, the
imported module must be one of the other app's public modules (`services`, `selectors`,
`models`, ... as configured) or inside one of them; `ignore_imports` lists accepted exceptions
as `importer -> imported`.
"""

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class PublicSurfaceContract(Contract):
    type_name = "public_surface"

    apps = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    open_apps = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        apps = set(self.apps)  # type: ignore[arg-type]
        public = set(self.public)  # type: ignore[arg-type]
        open_apps = set(self.open_apps or [])  # type: ignore[arg-type]
        ignored = {
            tuple(part.strip() for part in line.split("->"))
            for line in (self.ignore_imports or [])  # type: ignore[union-attr]
        }
        broken: list[tuple[str, str]] = []
        for importer in sorted(graph.modules):
            importer_app = _app(importer, apps)
            if importer_app is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                imported_app = _app(imported, apps)
                if imported_app in (None, importer_app) or imported_app in open_apps:
                    continue
                parts = imported.split(".")
                if len(parts) > 2 and parts[2] in public:
                    continue
                if (importer, imported) not in ignored:
                    broken.append((importer, imported))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["broken"]:
            output.print_error(f"{importer} imports {imported}", bold=False)
            output.new_line()
        output.print(
            "Another app's pages, API, forms and helpers are its own: call its services or "
            "selectors, or move what both need into koperasi.common."
        )


def _app(module: str, apps: set[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in apps else None
