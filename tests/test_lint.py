"""The code has no undefined or unused names and none of the likely bugs ruff's B rules catch (pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "ledger", "contracts", "bench",
                             "tests", "wsgi.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept():
    """The layers and the features' doors (pyproject.toml [tool.importlinter], README "Layout")."""
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_feature_entered_by_a_private_module_breaks_the_doors_contract():
    import grimp

    from tests.doors import FeatureDoorsContract

    graph = grimp.ImportGraph()
    for module in ("app", "app.orders", "app.orders.service", "app.orders.models", "app.bills",
                   "app.bills.service", "app.features"):
        graph.add_module(module)
    graph.add_import(importer="app.bills.service", imported="app.orders.service")
    graph.add_import(importer="app.features", imported="app.orders.models")
    contract = FeatureDoorsContract(name="doors", session_options={}, contract_options={
        "features": ["app.orders", "app.bills"], "doors": ["service"], "composition": ["app.features"]})
    assert contract.check(graph, verbose=False).kept
    graph.add_import(importer="app.bills.service", imported="app.orders.models")
    check = contract.check(graph, verbose=False)
    assert not check.kept and check.metadata["broken"] == [("app.bills.service", "app.orders.models")]
