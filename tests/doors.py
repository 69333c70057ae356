"""import-linter's `feature_doors` contract (configured in pyproject.toml, run by tests/test_lint.py).

A feature (`ledger/<feature>/`) is entered through its doors only: the package itself and the submodules named
in `doors` (`service`, `queries`, `rules`). Its models and every other module are its own business: no module
outside the feature imports them, except the `composition` modules that wire the features into the app (the
hook registry `ledger.features` and the migrations' metadata).

It lives here, not in `ledger/`, because import-linter is a test dependency and the package does not ship it.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils


class FeatureDoorsContract(Contract):
    type_name = "feature_doors"

    features = fields.ListField(subfield=fields.StringField())
    doors = fields.ListField(subfield=fields.StringField())
    composition = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        warnings = contract_utils.remove_ignored_imports(
            graph=graph, ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR)
        composition = set(self.composition or [])  # type: ignore[arg-type]
        doors = set(self.doors)  # type: ignore[arg-type]
        broken = []
        for feature in self.features:  # type: ignore[attr-defined]
            for module in sorted(graph.find_descendants(feature)):
                if module[len(feature) + 1:].split(".")[0] in doors:
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if importer == feature or importer.startswith(feature + ".") or importer in composition:
                        continue
                    broken.append((importer, module))
        return ContractCheck(kept=not broken, warnings=warnings, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        doors = ", ".join(self.doors)  # type: ignore[arg-type]
        for importer, module in check.metadata["broken"]:
            output.print_error(f"{importer} imports {module}, which is not one of its feature's doors ({doors})")
            output.new_line()
