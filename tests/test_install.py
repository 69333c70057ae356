"""What an installed copy needs: migrations that fail loudly when missing, and the files the app reads."""

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from ledger import migrate


def test_upgrade_with_no_migration_scripts_fails_loudly(tmp_path, monkeypatch):
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        (scripts / name).write_text((migrate.SCRIPTS / name).read_text())
    monkeypatch.setattr(migrate, "SCRIPTS", scripts)
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(migrate.MissingMigrations, match="no migration scripts"):
        migrate.upgrade(engine)
    assert inspect(engine).get_table_names() == []  # not even alembic_version: nothing pretends to be at head


@pytest.mark.slow
def test_the_wheel_holds_migrations_templates_and_static_files(tmp_path):
    """Builds the wheel (about 10 s, so a slow proof; .ci/wheel-smoke does it on every CI run)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(root)],
                   check=True, timeout=300, capture_output=True)
    names = set(zipfile.ZipFile(next(tmp_path.glob("returns_ledger-*.whl"))).namelist())
    for needed in ("ledger/migrations/versions/0001_foundation.py", "ledger/migrations/script.py.mako",
                   "ledger/web/templates/login.html", "ledger/web/templates/settlement/period.html",
                   "ledger/web/static/ledger.css", "contracts/openapi.json", "ledger/wsgi.py"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n]


def test_liveness_answers_without_the_database(client, monkeypatch):
    from ledger import db

    def unreachable():
        raise AssertionError("the liveness probe touched the database")

    monkeypatch.setattr(db, "session", unreachable)
    answer = client.get("/livez")
    assert answer.status_code == 200 and answer.data == b"ok\n"


def test_demo_refuses_to_run_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_ENV", "production")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output


def test_the_dockerfile_passes_hadolint():
    import shutil
    import subprocess

    hadolint = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([hadolint, "--failure-threshold", "warning", str(root / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
